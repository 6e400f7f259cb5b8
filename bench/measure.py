"""What the benchmark measures in-process: the pages, their server time, queries and plans.

Requests go through django.test.Client, so each one runs the whole middleware
stack, URL routing, the view and its templates: that is the server time, minus
the WSGI server. Call these inside ``bench_settings()``.
"""

import functools
import math
import re
import statistics
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation
from modeltranslation.utils import build_localized_fieldname

from articles import search, sitemaps
from articles.feeds import tag_feed_url
from articles.models import Article, Tag, TaggedArticle, TagPair, story_count_field
from articles.pagination import StoryCursor
from articles.views import TagListView
from bench import naive

BENCH_DIR = Path(__file__).resolve().parent
# The tables a public page must never read whole.
BIG_TABLES = ("articles_article", "articles_taggedarticle")
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
# The newest stories whose rarest word is the benchmark's rare search.
RARE_SAMPLE = 5000
# The page depth of the deep tag page, in pages skipped.
DEEP_PAGES = 500
# The depth of the deep tag index, in pages skipped.
DEEP_TAG_INDEX_PAGES = 20
# Stories the rare pair of tags shares, about.
RARE_PAIR_STORIES = 20


def bench_settings():
    """The settings the measured pages run with: the site plus /naive/, no page cache."""
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [BENCH_DIR / "templates", *templates[0].get("DIRS", [])]
    return override_settings(
        ROOT_URLCONF="bench.urls",
        TEMPLATES=templates,
        PAGE_CACHE_SECONDS=0,
        # As in production: no query log, no template debug information.
        DEBUG=False,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    )


@dataclass
class Page:
    """One public page type: the site's URL and the textbook version's URL of the same page."""

    key: str  # the same at every scale, to compare runs
    name: str
    url: str
    naive_url: str
    note: str = ""
    # Readers' pages are also served under load; crawlers' (sitemaps) are only timed.
    load: bool = True
    # A textbook page that takes minutes at a million stories (Django's sitemaps make every
    # (story, language) pair on each request, the textbook search every story's document):
    # timed once after one warm-up request.
    slow_naive: bool = False


def naive_url(name, language, **kwargs):
    return reverse(f"naive-{name}", kwargs={"language": language, **kwargs}, urlconf="bench.urls")


def choose_pages(language="fr"):
    """The pages to measure, on the corpus in the database.

    The tag pages use the tag with the most stories, and the combined pages the
    two with the most; the story page a story a thousand stories down, not the newest.
    """
    per_page = settings.ARTICLES_PER_PAGE
    top = list(Tag.objects.order_by(f"-{story_count_field(language)}", "pk")[:2])
    if len(top) < 2:
        raise RuntimeError("the corpus needs at least two tags")
    stories = Article.objects.readable(language).order_by("-published_at", "-pk")
    story = nth(stories, 1000) or stories.last()
    if story is None:
        raise RuntimeError(f"the corpus has no readable story in {language!r}")
    tag = top[0]
    with translation.override(language):
        home = reverse("articles:article-list")
        tag_index = reverse("articles:tag-list")
        story_slug = story.slug
    deep_url, deep_naive_url, depth, note = deep_tag_page(tag, language, per_page)
    tagged = most_tagged(stories)
    with translation.override(language):
        tagged_slug = tagged.slug
    pages = [
        Page("home", "home", home, naive_url("article-list", language)),
        Page(
            "story",
            "story",
            story.url_for(language),
            naive_url("article-detail", language, slug=story_slug),
        ),
        Page(
            "story-tags",
            "story with many tags",
            tagged.url_for(language),
            naive_url("article-detail", language, slug=tagged_slug),
            f"{tagged.tagged_items.count()} tags",
        ),
        Page("tag-index", "tag index", tag_index, naive_url("tag-list", language)),
        Page(
            "tag",
            "tag page",
            tag.url_for(language),
            naive_url("tag-detail", language, slugs=tag_slug(tag, language)),
        ),
        Page("tag-deep", f"tag page, {depth} pages deep", deep_url, deep_naive_url, note),
    ]
    with translation.override(language):
        feed = reverse("articles:feed")
    pages.append(Page("feed", "feed (RSS)", feed, naive_url("feed", language)))
    pages.append(
        Page(
            "tag-feed",
            "tag feed (RSS)",
            tag_feed_url([tag], "+", language=language),
            naive_url("tag-feed", language, slugs=tag_slug(tag, language)),
        )
    )
    common, rare = search_words(language, story)
    with translation.override(language):
        search_page = reverse("articles:search")
    for key, name, parameters in (
        ("search-common", "search (common word)", {"q": common}),
        ("search-rare", "search (rare word)", {"q": rare}),
        ("search-tag", "search with a tag", {"q": common, "tag": tag_slug(tag, language)}),
    ):
        query = "?" + urlencode(parameters)
        # The textbook search makes every story's document on each request: minutes at 1M.
        naive_search = naive_url("search", language) + query
        pages.append(Page(key, name, search_page + query, naive_search, slow_naive=True))
    combinations = [
        ("tags-all", "+", "tags a+b", top),
        ("tags-any", ",", "tags a,b", top),
        ("tags-rare-pair", "+", "tags a+b (rare pair)", rare_pair(language) or top),
        ("tags-five", "+", "five tags a+b+c+d+e", biggest_tags(language, 5)),
    ]
    for key, operator, name, tags in combinations:
        slugs = operator.join(tag_slug(t, language) for t in tags)
        pages.append(
            Page(
                key,
                name,
                Tag.combination_url(tags, operator, language),
                naive_url("tag-detail", language, slugs=slugs),
            )
        )
    url, naive, depth, note = deep_tag_index(language)
    pages.append(Page("tag-index-deep", f"tag index, {depth} pages deep", url, naive, note))
    return pages + sitemap_pages()


def sitemap_pages():
    """The sitemap index, the last file of stories, and the news sitemap: the same in every
    language (one set for the site)."""
    last = sitemaps.story_files()[-1]
    bench_reverse = functools.partial(reverse, urlconf="bench.urls")
    return [
        Page(
            "sitemap-index",
            "sitemap index",
            reverse("sitemaps:index"),
            bench_reverse("naive-sitemap-index"),
            load=False,
            slow_naive=True,
        ),
        Page(
            "sitemap-stories",
            "sitemap (stories, last file)",
            reverse("sitemaps:stories", kwargs={"number": last}),
            bench_reverse("naive-sitemap-section", kwargs={"section": "stories"})
            + f"?p={naive.last_stories_page()}",
            load=False,
            slow_naive=True,
        ),
        Page(
            "sitemap-news",
            "news sitemap",
            reverse("sitemaps:news"),
            bench_reverse("naive-sitemap-news"),
            load=False,
        ),
    ]


def search_words(language, story):
    """(common, rare): words to search in ``language``, as a reader types them.

    The common one is the commonest stem of the stories' search documents in the
    planner's statistics (ANALYZE) that is searched as itself (not a stop word); the rare
    one the rarest stem of the newest RARE_SAMPLE readable stories (the corpus's rarest
    words are made-up names, in about 0.3% of its stories at any scale). Without
    statistics (a small test database), the first and the last word of ``story``'s title.
    """
    title = getattr(story, f"title_{language}")
    words = [word for word in re.findall(r"[^\W\d_]+", title) if len(word) > 3]
    config = search.config(language)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'articles_article' AND attname = %s",
            [search.document_field(language)],
        )
        row = cursor.fetchone()
        if not row or not row[0]:
            return words[0], words[-1]
        lexemes, frequencies = row
        # Stems searched as themselves: "les" is kept as "le", but "le" typed is a stop word.
        cursor.execute(
            "SELECT lexeme FROM unnest(%s::text[], %s::real[]) AS s(lexeme, frequency) "
            "WHERE websearch_to_tsquery(%s::regconfig, lexeme)::text = quote_literal(lexeme) "
            "AND length(lexeme) > 3 ORDER BY frequency DESC LIMIT 1",
            [lexemes, frequencies[: len(lexemes)], config],
        )
        common = cursor.fetchone()
        newest = (
            Article.objects.readable(language)
            .order_by("-published_at", "-pk")
            .values_list(search.document_field(language), flat=True)[:RARE_SAMPLE]
        )
        sample, params = newest.query.sql_with_params()
        with connection.cursor() as inner:
            sample = inner.mogrify(sample, params)
        cursor.execute(
            "SELECT word FROM ts_stat(%s) "
            "WHERE websearch_to_tsquery(%s::regconfig, word)::text = quote_literal(word) "
            "AND length(word) > 3 ORDER BY ndoc, word LIMIT 1",
            [sample, config],
        )
        rare = cursor.fetchone()
    return (common[0] if common else words[0]), (rare[0] if rare else words[-1])


def biggest_tags(language, count):
    """The ``count`` tags with the most stories in ``language`` (those that have one)."""
    field = story_count_field(language)
    return list(Tag.objects.filter(**{f"{field}__gt": 0}).order_by(f"-{field}", "pk")[:count])


def rare_pair(language, among=200):
    """Two big tags that share few stories (about RARE_PAIR_STORIES): the a+b page that
    reads furthest without a bound, the rarer tag's stories hardly ever carrying the other.

    Among the pairs of the ``among`` biggest tags, the one sharing closest to that many
    stories, the biggest rarer tag first; None when no two tags share a story.
    """
    field = story_count_field(language)
    tags = {tag.pk: tag for tag in biggest_tags(language, among)}
    pairs = TagPair.objects.filter(
        tag__in=tags, other__in=tags, tag__lt=F("other"), **{f"{field}__gt": 0}
    ).values_list("tag", "other", field)

    def rank(pair):
        tag, other, shared = pair
        rarer = min(getattr(tags[tag], field), getattr(tags[other], field))
        return (abs(shared - RARE_PAIR_STORIES), -rarer, tag, other)

    best = min(pairs, key=rank, default=None)
    return [tags[best[0]], tags[best[1]]] if best else None


def deep_tag_index(language, depth=DEEP_TAG_INDEX_PAGES):
    """(url, naive url, pages skipped, note) of the tag index ``depth`` pages after the first
    (its last full page when it has fewer), like deep_tag_page()."""
    per_page = TagListView.paginate_by
    slug = build_localized_fieldname("slug", language)
    tags = Tag.objects.in_use(language).values_list(slug, flat=True)
    note = ""
    row = nth(tags, depth * per_page - 1) if depth else None
    if row is None and depth:
        count = tags.count()
        depth = max(0, count // per_page - 1)
        note = f"the index has {math.ceil(count / per_page)} pages: its last full one"
        row = nth(tags, depth * per_page - 1) if depth else None
    with translation.override(language):
        url = reverse("articles:tag-list")
    naive = naive_url("tag-list", language)
    if row is not None:
        url += "?after=" + quote(row)
        naive += f"?page={depth + 1}"
    return url, naive, depth, note


def most_tagged(stories, among=2000):
    """The story with the most tags among the ``among`` newest of ``stories`` (the newest
    of those): its page reads the most tags' links for its related stories."""
    newest = stories.values("pk")[:among]
    row = (
        TaggedArticle.objects.filter(content_object__in=newest)
        .values("content_object")
        .annotate(tags=Count("pk"))
        .order_by("-tags", "-content_object")
        .first()
    )
    return Article.objects.get(pk=row["content_object"]) if row else stories.first()


def tag_slug(tag, language):
    with translation.override(language):
        return tag.slug


def deep_tag_page(tag, language, per_page, depth=DEEP_PAGES):
    """(url, naive url, pages skipped, note) of ``tag``'s page ``depth`` pages after the first.

    The site's page starts after the last story of the page before it
    (``?after=``), found here with one query; the textbook page is ``?page=N``.
    A tag with fewer pages gives its last full page, and the note says so.
    """
    links = (
        TaggedArticle.objects.readable(language)
        .filter(tag=tag)
        .order_by("-published_at", "-content_object_id")
        .values_list("published_at", "content_object_id")
    )
    note = ""
    row = nth(links, depth * per_page - 1)
    if row is None:
        count = links.count()
        depth = max(0, count // per_page - 1)
        note = f"the tag has {math.ceil(count / per_page)} pages: its last full one"
        row = nth(links, depth * per_page - 1) if depth else None
    url = tag.url_for(language)
    naive = naive_url("tag-detail", language, slugs=tag_slug(tag, language))
    if row is not None:
        url += "?after=" + quote(str(StoryCursor(*row)))
        naive += f"?page={depth + 1}"
    return url, naive, depth, note


def nth(queryset, index):
    return next(iter(queryset[index : index + 1]), None)


@dataclass
class Timing:
    url: str
    samples: list = field(default_factory=list)  # seconds
    queries: int = 0
    sql: list = field(default_factory=list)
    capped: bool = False  # stopped at NAIVE_CAP_SECONDS: the sample is a lower bound

    @property
    def median_ms(self):
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self):
        ordered = sorted(self.samples)
        return ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000


class BadPage(RuntimeError):
    pass


def fetch(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise BadPage(f"{url} answered {response.status_code}, not 200")
    # A streamed page (a sitemap) is made as it is read: read it whole.
    content(response)
    return response


def content(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# The longest a textbook page that takes minutes at a million stories (slow_naive) may run:
# stopped there (PostgreSQL's statement_timeout), it is reported as at least that long.
NAIVE_CAP_SECONDS = 30


def capped(view):
    """``view`` with its statements stopped after NAIVE_CAP_SECONDS (bench/urls.py)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{NAIVE_CAP_SECONDS}s'")
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # its queries too, under the cap
            return response
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

    return wrapper


def measure_once(client, url):
    """One request of a slow textbook page, timed and counted; capped (see capped())."""
    with CaptureQueriesContext(connection) as captured:
        begin = time.perf_counter()
        try:
            fetch(client, url)
            capped_out = False
        except OperationalError:  # statement_timeout: the page took longer than the cap
            connection.close()
            capped_out = True
        elapsed = time.perf_counter() - begin
    timing = Timing(url, queries=len(captured), sql=[q["sql"] for q in captured])
    timing.samples.append(NAIVE_CAP_SECONDS if capped_out else elapsed)
    timing.capped = capped_out
    return timing


def measure(client, url, *, warmup=3, repeat=25, budget=10.0, minimum=5):
    """Server time and queries of ``url``: warmed up, then ``repeat`` requests.

    Stops early once ``budget`` seconds are spent (for slow textbook pages),
    but never before ``minimum`` samples. Queries are counted on the last
    warm-up request, so that capturing them costs the timed requests nothing.
    """
    started = time.perf_counter()
    for done in range(warmup - 1):
        if done and time.perf_counter() - started > budget / 4:
            break
        fetch(client, url)
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    timing = Timing(url, queries=len(captured), sql=[q["sql"] for q in captured])
    started = time.perf_counter()
    while len(timing.samples) < repeat and (
        len(timing.samples) < minimum or time.perf_counter() - started < budget
    ):
        begin = time.perf_counter()
        fetch(client, url)
        timing.samples.append(time.perf_counter() - begin)
    return timing


def sequential_scans(sql_statements):
    """The big tables that plain EXPLAIN of these statements reads with a sequential scan."""
    scanned = []
    with connection.cursor() as cursor:
        for sql in sql_statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(")):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in _SEQ_SCAN.findall(plan):
                if table in BIG_TABLES and table not in scanned:
                    scanned.append(table)
    return scanned


_CARD_TITLE = re.compile(
    r'<article class="story-card[^"]*">\s*<h2><a href="[^"]*">(.*?)</a></h2>', re.S
)
_MARKUP = re.compile(r"<[^>]+>")
_HEADING = re.compile(r"<h1>(.*?)</h1>", re.S)
# A tag's name may carry the lang of another language (a tag not named in the page's yet).
_TAG_ENTRY = re.compile(
    r'<li><a href="[^"]*"[^>]*>([^<]*)</a>\s*<span class="count">([^<]*)</span></li>'
)


_FEED_ITEM_TITLE = re.compile(r"<item><title>(.*?)</title>", re.S)
_SITEMAP_LOC = re.compile(r"<url>\s*<loc>(.*?)</loc>", re.S)
_RELATED = re.compile(r'<li class="related-story"><a href="[^"]*">(.*?)</a>', re.S)


def listed(html):
    """What a page lists: its heading, its story titles, its tag index entries and its
    related stories.

    A feed lists its items' titles; a sitemap the addresses of its entries (an index, its
    files, which the site and the textbook split differently).
    """
    if "<sitemapindex" in html[:300]:
        return {"heading": ["sitemap index"], "stories": [], "tags": []}
    if "<urlset" in html[:300]:
        return {
            "heading": ["sitemap"],
            "stories": sorted(unescape(loc) for loc in _SITEMAP_LOC.findall(html)),
            "tags": [],
        }
    if html.startswith("<?xml"):
        return {
            "heading": ["feed"],
            "stories": [unescape(t) for t in _FEED_ITEM_TITLE.findall(html)],
            "tags": [],
            "related": [],
        }
    return {
        "heading": [unescape(_MARKUP.sub("", h)) for h in _HEADING.findall(html)],
        # Search results mark the words found in their titles.
        "stories": [unescape(_MARKUP.sub("", t)) for t in _CARD_TITLE.findall(html)],
        "tags": [(unescape(name), unescape(count)) for name, count in _TAG_ENTRY.findall(html)],
        "related": [unescape(t) for t in _RELATED.findall(html)],
    }
