"""EXPLAIN of every query a public or an admin page runs: none may scan a whole big table.

The test tables are tiny, so PostgreSQL would rightly scan them; sequential
scans are switched off to see whether an index can answer each query. At a
million stories the benchmark (make bench) reads the real plans.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.feeds import tag_feed_url
from articles.models import Article, Tag
from tests.factories import ArticleFactory, ImageFactory, TagFactory
from tests.test_views import deep_page, url_in

pytestmark = pytest.mark.django_db

# The photo library grows by the tens of thousands too: cards join it by primary key.
BIG_TABLES = ["articles_article", "articles_taggedarticle", "articles_tag", "articles_image"]


def plans_of(client, url, switched_off=("enable_seqscan",)):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
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
    pages = {}
    for language in ["fr", "en"]:
        home = url_in(language, "articles:article-list")
        with_tag = tags[0].url_for(language)
        pages |= {
            f"home {language}": home,
            f"home {language}, page 3": deep_page(client, home, 2),
            f"story {language}": story.url_for(language),
            f"tag index {language}": url_in(language, "articles:tag-list"),
            f"tag {language}": with_tag,
            f"tag {language}, page 3": deep_page(client, with_tag, 2),
            f"all of two tags {language}": Tag.combination_url(tags[:2], "+", language),
            f"any of two tags {language}": Tag.combination_url(tags[:2], ",", language),
            f"any of two tags {language}, page 2": deep_page(
                client, Tag.combination_url(tags[:2], ",", language), 1
            ),
            f"feed {language}": url_in(language, "articles:feed"),
            f"atom feed {language}": url_in(language, "articles:feed-atom"),
            f"tag feed {language}": tag_feed_url(tags[:1], "+", language=language),
            f"any of two tags' feed {language}": tag_feed_url(tags[:2], ",", language=language),
        }
    return pages


def test_no_public_page_scans_a_whole_table(client, corpus):
    scans = []
    for name, url in public_pages(client, corpus).items():
        for sql, plan in plans_of(client, url):
            for table in BIG_TABLES:
                if f"Seq Scan on {table}" in plan:
                    scans.append(f"{name}: {table}\n{sql}\n{plan}")
    assert not scans, "\n\n".join(scans)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("page", ["home", "tag", "all of two tags", "feed", "tag feed"])
def test_one_page_of_stories_is_read_in_index_order(client, corpus, language, page):
    """With sorting switched off too, each page's LIMIT query must still find an ordered index."""
    url = {
        "home": url_in(language, "articles:article-list"),
        "tag": corpus[0].url_for(language),
        "all of two tags": Tag.combination_url(corpus[:2], "+", language),
        "feed": url_in(language, "articles:feed"),
        "tag feed": tag_feed_url(corpus[:1], "+", language=language),
    }[page]
    plans = plans_of(client, url, switched_off=("enable_seqscan", "enable_sort"))
    limited = [(sql, plan) for sql, plan in plans if " LIMIT " in sql]
    assert limited
    for sql, plan in limited:
        assert "Sort" not in plan, f"{sql}\n{plan}"


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
