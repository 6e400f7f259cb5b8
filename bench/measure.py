"""What the benchmark measures in-process: the pages, their server time, queries and plans.

Requests go through django.test.Client, so each one runs the whole middleware
stack, URL routing, the view and its templates: that is the server time, minus
the WSGI server. Call these inside ``bench_settings()``.
"""

import math
import re
import statistics
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from articles.feeds import tag_feed_url
from articles.models import Article, Tag, TaggedArticle, story_count_field
from articles.pagination import StoryCursor

BENCH_DIR = Path(__file__).resolve().parent
# The tables a public page must never read whole.
BIG_TABLES = ("articles_article", "articles_taggedarticle")
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
# The page depth of the deep tag page, in pages skipped.
DEEP_PAGES = 500


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
    for key, operator, name in (("tags-all", "+", "a+b"), ("tags-any", ",", "a,b")):
        slugs = operator.join(tag_slug(t, language) for t in top)
        pages.append(
            Page(
                key,
                f"tags {name}",
                Tag.combination_url(top, operator, language),
                naive_url("tag-detail", language, slugs=slugs),
            )
        )
    return pages


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
    return response


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


_CARD_TITLE = re.compile(r'<article class="story-card">\s*<h2><a href="[^"]*">(.*?)</a></h2>', re.S)
_HEADING = re.compile(r"<h1>(.*?)</h1>", re.S)
_TAG_ENTRY = re.compile(
    r'<li><a href="[^"]*">([^<]*)</a>\s*<span class="count">([^<]*)</span></li>'
)


_FEED_ITEM_TITLE = re.compile(r"<item><title>(.*?)</title>", re.S)
_RELATED = re.compile(r'<li class="related-story"><a href="[^"]*">(.*?)</a>', re.S)


def listed(html):
    """What a page lists: its heading, its story titles, its tag index entries and its
    related stories.

    A feed lists its items' titles.
    """
    if html.startswith("<?xml"):
        return {
            "heading": ["feed"],
            "stories": [unescape(t) for t in _FEED_ITEM_TITLE.findall(html)],
            "tags": [],
            "related": [],
        }
    return {
        "heading": [unescape(h) for h in _HEADING.findall(html)],
        "stories": [unescape(t) for t in _CARD_TITLE.findall(html)],
        "tags": [(unescape(name), unescape(count)) for name, count in _TAG_ENTRY.findall(html)],
        "related": [unescape(t) for t in _RELATED.findall(html)],
    }
