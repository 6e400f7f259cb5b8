"""RSS and Atom feeds (articles/feeds.py), read with feedparser as feed readers do."""

import threading
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from django.db import connections
from django.urls import resolve
from django.utils import timezone, translation
from lxml import etree

from articles import feeds
from articles.models import LanguageState
from tests.factories import ArticleFactory, TagFactory, UserFactory
from tests.test_views import url_in

pytestmark = pytest.mark.django_db


def feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return response, parsed


@pytest.fixture
def newsroom():
    russia = TagFactory(name_fr="Russie", name_en="Russia")
    korea = TagFactory(name_fr="Corée du Nord", name_en="North Korea")
    author = UserFactory(first_name="Léa", last_name="Dubois")
    both = ArticleFactory(
        title_fr="Les deux",
        title_en="Both",
        english=True,
        standfirst_fr="Le chapeau.",
        tags=[russia, korea],
        authors=[author],
    )
    french_only = ArticleFactory(title_fr="Seulement en français", tags=[russia])
    ArticleFactory(title_fr="Brouillon", draft=True, tags=[russia])
    ArticleFactory(
        title_fr="Plus tard", published_at=timezone.now() + timedelta(days=1), tags=[russia]
    )
    unready = ArticleFactory(title_fr="Traduction en cours", tags=[russia])
    unready.title_en, unready.body_en = "Translation in progress", "<p>Text.</p>"
    unready.save()
    assert unready.state("en") == LanguageState.IN_PROGRESS
    return {"russia": russia, "korea": korea, "both": both, "french_only": french_only}


@pytest.mark.parametrize("name", ["articles:feed", "articles:feed-atom"])
def test_the_site_feed_lists_what_readers_of_its_language_may_read(client, newsroom, name):
    _response, french = feed(client, url_in("fr", name))
    # Newest first; no draft, nothing scheduled; a French original whose English is
    # not ready is in the French feed only.
    assert [entry.title for entry in french.entries] == [
        "Les deux",
        "Seulement en français",
        "Traduction en cours",
    ]
    _response, english = feed(client, url_in("en", name))
    assert [entry.title for entry in english.entries] == ["Both"]


def test_a_feed_says_its_language_and_each_storys_tags_author_and_times(client, newsroom):
    _response, parsed = feed(client, url_in("fr", "articles:feed"))
    assert parsed.feed.language == "fr"
    entry = next(entry for entry in parsed.entries if entry.title == "Les deux")
    assert {tag.term for tag in entry.tags} == {"Russie", "Corée du Nord"}
    assert entry.author == "Léa Dubois"
    assert entry.link == "http://testserver" + newsroom["both"].url_for("fr")
    assert entry.summary == "<p>Le chapeau.</p>"
    assert entry.published_parsed is not None
    _response, atom = feed(client, url_in("en", "articles:feed-atom"))
    assert atom.version == "atom10"
    assert atom.feed.language == "en"
    assert atom.entries[0].updated_parsed is not None
    assert {tag.term for tag in atom.entries[0].tags} == {"Russia", "North Korea"}


def test_full_text_feeds_carry_the_whole_story(client, newsroom, settings):
    settings.FEEDS_FULL_TEXT = True
    _response, parsed = feed(client, url_in("fr", "articles:feed"))
    entry = next(entry for entry in parsed.entries if entry.title == "Les deux")
    assert "Le texte de l’article" in entry.summary


def test_a_tag_feed_lists_the_tags_stories_in_its_language(client, newsroom):
    russia = newsroom["russia"]
    _response, french = feed(client, url_in("fr", "articles:tag-feed", slugs=russia.slug_fr))
    assert {entry.title for entry in french.entries} == {
        "Les deux",
        "Seulement en français",
        "Traduction en cours",
    }
    _response, english = feed(client, url_in("en", "articles:tag-feed-atom", slugs="russia"))
    assert [entry.title for entry in english.entries] == ["Both"]
    assert english.feed.title == "Russia — The Newsroom"


@pytest.mark.parametrize(
    ("slugs", "titles"),
    [
        ("russie+coree-du-nord", {"Les deux"}),
        ("russie,coree-du-nord", {"Les deux", "Seulement en français", "Traduction en cours"}),
    ],
)
def test_combined_tag_feeds_follow_their_pages(client, newsroom, slugs, titles):
    _response, parsed = feed(client, url_in("fr", "articles:tag-feed", slugs=slugs))
    assert {entry.title for entry in parsed.entries} == titles


def test_another_spelling_of_a_tag_feed_redirects_to_its_own(client, newsroom):
    response = client.get(url_in("en", "articles:tag-feed", slugs="russie"))
    assert response.status_code == 301
    assert response["Location"] == url_in("en", "articles:tag-feed", slugs="russia")


def test_an_embargoed_tag_has_no_feed(client):
    secret = TagFactory(name_fr="Secret")
    ArticleFactory(tags=[secret], draft=True)
    later = TagFactory(name_fr="Bientôt")
    ArticleFactory(tags=[later], published_at=timezone.now() + timedelta(hours=1))
    assert client.get(url_in("fr", "articles:tag-feed", slugs="secret")).status_code == 404
    assert client.get(url_in("fr", "articles:tag-feed", slugs="bientot")).status_code == 404
    assert client.get(url_in("fr", "articles:tag-feed", slugs="nothing")).status_code == 404


def test_a_tag_without_english_stories_has_no_english_feed(client, newsroom):
    french_only_tag = TagFactory(name_fr="Bretagne", name_en="Brittany")
    ArticleFactory(tags=[french_only_tag])
    assert client.get(url_in("en", "articles:tag-feed", slugs="brittany")).status_code == 404


class FeedLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.feeds = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" not in attrs:
            self.feeds.append((attrs["type"], attrs["href"]))


def feed_links(response):
    parser = FeedLinks()
    parser.feed(response.content.decode())
    return parser.feeds


def test_every_page_announces_the_site_feeds_and_a_tag_page_its_own(client, newsroom):
    home = feed_links(client.get(url_in("en", "articles:article-list")))
    assert home == [
        ("application/rss+xml", "/en/feed/"),
        ("application/atom+xml", "/en/feed/atom/"),
    ]
    tag_page = feed_links(client.get(newsroom["russia"].url_for("fr")))
    assert ("application/rss+xml", "/fr/etiquettes/russie/flux/") in tag_page
    assert ("application/atom+xml", "/fr/etiquettes/russie/flux/atom/") in tag_page


def test_feeds_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    tags = TagFactory.create_batch(8)
    for index in range(40):
        ArticleFactory(english=index % 2 == 0, tags=tags, authors=[UserFactory()])
    with django_assert_max_num_queries(4):
        _response, parsed = feed(client, url_in("fr", "articles:feed"))
    assert len(parsed.entries) == 30
    with django_assert_max_num_queries(6):
        _response, parsed = feed(client, url_in("fr", "articles:tag-feed", slugs=tags[0].slug_fr))
    assert len(parsed.entries) == 30


def test_feeds_are_kept_in_the_page_cache_like_their_pages(client, newsroom, settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"feeds-{uuid.uuid4().hex}",
        }
    }
    for url in (url_in("fr", "articles:feed"), newsroom["russia"].url_for("fr") + "flux/"):
        assert client.get(url)["X-Page-Cache"] == "miss"
        response = client.get(url)
        assert response["X-Page-Cache"] == "hit"
        assert response["Content-Type"].startswith("application/rss+xml")


def test_a_standfirst_that_looks_like_markup_reaches_feed_readers_as_text(client):
    # Readers render descriptions as HTML: plain text must arrive escaped.
    ArticleFactory(title_fr="Balises", standfirst_fr='<img src=x onerror="steal()"> & <b>gras</b>')
    for name in ("articles:feed", "articles:feed-atom"):
        response = client.get(url_in("fr", name))
        raw = etree.fromstring(response.content)
        atom = "{http://www.w3.org/2005/Atom}"
        items = raw.findall("channel/item/description") + raw.findall(f"{atom}entry/{atom}summary")
        (description,) = [element.text for element in items]
        assert description == (
            "<p>&lt;img src=x onerror=&quot;steal()&quot;&gt; &amp; &lt;b&gt;gras&lt;/b&gt;</p>"
        )


@pytest.mark.django_db(transaction=True)
def test_two_tag_feeds_served_at_once_each_list_their_own_tag(monkeypatch, rf, settings):
    """Two threads in one feed at the same moment (runserver, a threaded or ASGI server):
    each request is served by its own feed, never one another's tags."""
    settings.ALLOWED_HOSTS = ["testserver"]
    tags = [
        TagFactory(name_fr="Russie", name_en="Russia"),
        TagFactory(name_fr="Corée du Nord", name_en="North Korea"),
    ]
    for tag in tags:
        ArticleFactory(tags=[tag])
    both_inside = threading.Barrier(2)
    get_object = feeds.TagFeed.get_object

    def meeting(self, request, slugs):
        both_inside.wait(timeout=10)  # the other request has set its tags by now
        return get_object(self, request, slugs)

    monkeypatch.setattr(feeds.TagFeed, "get_object", meeting)
    titles = {}

    def read(tag):
        try:
            with translation.override("fr"):
                url = url_in("fr", "articles:tag-feed", slugs=tag.slug_fr)
                match = resolve(url)
                response = match.func(rf.get(url), *match.args, **match.kwargs)
            titles[tag.name_fr] = feedparser.parse(response.content).feed.title
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read, args=[tag]) for tag in tags]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert titles == {
        "Russie": "Russie — La Rédaction",
        "Corée du Nord": "Corée du Nord — La Rédaction",
    }
