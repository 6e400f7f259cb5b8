"""Sitemaps and robots.txt (articles/sitemaps.py), read with lxml and urllib.robotparser."""

import re
import urllib.robotparser
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from articles import sitemaps
from articles.models import Article, LanguageState
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITE = "https://news.example.org"
# W3C datetime to the second, with a time zone.
W3C_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def xml(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(body(response))


def path_of(url):
    assert url.startswith(SITE), url
    return url[len(SITE) :]


def index_files(client):
    root = xml(client, reverse("sitemaps:index"))
    assert root.tag == f"{{{NS['s']}}}sitemapindex"
    return [loc.text for loc in root.iterfind("s:sitemap/s:loc", NS)]


class Entry:
    def __init__(self, element):
        self.loc = element.findtext("s:loc", namespaces=NS)
        self.lastmod = element.findtext("s:lastmod", namespaces=NS)
        self.alternates = {
            link.get("hreflang"): link.get("href")
            for link in element.iterfind("xhtml:link", NS)
            if link.get("rel") == "alternate"
        }
        self.news = element.find("news:news", NS)


def entries(client, path):
    root = xml(client, path)
    assert root.tag == f"{{{NS['s']}}}urlset"
    return [Entry(element) for element in root.iterfind("s:url", NS)]


def every_entry(client):
    """Every <url> of every file the index lists, by file."""
    return {url: entries(client, path_of(url)) for url in index_files(client)}


def absolute(path):
    return SITE + path


@pytest.fixture
def newsroom():
    russia = TagFactory(name_fr="Russie", name_en="Russia")
    brittany = TagFactory(name_fr="Bretagne", name_en="Brittany")
    secret = TagFactory(name_fr="Secret", name_en="Secret")
    both = ArticleFactory(english=True, tags=[russia])
    french_only = ArticleFactory(tags=[russia, brittany])
    english_original = ArticleFactory(
        source_language="en",
        title_fr="Traduit de l’anglais",
        title_en="Written in English",
        body_en="<p>Text.</p>",
        state_en=LanguageState.SOURCE,
        state_fr=LanguageState.READY,
        tags=[russia],
    )
    english_only = ArticleFactory(
        title_fr="", body_fr="", title_en="English only", body_en="<p>Text.</p>", tags=[russia]
    )
    draft = ArticleFactory(draft=True, english=True, tags=[russia, secret])
    scheduled = ArticleFactory(
        published_at=timezone.now() + timedelta(days=1), english=True, tags=[russia, secret]
    )
    unready = ArticleFactory(tags=[russia])
    unready.title_en, unready.body_en = "Translation in progress", "<p>Text.</p>"
    unready.save()
    assert unready.state("en") == LanguageState.IN_PROGRESS
    assert english_only.public_languages() == ["en"]
    assert english_original.source_language == "en"
    return {
        "russia": russia,
        "brittany": brittany,
        "secret": secret,
        "both": both,
        "french_only": french_only,
        "english_original": english_original,
        "english_only": english_only,
        "draft": draft,
        "scheduled": scheduled,
        "unready": unready,
    }


def story_urls(stories):
    return {absolute(url) for story in stories for _code, url in story.translations()}


def test_the_stories_files_list_each_readable_language_version_once(client, newsroom):
    listed = [
        entry.loc
        for url, file_entries in every_entry(client).items()
        if "stories" in url
        for entry in file_entries
    ]
    readable = [newsroom[name] for name in ("both", "french_only", "english_original")]
    readable += [newsroom["english_only"], newsroom["unready"]]
    assert sorted(listed) == sorted(story_urls(readable))
    # Neither the draft nor the scheduled story, nor the translation in progress.
    for name in ("draft", "scheduled"):
        for code in ("fr", "en"):
            assert absolute(newsroom[name].url_for(code)) not in listed
    assert absolute(newsroom["unready"].url_for("en")) not in listed


def test_each_url_names_every_version_of_its_page_and_the_others_name_it(client, newsroom):
    for file_entries in every_entry(client).values():
        for entry in file_entries:
            # The page itself is one of its versions, under its own language.
            languages = {code for code, url in entry.alternates.items() if url == entry.loc}
            assert languages - {"x-default"}, entry.loc
            assert "x-default" in entry.alternates
            assert entry.alternates["x-default"] in entry.alternates.values()
        by_loc = {entry.loc: entry for entry in file_entries}
        for entry in file_entries:
            for code, url in entry.alternates.items():
                if code == "x-default":
                    continue
                # Reciprocal: every version has an entry naming the same versions.
                assert url in by_loc, url
                assert by_loc[url].alternates == entry.alternates


def alternates_of(client, story_or_tag, language):
    url = absolute(story_or_tag.url_for(language))
    for file_entries in every_entry(client).values():
        for entry in file_entries:
            if entry.loc == url:
                return entry.alternates
    raise AssertionError(f"{url} is in no sitemap")


def test_a_storys_x_default_is_its_original_where_readable_else_its_first_language(
    client, newsroom
):
    both = newsroom["both"]
    assert alternates_of(client, both, "en") == {
        "fr": absolute(both.url_for("fr")),
        "en": absolute(both.url_for("en")),
        "x-default": absolute(both.url_for("fr")),
    }
    english = newsroom["english_original"]
    assert alternates_of(client, english, "fr")["x-default"] == absolute(english.url_for("en"))
    only = newsroom["english_only"]
    assert alternates_of(client, only, "en") == {
        "en": absolute(only.url_for("en")),
        "x-default": absolute(only.url_for("en")),
    }
    french = newsroom["french_only"]
    assert set(alternates_of(client, french, "fr")) == {"fr", "x-default"}


def test_a_tag_page_is_listed_in_the_languages_it_has_readable_stories_in(client, newsroom):
    tag_entries = {
        entry.loc: entry
        for url, file_entries in every_entry(client).items()
        if "tags" in url
        for entry in file_entries
    }
    russia, brittany = newsroom["russia"], newsroom["brittany"]
    assert set(tag_entries) == {
        absolute(russia.url_for("fr")),
        absolute(russia.url_for("en")),
        absolute(brittany.url_for("fr")),
    }
    assert tag_entries[absolute(brittany.url_for("fr"))].alternates == {
        "fr": absolute(brittany.url_for("fr")),
        "x-default": absolute(brittany.url_for("fr")),
    }
    # The tag of a draft and a scheduled story: its name would give their topic away.
    secret = newsroom["secret"]
    assert absolute(secret.url_for("fr")) not in tag_entries


def test_a_tag_with_english_stories_only_has_its_english_page_as_x_default(client):
    tag = TagFactory(name_fr="Écosse", name_en="Scotland")
    ArticleFactory(title_fr="", body_fr="", title_en="Only", body_en="<p>Text.</p>", tags=[tag])
    assert alternates_of(client, tag, "en") == {
        "en": absolute(tag.url_for("en")),
        "x-default": absolute(tag.url_for("en")),
    }


def parse_w3c(text):
    assert W3C_DATETIME.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_lastmod_is_a_storys_last_change_and_a_tags_newest_story_in_that_language(client, newsroom):
    story = newsroom["both"]
    Article.objects.filter(pk=story.pk).update(updated_at=timezone.now() + timedelta(minutes=5))
    story.refresh_from_db()
    for file_entries in every_entry(client).values():
        for entry in file_entries:
            parse_w3c(entry.lastmod)
    for code in ("fr", "en"):
        lastmod = parse_w3c(lastmod_of(client, story.url_for(code)))
        assert lastmod == story.updated_at.replace(microsecond=0)
    russia = newsroom["russia"]
    ArticleFactory(published_at=timezone.now() - timedelta(minutes=1), tags=[russia])
    newest_french = max(s.published_at for s in Article.objects.readable("fr").filter(tags=russia))
    newest_english = max(s.published_at for s in Article.objects.readable("en").filter(tags=russia))
    assert newest_french != newest_english
    assert parse_w3c(lastmod_of(client, russia.url_for("fr"))) == newest_french.replace(
        microsecond=0
    )
    assert parse_w3c(lastmod_of(client, russia.url_for("en"))) == newest_english.replace(
        microsecond=0
    )


def lastmod_of(client, path):
    for file_entries in every_entry(client).values():
        for entry in file_entries:
            if entry.loc == absolute(path):
                return entry.lastmod
    raise AssertionError(f"{path} is in no sitemap")


def test_the_home_pages_and_tag_indexes_are_listed_with_their_newest_publication(client, newsroom):
    pages = entries(client, reverse("sitemaps:pages"))
    newest = {
        code: Article.objects.readable(code).order_by("-published_at")[0].published_at
        for code in ("fr", "en")
    }
    by_loc = {entry.loc: entry for entry in pages}
    assert set(by_loc) == {SITE + path for path in ("/fr/", "/en/", "/fr/etiquettes/", "/en/tags/")}
    for path, code in (("/fr/", "fr"), ("/en/", "en")):
        assert parse_w3c(by_loc[SITE + path].lastmod) == newest[code].replace(microsecond=0)
        assert by_loc[SITE + path].alternates["x-default"] == SITE + "/fr/"


def test_a_language_without_stories_has_no_home_page_in_the_sitemap(client):
    ArticleFactory()
    pages = entries(client, reverse("sitemaps:pages"))
    assert [entry.loc for entry in pages] == [SITE + "/fr/"]
    assert pages[0].alternates == {"fr": SITE + "/fr/", "x-default": SITE + "/fr/"}


def test_files_hold_at_most_the_limit_and_the_index_lists_every_one(client, settings):
    settings.SITEMAP_URLS_PER_FILE = 4
    tags = TagFactory.create_batch(5)
    stories = [ArticleFactory(english=n % 2 == 0, tags=tags[: 1 + n % 5]) for n in range(11)]
    # A gap of ids that hold only drafts: its file is not listed.
    ArticleFactory.create_batch(4, draft=True)
    stories.append(ArticleFactory(english=True, tags=tags[:1]))
    files = every_entry(client)
    # Two stories a file (each in two languages at most), by id.
    numbers = sorted({(story.pk - 1) // 2 + 1 for story in stories})
    assert len(numbers) >= 6
    assert [url for url in files if "stories" in url] == [
        SITE + reverse("sitemaps:stories", kwargs={"number": number}) for number in numbers
    ]
    tag_numbers = sorted({(tag.pk - 1) // 2 + 1 for tag in tags})
    assert [url for url in files if "tags" in url] == [
        SITE + reverse("sitemaps:tags", kwargs={"number": number}) for number in tag_numbers
    ]
    listed = []
    for url, file_entries in files.items():
        if url == SITE + reverse("sitemaps:news"):
            continue  # its own limit (Google News'), and the same stories
        assert 1 <= len(file_entries) <= 4, url
        listed += [entry.loc for entry in file_entries]
    assert len(listed) == len(set(listed))
    assert story_urls(stories) <= set(listed)


def test_a_file_past_the_end_or_spelled_otherwise_is_a_404(client, newsroom, settings):
    # Files are id ranges, and ids go on from earlier tests: find the newsroom's file.
    ids_per_file = settings.SITEMAP_URLS_PER_FILE // len(settings.LANGUAGES)
    number = (newsroom["both"].pk - 1) // ids_per_file + 1
    assert client.get(f"/sitemap-stories-{number}.xml").status_code == 200
    for path in (
        "/sitemap-stories-0.xml",
        f"/sitemap-stories-0{number}.xml",
        f"/sitemap-stories-{number + 1000}.xml",
        "/sitemap-tags-99999999999999999999999.xml",
    ):
        assert client.get(path).status_code == 404, path


def test_sitemaps_are_streamed_marked_noindex_and_kept_for_a_while_by_crawlers(
    client, newsroom, settings
):
    settings.SITEMAP_CACHE_SECONDS = 120
    for url in index_files(client):
        response = client.get(path_of(url))
        assert response.streaming
        assert response["X-Robots-Tag"].startswith("noindex")
        assert "max-age=120" in response["Cache-Control"]
    assert "max-age=120" in client.get(reverse("sitemaps:index"))["Cache-Control"]


def test_a_publication_shows_in_the_sitemaps_at_once(client, newsroom, settings):
    settings.PAGE_CACHE_SECONDS = 600
    before = every_entry(client)
    story = ArticleFactory(draft=True, tags=[newsroom["brittany"]])
    assert absolute(story.url_for("fr")) not in {
        entry.loc for file_entries in before.values() for entry in file_entries
    }
    Article.objects.filter(pk=story.pk).publish()
    after = {entry.loc for file_entries in every_entry(client).values() for entry in file_entries}
    assert absolute(story.url_for("fr")) in after


# Google News


def news(client):
    root = xml(client, reverse("sitemaps:news"))
    return [Entry(element) for element in root.iterfind("s:url", NS)]


def test_the_news_sitemap_has_the_last_48_hours_in_each_language(client, newsroom):
    now = timezone.now()
    old = ArticleFactory(english=True, published_at=now - timedelta(hours=49))
    recent = ArticleFactory(english=True, published_at=now - timedelta(hours=47))
    listed = {entry.loc: entry for entry in news(client)}
    assert absolute(recent.url_for("fr")) in listed
    assert absolute(recent.url_for("en")) in listed
    assert absolute(old.url_for("fr")) not in listed
    for name in ("draft", "scheduled"):
        assert absolute(newsroom[name].url_for("fr")) not in listed
    assert absolute(newsroom["unready"].url_for("en")) not in listed
    english = listed[absolute(recent.url_for("en"))].news
    assert english.findtext("news:publication/news:name", namespaces=NS) == "The Newsroom"
    assert english.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert english.findtext("news:title", namespaces=NS) == recent.title_en
    published = parse_w3c(english.findtext("news:publication_date", namespaces=NS))
    assert published == recent.published_at.replace(microsecond=0)
    french = listed[absolute(recent.url_for("fr"))].news
    assert french.findtext("news:publication/news:name", namespaces=NS) == "La Rédaction"
    assert french.findtext("news:title", namespaces=NS) == recent.title_fr


def test_a_story_leaves_the_news_sitemap_48_hours_after_its_publication(client):
    story = ArticleFactory(published_at=timezone.now() - timedelta(minutes=1))
    url = absolute(story.url_for("fr"))
    with time_machine.travel(timezone.now() + timedelta(hours=47), tick=False):
        assert url in [entry.loc for entry in news(client)]
    with time_machine.travel(timezone.now() + timedelta(hours=48, minutes=1), tick=False):
        assert news(client) == []
        # The index no longer lists an empty news sitemap; robots.txt still names it.
        assert SITE + reverse("sitemaps:news") not in index_files(client)


def test_a_scheduled_story_enters_the_news_sitemap_at_its_time(client):
    at = timezone.now() + timedelta(hours=2)
    story = ArticleFactory(published_at=at)
    assert news(client) == []
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        assert [entry.loc for entry in news(client)] == [absolute(story.url_for("fr"))]


def test_the_news_sitemap_stops_at_its_limit_newest_first(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_MAX_URLS", 5)
    stories = [ArticleFactory(english=True) for _ in range(4)]
    listed = [entry.loc for entry in news(client)]
    assert len(listed) == 5
    newest_first = sorted(stories, key=lambda story: story.published_at, reverse=True)
    assert listed[:2] == [absolute(newest_first[0].url_for(code)) for code in ("fr", "en")]


# robots.txt


def robots(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


def test_robots_txt_lets_crawlers_read_the_site_but_not_the_admin_or_previews(client, newsroom):
    parser = robots(client)
    story = newsroom["both"]
    for path in ("/fr/", "/en/", story.url_for("fr"), story.url_for("en"), "/fr/etiquettes/"):
        assert parser.can_fetch("Googlebot", SITE + path), path
    assert parser.can_fetch("*", SITE + "/sitemap.xml")
    for path in ("/fr/admin/", "/en/admin/articles/article/", "/fr/apercu/abc/", "/en/preview/x/"):
        assert not parser.can_fetch("Googlebot", SITE + path), path


def test_robots_txt_names_the_sitemap_index_and_the_news_sitemap(client):
    assert robots(client).site_maps() == [SITE + "/sitemap.xml", SITE + "/sitemap-news.xml"]


# Queries


def corpus_of(count, tags_per_story):
    tags = TagFactory.create_batch(tags_per_story)
    for number in range(count):
        ArticleFactory(english=number % 2 == 0, tags=tags)


@pytest.mark.parametrize(("stories", "tags"), [(3, 1), (60, 8)])
def test_each_sitemap_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, stories, tags
):
    corpus_of(stories, tags)
    for name, queries in (("index", 3), ("pages", 1), ("news", 1)):
        with django_assert_max_num_queries(queries):
            body(client.get(reverse(f"sitemaps:{name}")))
    # A file reads its rows CHUNK at a time: one query, as no file here reaches CHUNK.
    # Files are id ranges, and ids go on from earlier tests: the first file with rows.
    firsts = {"stories": sitemaps.story_files()[0], "tags": sitemaps.tag_files()[0]}
    for name in ("stories", "tags"):
        with django_assert_max_num_queries(1):
            response = client.get(reverse(f"sitemaps:{name}", kwargs={"number": firsts[name]}))
            body(response)
        assert response.status_code == 200


def test_a_file_is_read_in_chunks_of_rows(
    client, django_assert_max_num_queries, monkeypatch, settings
):
    monkeypatch.setattr(sitemaps, "CHUNK", 10)
    settings.SITEMAP_URLS_PER_FILE = 50_000
    corpus_of(35, 2)
    listed = []
    # Ids go on from earlier tests: the stories may straddle two files' ranges.
    for number in sitemaps.story_files():
        with django_assert_max_num_queries(4):
            listed += entries(client, reverse("sitemaps:stories", kwargs={"number": number}))
    assert len(listed) == 35 + 18


def test_xml_special_characters_are_escaped(client):
    ArticleFactory(title_fr="Tom & Jerry <en> « direct »")
    (entry,) = news(client)
    assert entry.news.findtext("news:title", namespaces=NS) == "Tom & Jerry <en> « direct »"


def test_w3c_datetime_is_utc_to_the_second():
    moment = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    assert sitemaps.w3c_datetime(moment) == "2026-12-01T09:30:15+00:00"


def test_a_tag_whose_english_stories_are_all_scheduled_has_no_english_url(client):
    tag = TagFactory(name_fr="Élections", name_en="Elections")
    ArticleFactory(tags=[tag])
    ArticleFactory(english=True, published_at=timezone.now() + timedelta(hours=3), tags=[tag])
    tag.refresh_from_db()
    assert tag.story_count_en == 1  # the maintained count includes the scheduled story
    assert alternates_of(client, tag, "fr") == {
        "fr": absolute(tag.url_for("fr")),
        "x-default": absolute(tag.url_for("fr")),
    }
