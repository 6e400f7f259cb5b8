"""EXPLAIN of every query a public or an admin page runs: none may scan a whole big table.

The test tables are tiny, so PostgreSQL would rightly scan them; sequential
scans are switched off to see whether an index can answer each query. At a
million stories the benchmark (make bench) reads the real plans.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import sitemaps
from articles.feeds import tag_feed_url
from articles.models import Article, Correction, FrontPage, FrontPagePin, Tag
from articles.views import TagListView
from tests.factories import ArticleFactory, ImageFactory, TagFactory
from tests.test_views import deep_page, url_in

pytestmark = pytest.mark.django_db

# The photo library grows by the tens of thousands too: cards join it by primary key.
BIG_TABLES = [
    "articles_article",
    "articles_taggedarticle",
    "articles_tag",
    "articles_tagpair",
    "articles_image",
]


def plans_of(client, url, switched_off=("enable_seqscan",)):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:  # a sitemap reads as it is sent
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return explain(queries, switched_off)


def explain(queries, switched_off=("enable_seqscan",)):
    plans = []
    with connection.cursor() as cursor:
        for setting in switched_off:
            cursor.execute(f"SET {setting} = off")
        try:
            for query in queries.captured_queries:
                if query["sql"].startswith(("SAVEPOINT", "RELEASE")):
                    continue
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            for setting in switched_off:
                cursor.execute(f"RESET {setting}")
    return plans


@pytest.fixture
def corpus(settings):
    settings.ARTICLES_PER_PAGE = 3
    tags = TagFactory.create_batch(4)
    pictures = ImageFactory.create_batch(2, dimensions=(60, 30))
    for number in range(20):
        ArticleFactory(
            tags=tags[: 1 + number % 4],
            english=number % 3 != 0,
            lead_image=pictures[number % 2] if number % 4 else None,
        )
    return tags


def public_pages(client, tags):
    story = ArticleFactory(tags=tags, english=True)
    many_tags = ArticleFactory(tags=[*tags, *TagFactory.create_batch(8)], english=True)
    for story_with_tags in Article.objects.all()[:3]:
        FrontPagePin.objects.create(
            front_page=FrontPage.objects.get(language="en"), story=story_with_tags
        )
    Correction.objects.create(story=story, language="fr", text="Une correction.")
    pages = {}
    for language in ["fr", "en"]:
        home = url_in(language, "articles:article-list")
        with_tag = tags[0].url_for(language)
        search_page = url_in(language, "articles:search")
        search = f"{search_page}?q={'article' if language == 'fr' else 'story'}"
        pages |= {
            f"home {language}": home,
            f"home {language}, page 3": deep_page(client, home, 2),
            f"story {language}": story.url_for(language),
            f"story with many tags {language}": many_tags.url_for(language),
            f"tag index {language}": url_in(language, "articles:tag-list"),
            f"tag {language}": with_tag,
            f"tag {language}, page 3": deep_page(client, with_tag, 2),
            f"all of two tags {language}": Tag.combination_url(tags[:2], "+", language),
            f"all of two tags {language}, page 2": deep_page(
                client, Tag.combination_url(tags[:2], "+", language), 1
            ),
            f"all of four tags {language}": Tag.combination_url(tags, "+", language),
            f"any of two tags {language}": Tag.combination_url(tags[:2], ",", language),
            f"any of two tags {language}, page 2": deep_page(
                client, Tag.combination_url(tags[:2], ",", language), 1
            ),
            f"feed {language}": url_in(language, "articles:feed"),
            f"atom feed {language}": url_in(language, "articles:feed-atom"),
            f"tag feed {language}": tag_feed_url(tags[:1], "+", language=language),
            f"any of two tags' feed {language}": tag_feed_url(tags[:2], ",", language=language),
            f"search {language}": search,
            f"search {language}, page 3": deep_page(client, search, 2),
            f"search with a tag {language}": f"{search}&tag={tags[0].slug_in(language)}",
            f"search without a match {language}": f"{search_page}?q=xqzwvk",
        }
    return pages | sitemap_pages()


def sitemap_pages():
    return {
        "robots.txt": reverse("sitemaps:robots"),
        "sitemap index": reverse("sitemaps:index"),
        "sitemap of the home pages and tag indexes": reverse("sitemaps:pages"),
        # Files are id ranges, and ids go on from earlier tests: the first file with rows.
        "sitemap of stories": reverse(
            "sitemaps:stories", kwargs={"number": sitemaps.story_files()[0]}
        ),
        "sitemap of tags": reverse("sitemaps:tags", kwargs={"number": sitemaps.tag_files()[0]}),
        "news sitemap": reverse("sitemaps:news"),
    }


def test_no_public_page_scans_a_whole_table(client, corpus):
    scans = []
    for name, url in public_pages(client, corpus).items():
        for sql, plan in plans_of(client, url):
            for table in BIG_TABLES:
                if f"Seq Scan on {table}" in plan:
                    scans.append(f"{name}: {table}\n{sql}\n{plan}")
    assert not scans, "\n\n".join(scans)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "page",
    [
        "home",
        "home with lead stories",
        "tag",
        "all of two tags",
        "all of four tags",
        "feed",
        "tag feed",
    ],
)
def test_one_page_of_stories_is_read_in_index_order(client, corpus, language, page):
    """With sorting switched off too, each page's LIMIT query must still find an ordered index."""
    if page == "home with lead stories":
        for story in Article.objects.all()[:3]:
            FrontPagePin.objects.create(
                front_page=FrontPage.objects.get(language=language), story=story
            )
    url = {
        "home": url_in(language, "articles:article-list"),
        "home with lead stories": url_in(language, "articles:article-list"),
        "tag": corpus[0].url_for(language),
        "all of two tags": Tag.combination_url(corpus[:2], "+", language),
        "all of four tags": Tag.combination_url(corpus, "+", language),
        "feed": url_in(language, "articles:feed"),
        "tag feed": tag_feed_url(corpus[:1], "+", language=language),
    }[page]
    plans = plans_of(client, url, switched_off=("enable_seqscan", "enable_sort"))
    limited = [(sql, plan) for sql, plan in plans if " LIMIT " in sql]
    assert limited
    for sql, plan in limited:
        assert "Sort" not in plan, f"{sql}\n{plan}"


@pytest.mark.parametrize("page", ["sitemap of stories", "sitemap of tags", "news sitemap"])
def test_a_sitemap_is_read_in_index_order(client, corpus, page):
    """A file's chunks come from the primary key in order, the news from the story list's index."""
    plans = plans_of(client, sitemap_pages()[page], switched_off=("enable_seqscan", "enable_sort"))
    limited = [(sql, plan) for sql, plan in plans if " LIMIT " in sql]
    assert limited
    for sql, plan in limited:
        assert "Sort" not in plan, f"{sql}\n{plan}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_deep_page_of_the_tag_index_is_one_read_of_the_tags_in_use(
    client, corpus, monkeypatch, language
):
    monkeypatch.setattr(TagListView, "paginate_by", 1)
    url = deep_page(client, url_in(language, "articles:tag-list"), 2)
    plans = plans_of(client, url, switched_off=("enable_seqscan", "enable_sort"))
    pages = [(sql, plan) for sql, plan in plans if sql.startswith('SELECT "articles_tag"."id"')]
    assert len(pages) == 1
    ((sql, plan),) = pages
    assert f"tag_in_use_{language}_idx" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_tags_companions_are_one_read_of_the_pairs_index(client, corpus, language):
    """The narrowing links: the pairs of the tag in the language's index order, no sort."""
    plans = plans_of(
        client, corpus[0].url_for(language), switched_off=("enable_seqscan", "enable_sort")
    )
    pairs = [(sql, plan) for sql, plan in plans if 'FROM "articles_tagpair"' in sql]
    assert len(pairs) == 1
    ((sql, plan),) = pairs
    assert f"tag_pair_top_{language}_idx" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("language", ["fr", "en"])
def test_where_a_page_of_several_tags_stops_reading_comes_from_the_links_index_alone(
    client, corpus, settings, language
):
    settings.TAG_COMBINATION_READ = 2
    url = Tag.combination_url(corpus[:2], "+", language)
    plans = plans_of(client, url, switched_off=("enable_seqscan", "enable_bitmapscan"))
    reach = [(sql, plan) for sql, plan in plans if " OFFSET " in sql]
    assert len(reach) == 1
    ((sql, plan),) = reach
    assert "Index Only Scan using tagged_article_published_idx" in plan, plan


def test_a_page_of_tags_that_seldom_meet_reads_at_most_the_read_limit(client, settings):
    """Two tags sharing one story in sixty of the rarer one's: each query reads at most
    TAG_COMBINATION_READ of its links (EXPLAIN ANALYZE's rows), not all sixty."""
    settings.TAG_COMBINATION_READ = 10
    rare, common = TagFactory(), TagFactory()
    for number in range(60):
        ArticleFactory(tags=[rare, common] if number == 59 else [rare])
    ArticleFactory.create_batch(65, tags=[common])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(Tag.combination_url([rare, common], "+"))
    assert response.status_code == 200
    read = []
    # The test tables are tiny: as in plans_of(), the plans a big table gets.
    switched_off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    with connection.cursor() as cursor:
        for setting in switched_off:
            cursor.execute(f"SET {setting} = off")
        try:
            for query in queries.captured_queries:
                if "articles_taggedarticle" not in query["sql"]:
                    continue
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                read.append(max(links_read(cursor.fetchone()[0][0]["Plan"]), default=0))
        finally:
            for setting in switched_off:
                cursor.execute(f"RESET {setting}")
    assert read
    assert max(read) <= 10 + settings.ARTICLES_PER_PAGE + 2


def links_read(plan):
    """The rows each scan of the tag links' publication index returned, over all its loops."""
    if plan.get("Index Name") == "tagged_article_published_idx":
        yield plan["Actual Rows"] * plan["Actual Loops"]
    for child in plan.get("Plans", []):
        yield from links_read(child)


# The admin pages a newsroom uses every day (the benchmark times them at a million stories).
# The tag table is left out: the filter's most used tags and the picker opened without a
# word read it whole, and it holds tens of thousands of rows, not millions.
ADMIN_BIG_TABLES = ["articles_article", "articles_taggedarticle", "articles_article_authors"]
# The query reading a page's ids (articles.pagination.LongListPaginator), then its rows.
PAGE_IDS = 'SELECT "articles_article"."id" AS "pk"'
BY_ID = '"articles_article"."id" IN ('


@pytest.fixture
def newsroom(corpus, staff, monkeypatch):
    # One story a page: every list of two stories or more is read by pages.
    monkeypatch.setattr(admin.site.get_model_admin(Article), "list_per_page", 1)
    for story in Article.objects.all()[:8]:
        story.authors.add(staff)
    ArticleFactory.create_batch(2, draft=True, tags=corpus[:1])
    ArticleFactory.create_batch(2, status=Article.Status.REVIEW, published_at=None)
    for outdated in ArticleFactory.create_batch(2, english=True, tags=corpus):
        outdated.title_fr = "Titre corrigé"
        outdated.save()
    return corpus


def admin_pages(tags):
    stories = "/fr/admin/articles/article/"
    story = Article.objects.filter(tagged_items__tag=tags[0], status="published").first()
    picker = "/fr/admin/autocomplete/?app_label=articles&model_name=taggedarticle&field_name=tag"
    return {
        "home": "/fr/admin/",
        "story list": stories,
        "story list, page 3": f"{stories}?p=3",
        "search": f"{stories}?q=article",
        "search without a match": f"{stories}?q=xqzwvk",
        "search within drafts": f"{stories}?q=article&status__exact=draft",
        "tag": f"{stories}?tag={tags[0].pk}",
        "drafts": f"{stories}?status__exact=draft",
        "review queue": f"{stories}?queue=review",
        "my stories": f"{stories}?queue=mine",
        "to translate into English": f"{stories}?translation_en=needed",
        "English translation outdated": f"{stories}?translation_en=outdated",
        "a year": f"{stories}?published_at__year={story.published_at.year}",
        "edit form": f"/fr/admin/articles/article/{story.pk}/change/",
        "tag picker": f"{picker}&term=eti",
    }


def test_no_admin_page_scans_a_whole_table(staff_client, newsroom):
    scans = []
    for name, url in admin_pages(newsroom).items():
        for sql, plan in plans_of(staff_client, url):
            for table in ADMIN_BIG_TABLES:
                if f"Seq Scan on {table}" in plan:
                    scans.append(f"{name}: {table}\n{sql}\n{plan}")
    assert not scans, "\n\n".join(scans)


def test_a_tag_merge_reads_each_set_of_links_once(corpus):
    """The bulk retag of a merge (TaggedArticleQuerySet.move_to) runs no subquery of links:
    PostgreSQL hashes one only while it fits in work_mem, and at the size of the biggest
    tag it would run it again for every link. Nor does it read a whole table."""
    kept, merged = corpus[0], corpus[1:3]
    with CaptureQueriesContext(connection) as queries:
        assert kept.absorb(merged)
    problems = []
    for sql, plan in explain(queries):
        read_whole = [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]
        if "SubPlan" in plan or read_whole:
            problems.append(f"{sql}\n{plan}")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize(
    "page",
    [
        "story list",
        "story list, page 3",
        "drafts",
        "review queue",
        "to translate into English",
        "English translation outdated",
        "a year",
    ],
)
def test_a_page_of_the_story_list_is_read_in_index_order(staff_client, newsroom, page):
    """With sorting switched off too, a page's ids must come from an index in the list's order."""
    url = admin_pages(newsroom)[page]
    plans = plans_of(staff_client, url, switched_off=("enable_seqscan", "enable_sort"))
    pages = [(sql, plan) for sql, plan in plans if sql.startswith(PAGE_IDS)]
    assert pages
    for sql, plan in pages:
        assert "Sort" not in plan, f"{sql}\n{plan}"


def test_the_whole_list_is_read_from_its_index_alone(staff_client, newsroom):
    """Deep pages skip index entries, not rows: the ids come from an index-only scan."""
    plans = plans_of(staff_client, admin_pages(newsroom)["story list, page 3"])
    ((sql, plan),) = [(sql, plan) for sql, plan in plans if sql.startswith(PAGE_IDS)]
    assert sql.startswith(f'{PAGE_IDS} FROM "articles_article" ORDER BY')
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")
    assert "Index Only Scan using article_list_idx" in plan, plan


@pytest.mark.parametrize("page", ["search", "search without a match"])
def test_the_search_is_answered_by_its_index(staff_client, newsroom, page):
    plans = plans_of(
        staff_client,
        admin_pages(newsroom)[page],
        switched_off=("enable_seqscan", "enable_indexscan"),
    )
    # The count and the page's ids (the page's rows are then read by id).
    searches = [(sql, plan) for sql, plan in plans if "@@" in sql and BY_ID not in sql]
    assert searches
    for sql, plan in searches:
        assert "article_search_idx" in plan, f"{sql}\n{plan}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_search_reads_its_language_index_or_the_newest_stories(client, corpus, language):
    """Either plan PostgreSQL may choose for a word: the language's search index (a rare
    word), or the readable stories newest first, checking each (a common one)."""
    search = url_in(language, "articles:search") + (
        "?q=article" if language == "fr" else "?q=story"
    )
    for switched_off in (("enable_seqscan",), ("enable_seqscan", "enable_indexscan")):
        plans = plans_of(client, search, switched_off=switched_off)
        searches = [(sql, plan) for sql, plan in plans if '"search_' in sql and " LIMIT " in sql]
        assert searches
        for sql, plan in searches:
            # Newest first: the language's readable stories, or, as costly to the planner
            # on a few test rows (it picked it once in CI), every story's list index; at a
            # million stories make bench reads the real plan.
            indexes = (
                f"article_search_{language}_idx",
                f"article_readable_{language}_idx",
                "article_list_idx",
            )
            assert any(index in plan for index in indexes), f"{sql}\n{plan}"
