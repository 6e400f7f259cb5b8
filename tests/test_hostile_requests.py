"""Hostile requests: NUL bytes, invalid UTF-8 and junk in every parameter and path segment.

Hypothesis builds the query strings and paths. The test client re-raises a view's
exception, so one that escapes any view fails the example with its traceback; an
error page made some other way fails on its status or its body.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from articles import previews, sitemaps
from articles.models import PreviewLink, Tag
from articles.pagination import StoryCursor
from tests.factories import ArticleFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

ANSWERS = {200, 301, 302, 304, 400, 404, 405}

hostile = settings(
    max_examples=15,
    deadline=None,
    database=None,  # each run explores afresh and leaves no files behind
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Percent-encoded as a link carries them: NUL, invalid UTF-8 (a stray continuation byte, a
# truncated sequence, an overlong "/", a lone surrogate, a code point past U+10FFFF),
# control and direction characters, and what SQL, tsquery, regex and URL syntax care about.
NASTY = [
    "%00",
    "%ff%fe",
    "%c3%28",
    "%80",
    "%e2%82",
    "%c0%af",
    "%ed%a0%80",
    "%ed%bf%bf",
    "%f4%90%80%80",
    "%f8%88%80%80%80",
    "%ef%bb%bf",
    "%e2%80%ae",
    "%0a",
    "%0d%0a",
    "%09",
    "%7f",
    "%",
    "%%",
    "%zz",
    "%2",
    "+",
    "%2B",
    "%2C",
    "%26",
    "%3D",
    "&",
    "=",
    ";",
    "%27",
    "%22",
    "%5C",
    "--",
    "%27%20OR%201%3D1--",
    ":*",
    "%7C",
    "!",
    "(",
    "%5B",
    "*",
    "..%2F",
    "%3Cscript%3E",
    "-",
    "0",
    "-1",
]

# Junk as hostile cursors: out of range, negative, truncated, padded, in other digits.
BAD_CURSORS = [
    "",
    "-",
    "20240131093000000000",
    "20240131093000000000-",
    "2024013109300000000-42",
    "20240131093000000000-042",
    "20240131093000000000--42",
    "20240131093000000000-99999999999999999999",
    "20240131093000000000-9223372036854775807",
    "20240131093000000000-9223372036854775808",
    "99999999999999999999-1",
    "00000000000000000000-1",
    "00010101000000000000-1",
    "99991231235959999999-1",
    "20241301000000000000-1",
    "20240230000000000000-1",
    "20240131246060000000-1",
    "-20240131093000000000-1",
    "%D9%A2%D9%A0%D9%A2%D9%A4" * 5 + "-1",
    "20240131093000000000-1" * 100,
    "9" * 5000,
]

piece = st.one_of(
    st.sampled_from(NASTY),
    # Hypothesis favours zero bytes, and a NUL anywhere makes the whole request a 400.
    st.binary(min_size=1, max_size=6).map(
        lambda data: quote_from_bytes(data.replace(b"\0", b"\x80"), safe="")
    ),
    st.text(min_size=1, max_size=6).map(lambda text: quote(text, safe="")),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8),
)
junk = st.lists(piece, min_size=1, max_size=6).map("".join)
long_junk = st.builds(
    lambda text, size: (text * size)[:size], piece, st.sampled_from([1_000, 4_096, 10_000])
)
number = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 9999, 10_000, 2**31, 2**63, 2**64, 10**30, -(10**30)]),
).map(str)


@dataclass
class Endpoint:
    path: str
    params: dict  # what the page reads: name -> the values it expects (hostile ones join them)
    fixed_query: str = ""  # what the address needs to mean anything (the autocomplete's model)


def query_strings(endpoint, target):
    """A query with a hostile ``target`` among a few other parameters, percent-encoded.

    Drawn with it: whether to send it raw, the bytes it stands for in the WSGI
    environment undecoded, as a careless client would.
    """

    def value_for(name):
        expected = endpoint.params.get(name, junk)
        with_nul = st.tuples(expected, expected).map("%00".join)
        return st.one_of(expected, expected, junk, long_junk, number, with_nul)

    def pairs(names):
        return names.flatmap(lambda name: value_for(name).map(lambda value: f"{name}={value}"))

    known = st.sampled_from(sorted(endpoint.params))
    # Mostly parameters the page reads: an unknown name often ends a request early (the
    # admin refuses it), which would hide what the target's value does.
    others = st.lists(st.one_of(pairs(known), pairs(known), pairs(junk), known, junk), max_size=3)
    query = (
        st.tuples(pairs(st.just(target)), others)
        .flatmap(lambda drawn: st.permutations([drawn[0], *drawn[1]]))
        .map("&".join)
    )
    return st.tuples(query, st.booleans())


def fetch(client, endpoint, query, raw):
    if raw:
        query = unquote_to_bytes(query).decode("latin-1")
    query = "&".join(part for part in (endpoint.fixed_query, query) if part)
    return get(client, endpoint.path, QUERY_STRING=query)


def get(client, path, **extra):
    # Each example in a savepoint of its own: a database error in one is reported as
    # itself, instead of as the aborted transaction every later example would find.
    with transaction.atomic():
        response = client.get(path, **extra)
        if response.streaming:
            # Read inside the savepoint: a streamed sitemap queries as it is written.
            response.read_body = b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


def assert_answered(response, what):
    event(f"status {response.status_code}")
    assert response.status_code in ANSWERS, f"{response.status_code} for {what}"
    content = response.read_body if response.streaming else response.content
    assert b"Traceback" not in content, what
    assert b"Server Error" not in content, what


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Before the staff fixture: each test makes its users afresh, and hashing dominates.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def corpus(db, settings):
    """A few stories in both languages, a draft, tags; two stories a page, so pages have cursors."""
    settings.ARTICLES_PER_PAGE = 2
    russia = TagFactory(name_fr="Russie", name_en="Russia")
    ukraine = TagFactory(name_fr="Ukraine", name_en="Ukraine")
    elections = TagFactory(name_fr="Élections", name_en="Elections")
    author = UserFactory(first_name="Léa", last_name="Dubois")
    Group.objects.create(name="Édition")
    stories = [
        ArticleFactory(tags=[russia, ukraine], english=True, authors=[author]),
        ArticleFactory(tags=[russia]),
        ArticleFactory(tags=[ukraine, elections], english=True),
        ArticleFactory(tags=[russia, elections], english=True),
        ArticleFactory(tags=[elections]),
        ArticleFactory(tags=[ukraine], draft=True),
        ArticleFactory(tags=[russia], published_at=timezone.now() + timedelta(days=1)),
    ]
    return {
        "stories": stories,
        "tags": [russia, ukraine, elections],
        "cursors": [str(StoryCursor(story.published_at, story.pk)) for story in stories[:5]],
    }


def cursor_values(corpus):
    real = st.sampled_from(corpus["cursors"])
    return st.one_of(
        real,
        st.sampled_from(BAD_CURSORS),
        st.tuples(real, piece).map("".join),
        st.tuples(piece, real).map("".join),
        real.map(lambda cursor: cursor[:-1]),
    )


def tag_cursor_values(corpus):
    slugs = [tag.slug_fr for tag in corpus["tags"]] + [tag.slug_en for tag in corpus["tags"]]
    real = st.sampled_from(slugs)
    return st.one_of(real, st.tuples(real, piece).map("".join), st.sampled_from(BAD_CURSORS))


def public_endpoints(corpus):
    russia, ukraine, _elections = corpus["tags"]
    story = corpus["stories"][0]
    stories = {"after": cursor_values(corpus), "before": cursor_values(corpus)}
    tags = {"after": tag_cursor_values(corpus), "before": tag_cursor_values(corpus)}
    endpoints = {}
    for code in ("fr", "en"):
        with translation.override(code):
            endpoints |= {
                f"home-{code}": Endpoint(reverse("articles:article-list"), stories),
                f"tag-list-{code}": Endpoint(reverse("articles:tag-list"), tags),
                f"tag-{code}": Endpoint(russia.url_for(code), stories),
                f"tags-all-{code}": Endpoint(Tag.combination_url([russia, ukraine], "+"), stories),
                f"tags-any-{code}": Endpoint(Tag.combination_url([russia, ukraine], ","), stories),
                f"story-{code}": Endpoint(story.url_for(code), stories),
            }
    return endpoints


def admin_endpoints(corpus):
    tag_ids = st.sampled_from([str(tag.pk) for tag in corpus["tags"]])
    orderings = st.lists(
        st.one_of(number, st.sampled_from(["1", "-2", "3", "--1", ""])), max_size=4
    )
    years = st.one_of(number, st.sampled_from(["1", "2024", "9998", "9999", "10000", "0"]))
    days = st.one_of(number, st.sampled_from(["1", "12", "13", "28", "29", "31", "32"]))
    regex = st.sampled_from(["(", "[", "*", "\\", "a{99999}"])
    changelist = {
        "q": st.one_of(junk, st.sampled_from(["russie", '"', "'", '"a b', "kours*", "a & b"])),
        "o": orderings.map(".".join),
        "p": number,
        "all": st.just(""),
        "e": st.just("1"),
        "_facets": st.sampled_from(["1", "True", ""]),
        "_popup": st.just("1"),
        "_to_field": st.sampled_from(["id", "pk", "password", "title_fr"]),
        "_changelist_filters": junk,
        # Lookups no filter offers, as Django would otherwise apply them.
        "id__in": st.lists(number, max_size=4).map(",".join),
        "id__range": number,
        "id__gt": number,
    }
    article = {
        **changelist,
        "status__exact": st.sampled_from(["draft", "published", "Published", ""]),
        "status__isnull": st.sampled_from(["True", "False", "1", "maybe"]),
        "tag": st.one_of(tag_ids, number),
        "english": st.sampled_from(["yes", "no", "YES", ""]),
        "published_at__year": years,
        "published_at__month": days,
        "published_at__day": days,
        "published_at__gte": junk,
        "title_fr__regex": regex,
        "status__iregex": regex,
        "title_fr__trigram_similar": junk,
        "updated_at__year": years,
        "updated_at__iso_year": years,
        "authors__id__exact": number,
    }
    tag = {
        **changelist,
        "name_in_en": st.sampled_from(["missing", "copied", "translated", ""]),
        "name_fr__regex": regex,
        "story_count_fr__gt": number,
    }
    booleans = st.sampled_from(["0", "1", "True", "junk"])
    user = {
        **changelist,
        "is_staff__exact": booleans,
        "is_superuser__exact": booleans,
        "is_active__exact": booleans,
        "groups__id__exact": number,
        "username__regex": regex,
        "last_login__year": years,
    }
    group = {**changelist, "name__regex": regex}
    autocomplete = {"term": st.one_of(junk, long_junk), "page": number}
    return {
        "article-fr": Endpoint("/fr/admin/articles/article/", article),
        "article-en": Endpoint("/en/admin/articles/article/", article),
        "tag": Endpoint("/fr/admin/articles/tag/", tag),
        "user": Endpoint("/fr/admin/auth/user/", user),
        "group": Endpoint("/fr/admin/auth/group/", group),
        "authors": Endpoint(
            "/fr/admin/autocomplete/",
            autocomplete,
            "app_label=articles&model_name=article&field_name=authors",
        ),
        "tag-picker": Endpoint(
            "/fr/admin/autocomplete/",
            autocomplete,
            "app_label=articles&model_name=taggedarticle&field_name=tag",
        ),
    }


PUBLIC = [
    (f"{page}-{code}", target)
    for code in ("fr", "en")
    for page in ("home", "tag-list", "tag", "tags-all", "tags-any", "story")
    for target in ("after", "before")
]
ADMIN = [
    *[
        ("article-fr", target)
        for target in (
            "q",
            "o",
            "p",
            "status__exact",
            "tag",
            "english",
            "published_at__year",
            "published_at__month",
            "published_at__day",
            "_changelist_filters",
            "title_fr__regex",
            "updated_at__year",
            "id__range",
        )
    ],
    *[("article-en", target) for target in ("q", "tag", "published_at__year")],
    *[("tag", target) for target in ("q", "o", "p", "name_in_en", "name_fr__regex")],
    *[
        ("user", target)
        for target in ("q", "o", "is_staff__exact", "groups__id__exact", "username__regex")
    ],
    *[("group", target) for target in ("q", "o", "p")],
    *[(picker, target) for picker in ("authors", "tag-picker") for target in ("term", "page")],
]


@pytest.mark.parametrize(("page", "target"), PUBLIC)
@hostile
@given(data=st.data())
def test_no_hostile_parameter_makes_a_public_page_fail(client, corpus, page, target, data):
    endpoint = public_endpoints(corpus)[page]
    query, raw = data.draw(query_strings(endpoint, target), label="query")
    assert_answered(fetch(client, endpoint, query, raw), f"{endpoint.path}?{query}")


@pytest.mark.parametrize(("page", "target"), ADMIN)
@hostile
@given(data=st.data())
def test_no_hostile_parameter_makes_an_admin_list_fail(staff_client, corpus, page, target, data):
    endpoint = admin_endpoints(corpus)[page]
    query, raw = data.draw(query_strings(endpoint, target), label="query")
    assert_answered(fetch(staff_client, endpoint, query, raw), f"{endpoint.path}?{query}")


# Path segments: a tag or story address made of junk, percent-encoded as a link carries it.

PATHS = [
    ("/fr/etiquettes/{}/", "client"),
    ("/en/tags/{}/", "client"),
    ("/fr/etiquettes/russie+{}/", "client"),
    ("/en/tags/russia,{}/", "client"),
    ("/fr/articles/{}/", "client"),
    ("/en/stories/{}/", "client"),
    ("/{}/", "client"),
    ("/fr/{}", "client"),
    ("/fr/admin/articles/article/{}/change/", "staff_client"),
    ("/en/admin/articles/tag/{}/change/", "staff_client"),
]
segments = st.one_of(
    junk,
    long_junk,
    number,
    st.tuples(st.sampled_from(["russie", "ukraine", "russia", "fr", "en"]), piece).map("".join),
)


@pytest.mark.parametrize(("template", "who"), PATHS)
@settings(hostile, max_examples=25)
@given(segment=segments)
def test_no_hostile_path_makes_a_page_fail(request, corpus, template, who, segment):
    client = request.getfixturevalue(who)
    path = template.format(segment)
    assert_answered(get(client, path), path)


# What the fuzzing found: admin addresses that were server errors.


@pytest.mark.parametrize(
    "query",
    [
        "published_at__year=9999",
        "published_at__year=9999&published_at__month=12",
        "published_at__year=9999&published_at__month=12&published_at__day=31",
    ],
)
def test_a_date_drill_down_past_the_year_9999_is_an_invalid_filter(staff_client, query):
    response = staff_client.get(f"/fr/admin/articles/article/?{query}")
    assert response.status_code == 302
    assert response["Location"] == "/fr/admin/articles/article/?e=1"


@pytest.mark.parametrize(
    "url",
    [
        "/fr/admin/articles/article/?title_fr__regex=(",
        "/fr/admin/articles/article/?status__iregex=%5B",
        "/fr/admin/articles/article/?title_fr__trigram_similar=russie",
        "/fr/admin/articles/article/?updated_at__year=99999999999",
        "/fr/admin/articles/article/?updated_at__iso_year=99999999999",
        "/fr/admin/articles/article/?id__range=1",
        "/fr/admin/articles/article/?published_at__year=2024&published_at__gte=2024-01-01",
        "/fr/admin/articles/tag/?name_fr__regex=(",
        "/fr/admin/auth/user/?username__regex=(",
        "/fr/admin/auth/user/?last_login__year=99999999999",
        "/fr/admin/auth/group/?name__regex=(",
    ],
)
def test_a_lookup_no_filter_offers_is_a_bad_request(staff_client, url):
    assert staff_client.get(url).status_code == 400


def test_the_date_drill_down_still_filters_the_changelist(staff_client):
    moment = timezone.now() - timedelta(days=400)
    story = ArticleFactory(published_at=moment)
    ArticleFactory()
    local = timezone.localtime(moment)
    response = staff_client.get(
        "/fr/admin/articles/article/",
        {
            "published_at__year": local.year,
            "published_at__month": local.month,
            "published_at__day": local.day,
        },
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [story]


@pytest.mark.parametrize(
    ("url", "listed"),
    [
        ("/fr/admin/articles/article/?status__exact=draft", 1),
        ("/fr/admin/auth/user/?is_staff__exact=1", 1),
        ("/fr/admin/auth/user/?is_staff__exact=0", 2),
    ],
)
def test_the_filters_a_changelist_offers_still_filter(staff_client, url, listed):
    ArticleFactory(draft=True)
    ArticleFactory()
    UserFactory.create_batch(2)
    response = staff_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == listed


def test_a_group_filter_still_lists_its_members(staff_client):
    editors = Group.objects.create(name="Édition")
    member = UserFactory()
    member.groups.add(editors)
    UserFactory()
    response = staff_client.get("/fr/admin/auth/user/", {"groups__id__exact": editors.pk})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [member]


# The readers' addresses (search, feeds, sitemaps, previews, robots.txt, /healthz): hostile
# parameters, paths, methods and Host headers.


def reader_endpoints(corpus):
    russia, ukraine, _elections = corpus["tags"]
    slugs = st.sampled_from([tag.slug_fr for tag in corpus["tags"]])
    search = {
        "q": st.one_of(
            junk,
            long_junk,
            st.sampled_from(
                ["russie", '"a b', "kours*", "a & b", "!(", "a:* | b", "\u202e", "x" * 9999]
            ).map(lambda text: quote(text, safe="")),
        ),
        "tag": st.one_of(slugs, junk, st.tuples(slugs, piece).map("".join)),
        "after": cursor_values(corpus),
        "before": cursor_values(corpus),
    }
    stories = {"after": cursor_values(corpus), "before": cursor_values(corpus)}
    endpoints = {}
    for code in ("fr", "en"):
        with translation.override(code):
            endpoints |= {
                f"search-{code}": Endpoint(reverse("articles:search"), search),
                f"feed-{code}": Endpoint(reverse("articles:feed"), stories),
                f"tag-feed-{code}": Endpoint(
                    reverse("articles:tag-feed", kwargs={"slugs": russia.slug_fr}), stories
                ),
            }
    sitemap = {"page": number, "p": number}
    endpoints |= {
        "robots": Endpoint(reverse("sitemaps:robots"), sitemap),
        "sitemap-index": Endpoint(reverse("sitemaps:index"), sitemap),
        "sitemap-news": Endpoint(reverse("sitemaps:news"), sitemap),
        "sitemap-stories": Endpoint(
            reverse("sitemaps:stories", kwargs={"number": next(iter(sitemaps.story_files()))}),
            sitemap,
        ),
        "healthz": Endpoint("/healthz", sitemap),
    }
    return endpoints


READERS = [
    *[(f"search-{code}", target) for code in ("fr", "en") for target in ("q", "tag", "after")],
    ("search-fr", "before"),
    *[(f"{feed}-{code}", "after") for feed in ("feed", "tag-feed") for code in ("fr", "en")],
    *[
        (name, "page")
        for name in ("robots", "sitemap-index", "sitemap-news", "sitemap-stories", "healthz")
    ],
]


@pytest.mark.parametrize(("page", "target"), READERS)
@hostile
@given(data=st.data())
def test_no_hostile_parameter_makes_a_readers_page_fail(client, corpus, page, target, data):
    endpoint = reader_endpoints(corpus)[page]
    query, raw = data.draw(query_strings(endpoint, target), label="query")
    assert_answered(fetch(client, endpoint, query, raw), f"{endpoint.path}?{query}")


READER_PATHS = [
    # Tag expressions in feeds: malformed, huge, with junk between the slugs.
    "/fr/etiquettes/{}/flux/",
    "/en/tags/russia+{}/feed/atom/",
    "/fr/etiquettes/russie,{}/flux/atom/",
    # Sitemap files by number: negative, huge, padded, junk.
    "/sitemap-stories-{}.xml",
    "/sitemap-tags-{}.xml",
    # Preview links with made-up, truncated or hostile tokens.
    "/fr/apercu/{}/",
    "/en/preview/{}/",
    # A language the site does not have.
    "/{}/recherche/",
    "/de/{}/",
]
tag_expressions = st.one_of(
    segments,
    st.lists(st.sampled_from(["russie", "ukraine", "russia", "x", ""]), max_size=400).map("+".join),
    st.lists(st.sampled_from(["russie", "ukraine", "+", ",", "++", ",,"]), max_size=60).map(
        "".join
    ),
)
file_numbers = st.one_of(
    number,
    st.sampled_from(["0", "-1", "00001", "1e9", "9" * 400, "%31", "1%00", "1.5", ""]),
)


@pytest.mark.parametrize("template", READER_PATHS)
@settings(hostile, max_examples=20)
@given(data=st.data())
def test_no_hostile_path_makes_a_readers_page_fail(client, corpus, template, data):
    if "sitemap" in template:
        segment = data.draw(file_numbers, label="number")
    else:
        segment = data.draw(tag_expressions, label="segment")
    path = template.format(segment)
    assert_answered(get(client, path), path)


def test_a_huge_tag_expression_is_not_found_without_a_server_error(client, corpus):
    path = "/fr/etiquettes/" + "+".join(["russie"] * 5000) + "/flux/"
    assert get(client, path).status_code in {301, 302, 400, 404}


def test_a_junk_preview_token_shows_nothing(client, corpus):
    for token in ["x", "1:abc:def", "MQ:1abc:" + "A" * 43, "." * 500, "%00"]:
        assert get(client, f"/fr/apercu/{token}/").status_code in {400, 404}


def reader_addresses(corpus):
    story = corpus["stories"][0]
    russia = corpus["tags"][0]
    addresses = {
        "robots": reverse("sitemaps:robots"),
        "sitemap-index": reverse("sitemaps:index"),
        "sitemap-pages": reverse("sitemaps:pages"),
        "sitemap-stories": reverse(
            "sitemaps:stories", kwargs={"number": next(iter(sitemaps.story_files()))}
        ),
        "sitemap-tags": reverse(
            "sitemaps:tags", kwargs={"number": next(iter(sitemaps.tag_files()))}
        ),
        "sitemap-news": reverse("sitemaps:news"),
        "healthz": "/healthz",
    }
    for code in ("fr", "en"):
        with translation.override(code):
            addresses |= {
                f"home-{code}": reverse("articles:article-list"),
                f"story-{code}": story.url_for(code),
                f"tag-list-{code}": reverse("articles:tag-list"),
                f"tag-{code}": russia.url_for(code),
                f"feed-{code}": reverse("articles:feed"),
                f"feed-atom-{code}": reverse("articles:feed-atom"),
                f"tag-feed-{code}": reverse(
                    "articles:tag-feed", kwargs={"slugs": getattr(russia, f"slug_{code}")}
                ),
                f"tag-feed-atom-{code}": reverse(
                    "articles:tag-feed-atom", kwargs={"slugs": getattr(russia, f"slug_{code}")}
                ),
                f"search-{code}": reverse("articles:search") + "?q=russie",
            }
    return addresses


READER_PAGES = [
    "robots",
    "sitemap-index",
    "sitemap-pages",
    "sitemap-stories",
    "sitemap-tags",
    "sitemap-news",
    "healthz",
    *[
        f"{page}-{code}"
        for code in ("fr", "en")
        for page in (
            "home",
            "story",
            "tag-list",
            "tag",
            "feed",
            "feed-atom",
            "tag-feed",
            "tag-feed-atom",
            "search",
        )
    ],
]
ODD_METHODS = ["POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"]


@pytest.mark.parametrize("page", READER_PAGES)
@pytest.mark.parametrize("method", ODD_METHODS)
def test_a_readers_page_answers_only_get_and_head(client, corpus, page, method):
    address = reader_addresses(corpus)[page]
    response = client.generic(method, address, "a=1", "application/x-www-form-urlencoded")
    assert response.status_code == 405, f"{method} {address}"
    assert set(response["Allow"].replace(" ", "").split(",")) <= {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("page", READER_PAGES)
def test_a_readers_page_answers_get_head_and_options(client, corpus, page):
    address = reader_addresses(corpus)[page]
    assert get(client, address).status_code == 200
    assert client.head(address).status_code == 200
    assert client.options(address).status_code in {200, 405}


def test_a_preview_link_answers_only_get_and_head(client, corpus):
    link = PreviewLink.objects.create(
        story=corpus["stories"][5], language="fr", expires_at=timezone.now() + timedelta(days=1)
    )
    address = previews.preview_path(link)
    assert client.get(address).status_code == 200
    assert client.post(address, {"a": "1"}).status_code == 405
    assert client.delete(address).status_code == 405
    assert PreviewLink.objects.filter(pk=link.pk).exists()


ODD_HOSTS = [
    "",
    "evil.example",
    "news.example.org.evil.example",
    "news.example.org:junk",
    "news.example.org:-1",
    "news.example.org:80:80",
    "news.exämple.org",
    "xn--news-.example.org",
    "a" * 5000,
    "a." * 2000 + "org",
    "[::1]",
    "[::1",
    "[fe80::1%25eth0]:80",
    "news.example.org..",
    ".news.example.org",
    "news.example.org/evil",
    "news.example.org@evil.example",
    "news.example.org\\evil.example",
    "news.example.org\r\nX-Injected: 1",
    "news example org",
    "127.0.0.1",
    "0x7f.1",
]


@pytest.mark.parametrize("host", ODD_HOSTS)
@pytest.mark.parametrize("page", ["home-fr", "story-en", "robots", "sitemap-index", "feed-fr"])
def test_an_odd_host_header_is_a_bad_request_in_production(client, corpus, settings, page, host):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SITE_URL = "https://news.example.org"
    address = reader_addresses(corpus)[page]
    response = get(client, address, HTTP_HOST=host)
    assert response.status_code == 400, f"{host!r} {address}"
    assert b"Traceback" not in response.content
    assert b"evil" not in response.content


# The same host as DNS spells it (a trailing dot) or with a port: Django takes them, and
# pages still name only the public address.
SAME_HOSTS = ["news.example.org.", "news.example.org:8443", "news.example.org:99999999999"]


@pytest.mark.parametrize("host", SAME_HOSTS)
@pytest.mark.parametrize("page", ["home-fr", "story-en", "robots", "sitemap-index", "feed-fr"])
def test_the_public_host_spelt_otherwise_links_to_the_public_address(
    client, corpus, settings, page, host
):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SITE_URL = "https://news.example.org"
    address = reader_addresses(corpus)[page]
    response = get(client, address, HTTP_HOST=host, secure=True)
    assert response.status_code == 200, f"{host!r} {address}"
    content = response.read_body if response.streaming else response.content
    assert host.encode() not in content
    assert b"https://news.example.org/" in content


@pytest.mark.parametrize("host", ["evil.example", "", "[::1]", "a" * 5000])
def test_the_health_check_answers_whatever_the_host(client, settings, host):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["news.example.org"]
    assert get(client, "/healthz", HTTP_HOST=host).status_code in {200, 503}


@pytest.mark.parametrize("page", ["home-fr", "robots"])
def test_the_public_host_is_still_served_in_production(client, corpus, settings, page):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SITE_URL = "https://news.example.org"
    address = reader_addresses(corpus)[page]
    response = get(client, address, HTTP_HOST="news.example.org", secure=True)
    assert response.status_code == 200
