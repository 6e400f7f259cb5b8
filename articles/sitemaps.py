"""Sitemaps and robots.txt, at the site's root: one set for both languages.

- ``/sitemap.xml``: the sitemap index. It lists ``/sitemap-pages.xml`` (the home pages and
  tag indexes), ``/sitemap-stories-<n>.xml`` (stories), ``/sitemap-tags-<n>.xml`` (single-tag
  pages) and ``/sitemap-news.xml`` (Google News: the last 48 hours).
- Each page has one ``<url>`` per language it exists in with content (Google's recommended
  form), each naming every language version as an ``xhtml:link`` alternate plus ``x-default``
  (``articles.views.x_default_language()``, the pages' own rule), and a ``lastmod``: a story's
  last change, a tag page's newest story in that language, the home pages' and tag indexes'
  newest publication.
- What a reader cannot see is in none of them: drafts, scheduled stories, translations that are
  not ready, tags whose stories are all scheduled (their names would tell an embargoed topic).

Files are ranges of ids, not pages of a list: story file ``n`` holds the stories with an id in
``((n - 1) * k, n * k]``, where ``k`` is ``SITEMAP_URLS_PER_FILE`` divided by the number of
languages (so a file never exceeds the limit, whatever gets translated); tag files likewise.
Reading file ``n`` is a range of the primary key, read in order in chunks of ``CHUNK`` rows
(keyset: each chunk starts after the last id of the one before), and written out as it is read:
a StreamingHttpResponse, never the whole file in memory, and file 1,000 costs what file 1 does.
The index finds which ranges hold anything with one statement: one probe of the primary key per
file (``filled_files()``).

Django's sitemaps framework where it fits: its ``X-Robots-Tag`` decorator (sitemaps are for
crawlers, not search results). Not its views and ``Sitemap`` class: their ``Paginator`` counts
the whole list and reads a page with ``OFFSET`` (file 40 reads the 39 before it), and with
``i18n`` it makes the list of every (item, language) in memory before paginating. Not its
templates either: they render every URL in memory and write ``lastmod`` as a date, not a
time; with the index template, an index of a thousand files (what a million stories make)
took 325 ms on a busy machine, where this module's took 68 ms. bench/naive.py keeps that
version, which the benchmark measures beside this one.

Caching: sitemaps are streamed, so the page cache (which keeps whole responses) does not keep
them; they send ``Cache-Control: max-age=SITEMAP_CACHE_SECONDS`` for crawlers and proxies. Each
request reads the database, so a publication shows in them at once for a new request, and
within that many seconds for a proxy's copy.
"""

import contextlib
from datetime import UTC, timedelta
from itertools import chain
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps.views import x_robots_tag
from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from modeltranslation.utils import build_localized_fieldname

from articles.models import Article, Tag, TaggedArticle, language_codes, language_filter
from articles.views import absolute_url, reverse_in, x_default_language

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# Rows read at a time while a file is written.
CHUNK = 2000
# Google News reads the stories of the last two days, 1,000 URLs at most.
NEWS_WINDOW = timedelta(hours=48)
NEWS_MAX_URLS = 1000
XML_TYPE = "application/xml; charset=utf-8"
# Stand for a slug or a file number in a path reversed once (address_maker()).
_SLOT = "slot-0-slot"
_NUMBER_SLOT = 987654321


def w3c_datetime(moment):
    """ "2026-12-01T09:30:00+00:00": the W3C datetime sitemaps use, to the second, in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class W3CDatetime(Func):
    """A time as w3c_datetime() writes it, made by PostgreSQL: a file has thousands, and
    reading a string costs a fraction of making a datetime object of each."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
    output_field = CharField()


def ids_per_file():
    """Ids per file: a story or tag is a page in every language at most."""
    return settings.SITEMAP_URLS_PER_FILE // len(language_codes())


def address_maker(request, viewname, kwarg, language=None, slot=_SLOT):
    """slug -> the absolute, XML-escaped address of ``viewname`` (in ``language``).

    reverse() once per response rather than once per URL (a file has thousands): slugs are
    lower-case ASCII and file numbers digits, which reverse() passes through as they are.
    """
    with translation.override(language or translation.get_language()):
        path = reverse(viewname, kwargs={kwarg: slot})
    before, after = path.split(str(slot))
    before, after = escape(absolute_url(request, before)), escape(after)
    return lambda slug: f"{before}{slug}{after}"


def url_entries(versions, lastmods, preferred=None, extra=None):
    """The ``<url>`` entries of one page: ``versions`` maps each language it exists in to its
    (escaped) address, ``lastmods`` to its W3C time; ``extra`` maps a language to more XML."""
    default = versions[x_default_language(list(versions), preferred)]
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang="{code}" href="{url}"/>'
        for code, url in versions.items()
    )
    links += f'<xhtml:link rel="alternate" hreflang="x-default" href="{default}"/>'
    return "".join(
        f"<url><loc>{url}</loc><lastmod>{lastmods[code]}</lastmod>"
        f"{extra[code] if extra else ''}{links}</url>\n"
        for code, url in versions.items()
    )


def urlset(entries, news=False):
    """The file's bytes, a few hundred entries at a time."""
    namespaces = f'xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}"'
    if news:
        namespaces += f' xmlns:news="{NEWS_NS}"'
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n'.encode()
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= 200:
            yield "".join(batch).encode()
            batch = []
    batch.append("</urlset>\n")
    yield "".join(batch).encode()


def cached_for_crawlers(response):
    patch_cache_control(response, public=True, max_age=settings.SITEMAP_CACHE_SECONDS)
    return response


def streamed(entries, news=False, empty_is_404=True):
    """A streamed sitemap of ``entries`` (a lazy iterable of strings).

    The first entry is made before answering, so that a file with nothing in it is a 404
    rather than an empty (invalid) sitemap.
    """
    entries = iter(entries)
    first = next(entries, None)
    if first is None and empty_is_404:
        raise Http404("No such sitemap.")
    rest = entries if first is None else chain([first], entries)
    response = StreamingHttpResponse(urlset(rest, news), content_type=XML_TYPE)
    return cached_for_crawlers(response)


def keyset_chunks(queryset, low, high, chunk=None):
    """Lists of rows of ``queryset`` (values_list, pk first) with ``low < pk <= high``,
    in pk order: one query per chunk, each starting after the last pk of the one before."""
    chunk = chunk or CHUNK
    last = low
    while True:
        rows = list(queryset.filter(pk__gt=last, pk__lte=high).order_by("pk")[:chunk])
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def filled_files(queryset, size):
    """The numbers (from 1) of the files of ``size`` ids holding at least one row of
    ``queryset``, in one statement: one probe of the primary key per file, up to its
    largest id (read from the end of the primary key index)."""
    model = queryset.model
    quote = connections[queryset.db].ops.quote_name
    probe = (
        queryset.filter(pk__gt=RawSQL("files.low", ()), pk__lte=RawSQL("files.low + %s", (size,)))
        .order_by()
        .values("pk")[:1]
    )
    sql, params = probe.query.sql_with_params()
    # Names quoted by the connection, values as parameters.
    statement = (
        "SELECT files.number FROM ("  # noqa: S608
        "SELECT n + 1 AS number, n * %s AS low FROM generate_series("
        f"0, (SELECT coalesce(max({quote(model._meta.pk.column)}), 0) - 1 "
        f"FROM {quote(model._meta.db_table)}) / %s) AS n"
        f") AS files WHERE EXISTS ({sql}) ORDER BY files.number"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, [size, size, *params])
        return [number for (number,) in cursor.fetchall()]


def file_range(number, size):
    """(low, high) ids of file ``number``; Http404 past any id."""
    low = (number - 1) * size
    if number < 1 or low >= 2**63 - 1:
        raise Http404("No such sitemap.")
    return low, number * size


def canonical_number(request, viewname, number):
    """File numbers have one spelling: "/sitemap-stories-01.xml" is no address."""
    if request.path != reverse(viewname, kwargs={"number": number}):
        raise Http404("No such sitemap.")


# Stories


def live_columns():
    """Each language's ``live_<code>``: whether readers may see that version (the rule's)."""
    return {
        f"live_{code}": ExpressionWrapper(language_filter(code), output_field=BooleanField())
        for code in language_codes()
    }


def story_rows(queryset, *extra):
    """What a story's entries need, pk first: its original language, its times, and each
    language's slug and whether it is readable."""
    codes = language_codes()
    # Its last change; a scheduled story went online at its publication time, after it.
    lastmod = W3CDatetime(Greatest("updated_at", "published_at"))
    return queryset.annotate(
        **live_columns(), lastmod=lastmod, published=W3CDatetime("published_at")
    ).values_list(
        "pk",
        "source_language",
        "published",
        "lastmod",
        *[build_localized_fieldname("slug", code) for code in codes],
        *[f"live_{code}" for code in codes],
        *extra,
    )


def story_versions(request):
    """row -> ({language: address}, {language: lastmod}) of a story row (story_rows())."""
    codes = language_codes()
    addresses = [address_maker(request, "articles:article-detail", "slug", code) for code in codes]
    count = len(codes)

    def versions(row):
        slugs, live = row[4 : 4 + count], row[4 + count : 4 + 2 * count]
        urls = {
            code: address(slug)
            for code, address, slug, readable in zip(codes, addresses, slugs, live, strict=True)
            if readable and slug
        }
        return urls, dict.fromkeys(urls, row[3])

    return versions


def story_entries(request, low, high):
    rows = story_rows(Article.objects.readable_in_any_language())
    versions = story_versions(request)
    for chunk in keyset_chunks(rows, low, high):
        for row in chunk:
            urls, lastmods = versions(row)
            if urls:
                yield url_entries(urls, lastmods, preferred=row[1])


def story_files():
    return filled_files(Article.objects.readable_in_any_language(), ids_per_file())


@require_safe
@x_robots_tag
def stories_sitemap(request, number):
    canonical_number(request, "sitemaps:stories", number)
    low, high = file_range(number, ids_per_file())
    return streamed(story_entries(request, low, high))


# Tags


def tags_with_pages():
    """Tags with a page in at least one language, each with its ``latest_<code>``."""
    codes = language_codes()
    somewhere = Q()
    for code in codes:
        somewhere |= Q(**{f"latest_{code}__isnull": False})
    return Tag.objects.with_latest_stories().filter(somewhere)


def tag_entries(request, low, high):
    codes = language_codes()
    counted = Q()
    for code in codes:
        counted |= Q(**{f"story_count_{code}__gt": 0})
    # The maintained counts rule out most unused tags; the latest readable story tells the
    # rest (computed once per row: filtering on it would compute it again).
    rows = (
        Tag.objects.with_latest_stories()
        .filter(counted)
        .annotate(**{f"lastmod_{code}": W3CDatetime(f"latest_{code}") for code in codes})
        .values_list(
            "pk",
            *[build_localized_fieldname("slug", code) for code in codes],
            *[f"lastmod_{code}" for code in codes],
        )
    )
    addresses = [address_maker(request, "articles:tag-detail", "slugs", code) for code in codes]
    count = len(codes)
    for chunk in keyset_chunks(rows, low, high):
        for row in chunk:
            slugs, latest = row[1 : 1 + count], row[1 + count : 1 + 2 * count]
            urls, lastmods = {}, {}
            for code, address, slug, moment in zip(codes, addresses, slugs, latest, strict=True):
                if moment is not None and slug:
                    urls[code] = address(slug)
                    lastmods[code] = moment
            if urls:
                yield url_entries(urls, lastmods)


def tag_files():
    return filled_files(tags_with_pages(), ids_per_file())


@require_safe
@x_robots_tag
def tags_sitemap(request, number):
    canonical_number(request, "sitemaps:tags", number)
    low, high = file_range(number, ids_per_file())
    return streamed(tag_entries(request, low, high))


# Home pages and tag indexes


def latest_publications():
    """{(page, language): publication time}: the newest readable story in each language
    ("home"), and the newest readable story with a tag ("tags"), which the tag index lists.

    One statement: one read of each language's readable index, stopped at its first row.
    """
    parts = []
    for code in language_codes():
        readable = Article.objects.readable(code).order_by("-published_at", "-pk")
        links = TaggedArticle.objects.filter(content_object=OuterRef("pk"))
        tagged = readable.filter(Exists(links))
        for page, stories in (("home", readable), ("tags", tagged)):
            parts.append(
                stories.annotate(page=Value(page), language=Value(code)).values_list(
                    "page", "language", "published_at"
                )[:1]
            )
    rows = parts[0].union(*parts[1:], all=True)
    return {(page, code): moment for page, code, moment in rows}


def page_entries(request, latest):
    for page, viewname in (("home", "articles:article-list"), ("tags", "articles:tag-list")):
        urls, lastmods = {}, {}
        for code in language_codes():
            if (page, code) in latest:
                urls[code] = escape(absolute_url(request, reverse_in(code, viewname)))
                lastmods[code] = w3c_datetime(latest[page, code])
        if urls:
            yield url_entries(urls, lastmods)


@require_safe
@x_robots_tag
def pages_sitemap(request):
    return streamed(page_entries(request, latest_publications()))


# Google News


def news_entries(request, now):
    codes = language_codes()
    titles = [build_localized_fieldname("title", code) for code in codes]
    rows = story_rows(
        Article.objects.readable_in_any_language().filter(published_at__gt=now - NEWS_WINDOW),
        *titles,
    ).order_by("-published_at", "-pk")[:NEWS_MAX_URLS]
    names = {}
    for code in codes:
        with translation.override(code):
            names[code] = escape(_("The Newsroom"))
    versions = story_versions(request)
    written = 0
    for row in rows:
        urls, lastmods = versions(row)
        if not urls:
            continue
        urls = dict(list(urls.items())[: NEWS_MAX_URLS - written])
        published = row[2]
        story_titles = dict(zip(codes, row[-len(codes) :], strict=True))
        extra = {
            code: (
                "<news:news><news:publication>"
                f"<news:name>{names[code]}</news:name><news:language>{code}</news:language>"
                f"</news:publication><news:publication_date>{published}"
                f"</news:publication_date><news:title>{escape(story_titles[code])}</news:title>"
                "</news:news>"
            )
            for code in urls
        }
        yield url_entries(urls, lastmods, preferred=row[1], extra=extra)
        written += len(urls)
        if written >= NEWS_MAX_URLS:
            return


@require_safe
@x_robots_tag
def news_sitemap(request):
    # A fixed address named in robots.txt: with no story in two days it is an empty list.
    return streamed(news_entries(request, timezone.now()), news=True, empty_is_404=False)


# The index and robots.txt


def index_entries(request, latest):
    newest = max(latest.values(), default=None)
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
    if newest is not None:
        lastmod = f"<lastmod>{w3c_datetime(newest)}</lastmod>"
        files = ["pages"]
        if newest > timezone.now() - NEWS_WINDOW:
            files.append("news")
        for name in files:
            url = escape(absolute_url(request, reverse(f"sitemaps:{name}")))
            yield f"<sitemap><loc>{url}</loc>{lastmod}</sitemap>\n"
    # The story and tag files have no lastmod: it would mean reading each one whole.
    for name, numbers in (("stories", story_files()), ("tags", tag_files())):
        address = address_maker(request, f"sitemaps:{name}", "number", slot=_NUMBER_SLOT)
        yield "".join(f"<sitemap><loc>{address(number)}</loc></sitemap>\n" for number in numbers)
    yield "</sitemapindex>\n"


@require_safe
@x_robots_tag
def sitemap_index(request):
    entries = (entry.encode() for entry in index_entries(request, latest_publications()))
    return cached_for_crawlers(StreamingHttpResponse(entries, content_type=XML_TYPE))


def disallowed_paths():
    """The paths crawlers are asked to leave alone, in every language: the admin, previews
    and search results (once the site has a search page, ``articles:search``)."""
    paths = []
    for code in language_codes():
        paths.append(reverse_in(code, "admin:index"))
        with translation.override(code):
            preview = reverse("articles:preview", kwargs={"token": _SLOT})
        paths.append(preview.split(_SLOT)[0])
        with contextlib.suppress(NoReverseMatch):
            paths.append(reverse_in(code, "articles:search"))
    return paths


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *[f"Disallow: {path}" for path in disallowed_paths()], ""]
    for viewname in ("sitemaps:index", "sitemaps:news"):
        lines.append(f"Sitemap: {absolute_url(request, reverse(viewname))}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    return cached_for_crawlers(response)
