"""What search engines and social networks read of each page, parsed as they parse it."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from articles.models import LanguageState, Tag
from tests.factories import ArticleFactory, ImageFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://news.example"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE
    settings.ARTICLES_PER_PAGE = 2


class Head:
    """The <head> of a page: canonical, hreflang alternates, meta tags and JSON-LD."""

    def __init__(self, response):
        assert response.status_code == 200, response.status_code
        self.tree = lxml.html.fromstring(response.content)
        self.canonical = self.single("//link[@rel='canonical']/@href")
        self.alternates = {
            link.get("hreflang"): link.get("href")
            for link in self.tree.xpath("//head/link[@rel='alternate'][@hreflang]")
        }
        self.x_default = self.alternates.pop("x-default", None)

    def single(self, xpath):
        found = self.tree.xpath(xpath)
        assert len(found) <= 1, f"{xpath}: {found}"
        return found[0] if found else None

    def meta(self, key):
        return self.single(f"//meta[@property='{key}' or @name='{key}']/@content")

    def metas(self, key):
        return self.tree.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")

    def json_ld(self):
        scripts = self.tree.xpath("//script[@type='application/ld+json']/text()")
        assert len(scripts) == 1
        return json.loads(scripts[0])


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def url_in(language, name, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def bilingual_stories(count, **kwargs):
    now = timezone.now()
    return [
        ArticleFactory(english=True, published_at=now - timedelta(hours=n + 1), **kwargs)
        for n in range(count)
    ]


def next_page(client, url):
    tree = lxml.html.fromstring(client.get(url).content)
    (href,) = tree.xpath("//a[@rel='next']/@href")
    return url.split("?")[0] + href


# Canonical links


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", ["articles:article-list", "articles:tag-list"])
def test_every_list_has_an_absolute_self_referencing_canonical_link(client, language, name):
    bilingual_stories(1, tags=[TagFactory()])
    url = url_in(language, name)
    assert Head(client.get(url)).canonical == SITE + url


def test_a_story_and_a_tag_page_have_their_own_canonical_link(client):
    tag = TagFactory()
    (story,) = bilingual_stories(1, tags=[tag])
    for url in (story.url_for("en"), tag.url_for("fr"), tag.url_for("en")):
        assert Head(client.get(url)).canonical == SITE + url


def test_the_canonical_link_ignores_tracking_parameters(client):
    bilingual_stories(1)
    assert Head(client.get("/fr/?utm_source=newsletter")).canonical == SITE + "/fr/"


def test_a_second_page_is_its_own_canonical_page(client):
    bilingual_stories(5)
    second = next_page(client, "/fr/")
    assert "after=" in second
    assert Head(client.get(second)).canonical == SITE + second


def test_a_page_read_backwards_names_the_same_page_read_forwards(client):
    bilingual_stories(7)
    second = next_page(client, "/fr/")
    third = next_page(client, second)
    tree = lxml.html.fromstring(client.get(third).content)
    (previous,) = tree.xpath("//a[@rel='prev']/@href")
    backwards = client.get("/fr/" + previous)
    assert "before=" in previous
    assert path_of(Head(backwards).canonical) == second
    forwards = client.get(second)
    assert list(backwards.context["object_list"]) == list(forwards.context["object_list"])


# hreflang alternates


def test_the_home_page_names_both_languages_and_french_as_x_default(client):
    bilingual_stories(1)
    for language in ("fr", "en"):
        head = Head(client.get(f"/{language}/"))
        assert head.alternates == {"fr": SITE + "/fr/", "en": SITE + "/en/"}
        assert head.x_default == SITE + "/fr/"


def test_a_home_page_without_english_stories_announces_no_english_page(client):
    ArticleFactory()
    head = Head(client.get("/fr/"))
    assert set(head.alternates) == {"fr"}
    assert head.x_default == SITE + "/fr/"


def test_a_second_page_names_the_second_page_in_the_other_language_and_back(client):
    bilingual_stories(5)
    french = next_page(client, "/fr/")
    head = Head(client.get(french))
    assert path_of(head.alternates["fr"]) == french
    english = path_of(head.alternates["en"])
    assert english.startswith("/en/?after=")
    assert parse_qs(urlsplit(english).query) == parse_qs(urlsplit(french).query)
    back = Head(client.get(english))
    assert path_of(back.alternates["fr"]) == french
    assert path_of(back.alternates["en"]) == english
    assert back.canonical == SITE + english


def test_a_second_page_after_a_french_only_story_has_no_english_alternate(client):
    now = timezone.now()
    ArticleFactory(english=True, published_at=now - timedelta(hours=1))
    ArticleFactory(published_at=now - timedelta(hours=2))  # French only: page 2's cursor
    for hours in (3, 4):
        ArticleFactory(english=True, published_at=now - timedelta(hours=hours))
    second = next_page(client, "/fr/")
    head = Head(client.get(second))
    assert set(head.alternates) == {"fr"}
    assert head.x_default == SITE + second


def test_the_last_english_page_is_not_announced_when_it_would_be_empty(client):
    now = timezone.now()
    ArticleFactory(english=True, published_at=now - timedelta(hours=1))
    ArticleFactory(english=True, published_at=now - timedelta(hours=2))
    ArticleFactory(published_at=now - timedelta(hours=3))  # French only
    second = next_page(client, "/fr/")
    # In English the second story is the last one: no page follows it there.
    assert set(Head(client.get(second)).alternates) == {"fr"}


def test_a_deep_tag_page_names_the_same_page_in_english_and_back(client):
    tag = TagFactory()
    bilingual_stories(5, tags=[tag])
    french = next_page(client, tag.url_for("fr"))
    head = Head(client.get(french))
    english = path_of(head.alternates["en"])
    assert english.startswith(tag.url_for("en") + "?after=")
    assert path_of(Head(client.get(english)).alternates["fr"]) == french


def test_a_deep_page_of_the_tag_index_has_no_other_language_page(client, settings):
    settings.ARTICLES_PER_PAGE = 20
    tags = TagFactory.create_batch(3)
    bilingual_stories(1, tags=tags)
    from articles.views import TagListView

    TagListView.paginate_by = 2
    try:
        second = next_page(client, "/fr/etiquettes/")
        head = Head(client.get(second))
    finally:
        TagListView.paginate_by = 200
    assert set(head.alternates) == {"fr"}
    assert head.canonical == SITE + second


def test_a_translated_story_names_its_original_as_x_default(client):
    (story,) = bilingual_stories(1)
    head = Head(client.get(story.url_for("en")))
    assert head.alternates == {"fr": SITE + story.url_for("fr"), "en": SITE + story.url_for("en")}
    assert head.x_default == SITE + story.url_for("fr")


def test_a_story_written_in_english_names_its_english_page_as_x_default(client):
    story = ArticleFactory(
        english=True, source_language="en", state_en=LanguageState.SOURCE, state_fr="ready"
    )
    assert Head(client.get(story.url_for("fr"))).x_default == SITE + story.url_for("en")


def test_a_preview_carries_no_canonical_link_no_alternates_and_no_json_ld(client, editor):
    draft = ArticleFactory(draft=True)
    # Who may read stories in the admin previews them (workflow.can_preview).
    client.force_login(editor)
    tree = lxml.html.fromstring(client.get(draft.url_for("fr")).content)
    assert tree.xpath("//link[@rel='canonical']") == []
    assert tree.xpath("//head/link[@hreflang]") == []
    assert tree.xpath("//script[@type='application/ld+json']") == []
    assert tree.xpath("//meta[@name='robots']/@content") == ["noindex, nofollow"]


# Descriptions, Open Graph and Twitter cards


def test_a_story_page_describes_the_story_for_social_networks(client):
    tag = TagFactory(name_fr="Climat", name_en="Climate")
    story = ArticleFactory(
        english=True,
        standfirst_fr="Un résumé « court » de l’article.",
        tags=[tag],
    )
    head = Head(client.get(story.url_for("fr")))
    assert head.meta("description") == "Un résumé « court » de l’article."
    assert head.meta("og:type") == "article"
    assert head.meta("og:title") == story.title_fr
    assert head.meta("og:url") == SITE + story.url_for("fr")
    assert head.meta("og:locale") == "fr_FR"
    assert head.metas("og:locale:alternate") == ["en_GB"]
    assert head.meta("og:site_name") == "La Rédaction"
    assert head.metas("article:tag") == ["Climat"]
    assert head.meta("twitter:card") == "summary"
    assert head.meta("twitter:title") == story.title_fr


def test_a_story_without_standfirst_is_described_by_its_text_shortened(client):
    story = ArticleFactory(standfirst_fr="", body_fr="<p>" + "Mot &amp; phrase. " * 40 + "</p>")
    description = Head(client.get(story.url_for("fr"))).meta("description")
    assert description.startswith("Mot & phrase. Mot & phrase.")
    assert len(description) <= 160
    assert "<" not in description


@pytest.mark.parametrize("language", ["fr", "en"])
def test_list_pages_are_described_in_their_language(client, language):
    tag = TagFactory(name_fr="Climat", name_en="Climate")
    bilingual_stories(1, tags=[tag])
    home = Head(client.get(f"/{language}/"))
    tag_page = Head(client.get(tag.url_for(language)))
    assert home.meta("og:type") == "website"
    expected = {"fr": "Climat", "en": "Climate"}[language]
    assert expected in tag_page.meta("description")
    assert tag_page.meta("og:title") == expected
    assert home.meta("og:locale") == {"fr": "fr_FR", "en": "en_GB"}[language]
    with translation.override(language):
        assert home.meta("description") != tag_page.meta("description")


def test_the_twitter_account_is_named_when_configured(client, settings):
    settings.TWITTER_SITE = "@redaction"
    bilingual_stories(1)
    assert Head(client.get("/en/")).meta("twitter:site") == "@redaction"


# JSON-LD


def test_a_story_page_carries_news_article_json_ld(client):
    author = UserFactory(first_name="Léa", last_name="Dubois")
    tags = [TagFactory(name_fr="Climat", name_en="Climate"), TagFactory(name_fr="Énergie")]
    story = ArticleFactory(english=True, authors=[author], tags=tags)
    data = Head(client.get(story.url_for("fr"))).json_ld()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.title_fr
    assert data["inLanguage"] == "fr"
    assert data["url"] == SITE + story.url_for("fr")
    assert data["author"] == [{"@type": "Person", "name": "Léa Dubois"}]
    assert data["keywords"] == ["Climat", "Énergie"]
    story.refresh_from_db()
    published = timezone.datetime.fromisoformat(data["datePublished"])
    assert published == story.published_at
    assert timezone.datetime.fromisoformat(data["dateModified"]) >= published
    assert data["publisher"]["name"] == "La Rédaction"


def test_the_original_names_its_translation_and_the_translation_its_original(client):
    (story,) = bilingual_stories(1)
    original = Head(client.get(story.url_for("fr"))).json_ld()
    translated = Head(client.get(story.url_for("en"))).json_ld()
    assert original["workTranslation"] == [
        {"@type": "NewsArticle", "@id": SITE + story.url_for("en"), "inLanguage": "en"}
    ]
    assert "translationOfWork" not in original
    assert translated["translationOfWork"] == {
        "@type": "NewsArticle",
        "@id": SITE + story.url_for("fr"),
        "inLanguage": "fr",
    }
    assert "workTranslation" not in translated


def test_an_untranslated_story_names_no_translation(client):
    story = ArticleFactory()
    data = Head(client.get(story.url_for("fr"))).json_ld()
    assert "workTranslation" not in data


def test_a_headline_cannot_close_the_json_ld_script(client):
    story = ArticleFactory(title_fr="Titre </script><script>alert(1)</script> & <!--")
    response = client.get(story.url_for("fr"))
    tree = lxml.html.fromstring(response.content)
    assert len(tree.xpath("//script")) == 1
    assert Head(response).json_ld()["headline"] == story.title_fr


def test_english_tag_names_are_json_ld_keywords_on_the_english_page(client):
    tag = TagFactory(name_fr="Climat", name_en="Climate")
    story = ArticleFactory(english=True, tags=[tag])
    assert Head(client.get(story.url_for("en"))).json_ld()["keywords"] == ["Climate"]
    assert Tag.objects.count() == 1


def test_a_story_with_a_lead_image_shares_it_in_its_card_and_json_ld(client):
    image = ImageFactory(dimensions=(2000, 1000))
    story = ArticleFactory(english=True, lead_image=image)
    head = Head(client.get(story.url_for("en")))
    social = story.social_image()
    assert head.meta("twitter:card") == "summary_large_image"
    assert head.meta("og:image") == social.url
    assert urlsplit(social.url).scheme in ("http", "https")
    assert (head.meta("og:image:width"), head.meta("og:image:height")) == ("1200", "600")
    assert head.meta("og:image:alt") == image.alt_text_en
    (picture,) = head.json_ld()["image"]
    assert picture == {
        "@type": "ImageObject",
        "url": social.url,
        "width": 1200,
        "height": 600,
        "caption": image.alt_text_en,
    }


def test_a_story_without_an_image_names_none(client):
    story = ArticleFactory()
    head = Head(client.get(story.url_for("fr")))
    assert head.meta("og:image") is None
    assert "image" not in head.json_ld()
