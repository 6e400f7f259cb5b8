import html
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from articles.models import Article, Tag
from articles.pagination import StoryCursor
from tests.factories import ArticleFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


class LinkCollector(HTMLParser):
    """The <link rel=alternate> and language-switcher links of a page, parsed as HTML."""

    def __init__(self):
        super().__init__()
        self.alternates = {}
        self.x_default = None
        self.canonical = None
        self.switcher = {}
        self.html_lang = None
        self._in_switcher = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            if attrs["hreflang"] == "x-default":
                self.x_default = attrs["href"]
            else:
                self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]
        if tag == "nav" and "language-switcher" in attrs.get("class", ""):
            self._in_switcher = True
        if tag == "a" and self._in_switcher:
            self.switcher[attrs["hreflang"]] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switcher = False


def links(response):
    collector = LinkCollector()
    collector.feed(response.content.decode())
    return collector


def url_in(language, name, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


# Home page


def test_root_redirects_to_french_by_default(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_root_redirects_to_english_for_an_english_browser(client):
    response = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert response["Location"] == "/en/"


def test_home_lists_published_stories_newest_first(client):
    older = ArticleFactory(published_at=timezone.now() - timedelta(days=2))
    newer = ArticleFactory(published_at=timezone.now() - timedelta(hours=1))
    response = client.get("/fr/")
    assert list(response.context["object_list"]) == [newer, older]


def test_draft_and_future_stories_are_not_listed(client):
    ArticleFactory(draft=True)
    ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    response = client.get("/fr/")
    assert list(response.context["object_list"]) == []


def test_french_only_story_is_not_listed_on_english_home(client):
    french = ArticleFactory()
    both = ArticleFactory(english=True)
    assert set(client.get("/fr/").context["object_list"]) == {french, both}
    assert list(client.get("/en/").context["object_list"]) == [both]


def page_link(response, rel):
    match = re.search(rf'<a href="([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(match[1]) if match else None


def walk(client, url):
    """Every page of a list, following its "next" links: [[story titles], ...]."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append([story.title for story in response.context["object_list"]])
        url = page_link(response, "next")
        if url and url.startswith("?"):
            url = response.request["PATH_INFO"] + url
    return pages


def test_home_page_is_paginated_newest_first_without_repeats(client):
    start = timezone.now() - timedelta(days=30)
    for number in range(45):
        ArticleFactory(title_fr=f"N{number:02}", published_at=start + timedelta(hours=number))
    pages = walk(client, "/fr/")
    assert [len(page) for page in pages] == [20, 20, 5]
    assert sum(pages, []) == [f"N{number:02}" for number in reversed(range(45))]


def test_stories_published_at_the_same_moment_are_each_listed_once(client, settings):
    settings.ARTICLES_PER_PAGE = 20
    moment = timezone.now() - timedelta(days=1)
    ArticleFactory.create_batch(45, published_at=moment)
    titles = sum(walk(client, "/fr/"), [])
    assert len(titles) == len(set(titles)) == 45


def test_previous_link_leads_back_to_the_same_stories(client):
    ArticleFactory.create_batch(45)
    first = client.get("/fr/")
    second = client.get("/fr/" + page_link(first, "next"))
    third = client.get("/fr/" + page_link(second, "next"))
    back = client.get("/fr/" + page_link(third, "prev"))
    assert list(back.context["object_list"]) == list(second.context["object_list"])
    to_first = client.get("/fr/" + page_link(back, "prev"))
    assert to_first.status_code == 302
    assert to_first["Location"] == "/fr/"


def test_a_page_address_shows_the_same_stories_after_new_ones_are_published(client):
    ArticleFactory.create_batch(30, published_at=timezone.now() - timedelta(days=2))
    second_url = "/fr/" + page_link(client.get("/fr/"), "next")
    before = list(client.get(second_url).context["object_list"])
    ArticleFactory.create_batch(5)
    assert list(client.get(second_url).context["object_list"]) == before


def test_first_page_has_no_previous_link_and_last_page_no_next_link(client):
    ArticleFactory.create_batch(25)
    first = client.get("/fr/")
    last = client.get("/fr/" + page_link(first, "next"))
    assert page_link(first, "prev") is None
    assert page_link(last, "next") is None
    assert page_link(last, "prev") is not None


@pytest.mark.parametrize(
    "query", ["?after=2", "?after=99999999999999999999-1", "?after=abc", "?after=1&before=2"]
)
def test_a_broken_page_address_is_404(client, query):
    ArticleFactory()
    assert client.get("/fr/" + query).status_code == 404


def test_home_page_has_html_lang_and_landmarks(client):
    response = client.get("/en/")
    content = response.content.decode()
    assert links(response).html_lang == "en"
    for landmark in ("<header", "<main", "<footer", "<nav"):
        assert landmark in content


# Story page


def test_story_page_in_each_language_at_its_own_slug(client):
    article = ArticleFactory(title_fr="La Une", title_en="The Front Page", english=True)
    french = client.get(url_in("fr", "articles:article-detail", slug="la-une"))
    english = client.get(url_in("en", "articles:article-detail", slug="the-front-page"))
    assert french.status_code == english.status_code == 200
    assert "La Une" in french.content.decode()
    assert "The Front Page" in english.content.decode()
    assert french.context["article"] == english.context["article"] == article


def test_story_urls_are_translated(client):
    article = ArticleFactory(title_fr="La Une", title_en="The Front Page", english=True)
    assert article.url_for("fr") == "/fr/articles/la-une/"
    assert article.url_for("en") == "/en/stories/the-front-page/"


def test_draft_story_is_404_for_readers(client):
    article = ArticleFactory(draft=True)
    assert client.get(article.url_for("fr")).status_code == 404


def test_future_story_is_404_for_readers(client):
    article = ArticleFactory(published_at=timezone.now() + timedelta(days=1))
    assert client.get(article.url_for("fr")).status_code == 404


def test_staff_can_preview_a_draft_and_it_is_never_cached(staff_client):
    article = ArticleFactory(draft=True)
    response = staff_client.get(article.url_for("fr"))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "Preview" in response.content.decode() or "Aperçu" in response.content.decode()


def test_a_staff_account_without_a_role_cannot_preview_a_draft(client):
    article = ArticleFactory(draft=True, title_fr="Brouillon secret")
    client.force_login(UserFactory(is_staff=True))
    response = client.get(article.url_for("fr"))
    assert response.status_code == 404
    assert "Brouillon secret" not in response.content.decode()


def test_french_only_story_has_no_english_url(client):
    article = ArticleFactory(title_fr="Seulement en français")
    response = client.get(url_in("en", "articles:article-detail", slug=article.slug_fr))
    assert response.status_code == 404


def test_english_url_with_french_slug_redirects_to_english_slug(client):
    article = ArticleFactory(title_fr="La Une", title_en="The Front Page", english=True)
    response = client.get(url_in("en", "articles:article-detail", slug="la-une"))
    assert response.status_code == 301
    assert response["Location"] == article.url_for("en")


def test_story_page_lists_its_tags_linked_to_tag_pages(client):
    tag = TagFactory(name_fr="Russie", name_en="Russia")
    article = ArticleFactory(tags=[tag], english=True)
    french = client.get(article.url_for("fr")).content.decode()
    english = client.get(article.url_for("en")).content.decode()
    assert '<a href="/fr/etiquettes/russie/" rel="tag">Russie</a>' in french
    assert '<a href="/en/tags/russia/" rel="tag">Russia</a>' in english


def test_story_body_script_never_reaches_the_page(client):
    article = ArticleFactory(body_fr="<p>Texte</p><script>alert('x')</script>")
    content = client.get(article.url_for("fr")).content.decode()
    assert "alert(" not in content
    assert "<p>Texte</p>" in content


def test_translated_story_has_switcher_and_hreflang_to_the_other_language(client):
    article = ArticleFactory(title_fr="La Une", title_en="The Front Page", english=True)
    page = links(client.get(article.url_for("fr")))
    assert page.switcher["en"] == "/en/stories/the-front-page/"
    assert page.alternates["fr"].endswith("/fr/articles/la-une/")
    assert page.alternates["en"].endswith("/en/stories/the-front-page/")


def test_untranslated_story_switcher_leads_to_the_other_home_and_has_no_hreflang(client):
    article = ArticleFactory()
    page = links(client.get(article.url_for("fr")))
    assert page.switcher["en"] == "/en/"
    assert set(page.alternates) == {"fr"}


# Tag pages


@pytest.fixture
def russia():
    return TagFactory(name_fr="Russie", name_en="Russia")


@pytest.fixture
def north_korea():
    return TagFactory(name_fr="Corée du Nord", name_en="North Korea")


def test_tag_page_urls_use_each_language_slug(russia):
    assert russia.url_for("fr") == "/fr/etiquettes/russie/"
    assert russia.url_for("en") == "/en/tags/russia/"


def test_tag_page_lists_readable_stories_with_the_tag(client, russia):
    tagged = ArticleFactory(tags=[russia])
    ArticleFactory()
    ArticleFactory(tags=[russia], draft=True)
    response = client.get("/fr/etiquettes/russie/")
    assert list(response.context["object_list"]) == [tagged]


def in_both_languages(*tags):
    """A published story in French and English carrying ``tags``: their pages exist."""
    return ArticleFactory(tags=list(tags), english=True)


def test_draft_is_not_listed_on_tag_page(client, russia):
    in_both_languages(russia)
    draft = ArticleFactory(tags=[russia], draft=True)
    listed = list(client.get("/fr/etiquettes/russie/").context["object_list"])
    assert listed
    assert draft not in listed


def test_english_tag_page_lists_only_translated_stories(client, russia):
    translated = ArticleFactory(tags=[russia], english=True)
    ArticleFactory(tags=[russia])
    assert list(client.get("/en/tags/russia/").context["object_list"]) == [translated]


def test_tag_page_with_plus_lists_stories_with_all_tags(client, russia, north_korea):
    both = ArticleFactory(tags=[russia, north_korea])
    ArticleFactory(tags=[russia])
    ArticleFactory(tags=[north_korea])
    response = client.get("/fr/etiquettes/russie+coree-du-nord/")
    assert list(response.context["object_list"]) == [both]


def test_tag_page_with_comma_lists_stories_with_any_tag(client, russia, north_korea):
    both = ArticleFactory(tags=[russia, north_korea])
    one = ArticleFactory(tags=[russia])
    other = ArticleFactory(tags=[north_korea])
    ArticleFactory(tags=[TagFactory()])
    response = client.get("/fr/etiquettes/russie,coree-du-nord/")
    assert set(response.context["object_list"]) == {both, one, other}
    assert len(response.context["object_list"]) == 3


def test_tag_page_mixing_plus_and_comma_is_404(client, russia, north_korea):
    TagFactory(name_fr="Chine", name_en="China")
    assert client.get("/fr/etiquettes/russie+coree-du-nord,chine/").status_code == 404


def test_unknown_tag_is_404(client, russia):
    assert client.get("/fr/etiquettes/russie+inconnue/").status_code == 404


def test_english_slug_on_french_tag_page_redirects_permanently(client, russia):
    in_both_languages(russia)
    response = client.get("/fr/etiquettes/russia/")
    assert response.status_code == 301
    assert response["Location"] == "/fr/etiquettes/russie/"


def test_french_slugs_on_english_combination_redirect_to_english_slugs(client, russia, north_korea):
    in_both_languages(russia, north_korea)
    response = client.get("/en/tags/russie+coree-du-nord/")
    assert response.status_code == 301
    assert response["Location"] == "/en/tags/russia+north-korea/"


def test_tag_page_switcher_leads_to_the_same_tags_in_the_other_language(
    client, russia, north_korea
):
    ArticleFactory(tags=[russia, north_korea], english=True)
    page = links(client.get("/fr/etiquettes/russie,coree-du-nord/"))
    assert page.switcher["en"] == "/en/tags/russia,north-korea/"
    assert page.alternates["en"].endswith("/en/tags/russia,north-korea/")


def test_tag_without_english_name_shows_its_french_name_on_english_pages(client):
    tag = TagFactory(name_fr="région de Koursk", name_en=None)
    ArticleFactory(tags=[tag], english=True)
    response = client.get("/en/tags/region-de-koursk/")
    assert response.status_code == 200
    assert "région de Koursk" in response.content.decode()


def test_tag_index_lists_tags_with_their_readable_story_counts(client, russia, north_korea):
    ArticleFactory.create_batch(2, tags=[russia], english=True)
    ArticleFactory(tags=[russia, north_korea])
    ArticleFactory(tags=[north_korea], draft=True)
    french = {
        tag.name: tag.story_count for tag in client.get("/fr/etiquettes/").context["object_list"]
    }
    english = {tag.name: tag.story_count for tag in client.get("/en/tags/").context["object_list"]}
    assert french == {"Russie": 3, "Corée du Nord": 1}
    assert english == {"Russia": 2}


def test_tag_index_is_alphabetical_whatever_the_accents_and_missing_translations(client):
    names = [("Zoologie", "Zoology"), ("Élections", "Elections"), ("Municipales", None)]
    names += [("économie", "Economy"), ("Russie", "Russia")]
    ArticleFactory(tags=[TagFactory(name_fr=fr, name_en=en) for fr, en in names], english=True)
    french = [tag.name for tag in client.get("/fr/etiquettes/").context["object_list"]]
    english = [tag.name for tag in client.get("/en/tags/").context["object_list"]]
    assert french == ["économie", "Élections", "Municipales", "Russie", "Zoologie"]
    assert english == ["Economy", "Elections", "Municipales", "Russia", "Zoology"]


def test_tag_index_page_links_each_tag(client, russia):
    ArticleFactory(tags=[russia])
    assert 'href="/fr/etiquettes/russie/"' in client.get("/fr/etiquettes/").content.decode()


def test_tag_index_leaves_out_stories_scheduled_for_later(client, russia, north_korea):
    ArticleFactory(tags=[russia])
    ArticleFactory(tags=[russia, north_korea], published_at=timezone.now() + timedelta(days=1))
    french = {
        tag.name: tag.story_count for tag in client.get("/fr/etiquettes/").context["object_list"]
    }
    assert french == {"Russie": 1}


def test_tag_index_is_paginated_alphabetically(client, monkeypatch):
    from articles.views import TagListView

    monkeypatch.setattr(TagListView, "paginate_by", 2)
    tags = [TagFactory(name_fr=name) for name in ["Delta", "alpha", "Écho", "Charlie", "bravo"]]
    ArticleFactory(tags=tags)
    pages = []
    url = "/fr/etiquettes/"
    while url:
        response = client.get(url)
        pages.append([tag.name for tag in response.context["object_list"]])
        url = page_link(response, "next") and "/fr/etiquettes/" + page_link(response, "next")
    assert pages == [["alpha", "bravo"], ["Charlie", "Delta"], ["Écho"]]


def tagged_stories(tags_of_each):
    """One story per entry, one hour apart, newest last: [(title, [tags])...]."""
    start = timezone.now() - timedelta(days=10)
    for number, tags in enumerate(tags_of_each):
        ArticleFactory(
            title_fr=f"N{number:02}", tags=tags, published_at=start + timedelta(hours=number)
        )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("russie", {0, 2}), ("russie+coree-du-nord", {2}), ("russie,coree-du-nord", {0, 1, 2})],
)
def test_tag_pages_are_paginated_newest_first_without_repeats(
    client, russia, north_korea, expression, expected
):
    each = [[russia], [north_korea], [russia, north_korea], []]
    tagged_stories([each[n % 4] for n in range(100)])
    titles = sum(walk(client, f"/fr/etiquettes/{expression}/"), [])
    wanted = [f"N{n:02}" for n in reversed(range(100)) if n % 4 in expected]
    assert titles == wanted


# Query counts: the same whatever the number of stories and tags per story.


def build_corpus(stories, tags_per_story):
    tags = TagFactory.create_batch(tags_per_story)
    for _ in range(stories):
        ArticleFactory(tags=tags, english=True, authors=[])
    return tags


LIST_PAGES = [
    ("fr", "articles:article-list", {}),
    ("en", "articles:article-list", {}),
    ("fr", "articles:tag-list", {}),
    ("en", "articles:tag-list", {}),
]


def deep_page(client, url, depth):
    """The address of the page ``depth`` pages after ``url``, found by following links."""
    for _ in range(depth):
        next_link = page_link(client.get(url), "next")
        assert next_link, "the list is not that long"
        url = url.split("?")[0] + next_link
    return url


@pytest.mark.parametrize(("stories", "tags_per_story"), [(3, 1), (60, 8)])
@pytest.mark.parametrize(("language", "name", "kwargs"), LIST_PAGES)
def test_list_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, stories, tags_per_story, language, name, kwargs
):
    build_corpus(stories, tags_per_story)
    # 5: the home page also reads its lead stories (FrontPagePin), and each list whether
    # the same page has stories in the other language (its hreflang alternate).
    with django_assert_max_num_queries(5):
        response = client.get(url_in(language, name, **kwargs))
    assert response.status_code == 200


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_deep_home_page_runs_as_many_queries_as_the_first(
    client, django_assert_max_num_queries, settings, language
):
    settings.ARTICLES_PER_PAGE = 2
    build_corpus(12, 3)
    url = deep_page(client, url_in(language, "articles:article-list"), 4)
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert len(response.context["object_list"]) == 2


@pytest.mark.parametrize("operator", ["+", ","])
def test_a_deep_tag_page_runs_as_many_queries_as_the_first(
    client, django_assert_max_num_queries, settings, operator
):
    settings.ARTICLES_PER_PAGE = 2
    tags = build_corpus(12, 3)
    url = deep_page(client, Tag.combination_url(tags[:2], operator), 4)
    # As many as the first page (6, below): whether the English page after the same
    # story exists is read in the page's own statement (story_keys' also_in). With "+",
    # where the read of the rarest tag stops, and the English page's own read of it.
    with django_assert_max_num_queries(8 if operator == "+" else 6):
        response = client.get(url)
    assert len(response.context["object_list"]) == 2
    assert links(response).alternates["en"].endswith(url[url.index("?") :])


def test_a_deep_single_tag_page_runs_as_many_queries_as_the_first(
    client, django_assert_num_queries, settings
):
    settings.ARTICLES_PER_PAGE = 2
    tags = build_corpus(12, 1)
    first = client.get(tags[0].get_absolute_url())
    assert first.status_code == 200
    url = deep_page(client, tags[0].get_absolute_url(), 4)
    # The tag, its page with the English check folded in, the stories, their tags, their
    # authors and the tag's companions: the first page's six, whatever the depth.
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["object_list"]) == 2
    assert links(response).alternates["en"].endswith(url[url.index("?") :])


def test_a_deep_tag_page_has_no_english_alternate_where_the_english_list_has_ended(
    client, settings
):
    settings.ARTICLES_PER_PAGE = 2
    tag = TagFactory()
    # Published a second apart, newest first: the two newest are in English, the rest not.
    for number in range(8):
        ArticleFactory(tags=[tag], english=number < 2, authors=[])
    url = deep_page(client, tag.get_absolute_url(), 2)
    response = client.get(url)
    assert response.status_code == 200
    assert set(links(response).alternates) == {"fr"}
    first = client.get(tag.get_absolute_url())
    assert set(links(first).alternates) == {"fr", "en"}


@pytest.mark.parametrize(("stories", "tags_per_story"), [(3, 1), (60, 8)])
@pytest.mark.parametrize("operator", ["+", ","])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_tag_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, stories, tags_per_story, operator, language
):
    tags = build_corpus(stories, tags_per_story)
    slugs = operator.join(getattr(tag, f"slug_{language}") for tag in tags[:2])
    # 6: one tag's page offers its companions (Tag.frequent_companions); with "+", where
    # the read of the rarest tag stops (TaggedArticle.story_keys).
    with django_assert_max_num_queries(6):
        response = client.get(url_in(language, "articles:tag-detail", slugs=slugs))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(stories, 20)


@pytest.mark.parametrize("tags_per_story", [1, 8])
def test_story_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, tags_per_story
):
    build_corpus(3, tags_per_story)
    article = ArticleFactory(tags=TagFactory.create_batch(tags_per_story), english=True)
    # The story, its tags, its authors, its corrections and its related stories.
    with django_assert_max_num_queries(5):
        response = client.get(article.url_for("en"))
    assert response.status_code == 200


def test_a_tag_named_twice_redirects_to_the_page_of_that_tag(client, russia):
    in_both_languages(russia)
    response = client.get("/fr/etiquettes/russie+russie/")
    assert response.status_code == 301
    assert response["Location"] == "/fr/etiquettes/russie/"


def test_a_tag_by_both_its_slugs_redirects_to_the_page_of_that_tag(client, russia):
    in_both_languages(russia)
    response = client.get("/en/tags/russie,russia/")
    assert response.status_code == 301
    assert response["Location"] == "/en/tags/russia/"


def test_more_than_five_combined_tags_is_404(client):
    tags = TagFactory.create_batch(6)
    in_both_languages(*tags)
    assert client.get(Tag.combination_url(tags[:5], "+")).status_code == 200
    slugs = "+".join(tag.slug_fr for tag in tags)
    assert client.get(f"/fr/etiquettes/{slugs}/").status_code == 404


def test_a_french_slug_that_is_another_tags_english_slug_means_the_french_tag(client):
    french = TagFactory(name_fr="Culture", name_en="Arts")
    TagFactory(name_fr="Beaux-arts", name_en="Culture")
    ArticleFactory(tags=[french])
    response = client.get("/fr/etiquettes/culture/")
    assert response.status_code == 200
    assert response.context["tags"] == [french]


def test_combined_tag_page_heading_is_one_sentence(client, russia, north_korea):
    in_both_languages(russia, north_korea)
    both = client.get("/fr/etiquettes/russie+coree-du-nord/").content.decode()
    either = client.get("/en/tags/russia,north-korea/").content.decode()
    assert "<h1>Russie et Corée du Nord</h1>" in both
    assert "<h1>Russia or North Korea</h1>" in either


def test_byline_names_every_author_in_the_page_language(client):
    authors = [
        UserFactory(first_name="Léa", last_name="Dubois"),
        UserFactory(first_name="Karim", last_name="Benali"),
    ]
    article = ArticleFactory(authors=authors, english=True)
    assert "Par Karim Benali et Léa Dubois" in client.get(article.url_for("fr")).content.decode()
    assert "By Karim Benali and Léa Dubois" in client.get(article.url_for("en")).content.decode()


def test_staff_preview_under_the_other_slug_is_not_a_permanent_redirect(staff_client):
    article = ArticleFactory(title_fr="La Une", title_en="The Front Page", english=True, draft=True)
    response = staff_client.get(url_in("en", "articles:article-detail", slug="la-une"))
    assert response.status_code == 302
    assert response["Location"] == article.url_for("en")


# Embargoed topics: a tag is public only once one of its stories is readable.


@pytest.fixture
def embargoed():
    """A tag carried only by a draft and a story scheduled for tomorrow."""
    tag = TagFactory(name_fr="Fusion secrète", name_en="Secret merger")
    ArticleFactory(tags=[tag], draft=True, english=True)
    ArticleFactory(tags=[tag], english=True, published_at=timezone.now() + timedelta(days=1))
    return tag


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_tag_of_unpublished_stories_only_has_no_page(client, embargoed, language):
    response = client.get(embargoed.url_for(language))
    assert response.status_code == 404
    assert "Fusion secrète" not in response.content.decode()
    assert "Secret merger" not in response.content.decode()


@pytest.mark.parametrize("operator", ["+", ","])
def test_a_combination_with_an_embargoed_tag_has_no_page(client, russia, embargoed, operator):
    in_both_languages(russia, embargoed)
    ArticleFactory(tags=[russia], english=True)
    Article.objects.filter(tags=embargoed).unpublish()
    for language in ("fr", "en"):
        response = client.get(Tag.combination_url([russia, embargoed], operator, language))
        assert response.status_code == 404
        assert "Fusion" not in response.content.decode()


def test_another_languages_slug_of_an_embargoed_tag_is_not_redirected(client, embargoed):
    # A redirect would give away the tag's slug (its name) in the page's language.
    response = client.get("/fr/etiquettes/secret-merger/")
    assert response.status_code == 404
    assert "fusion" not in response.get("Location", "")


def test_an_embargoed_tag_is_on_no_public_list(client, embargoed, russia):
    in_both_languages(russia)
    for url in ("/fr/", "/en/", "/fr/etiquettes/", "/en/tags/", russia.url_for("fr")):
        content = client.get(url).content.decode()
        assert "Fusion secrète" not in content
        assert "Secret merger" not in content


def test_a_tag_page_exists_once_its_first_story_is_out(client, embargoed):
    Article.objects.filter(tags=embargoed, status="published").update(
        published_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get(embargoed.url_for("fr")).status_code == 200
    assert "Fusion secrète" in client.get("/fr/etiquettes/").content.decode()


def test_a_tag_of_french_stories_only_has_no_english_page_nor_alternate(client, russia):
    ArticleFactory(tags=[russia])
    assert client.get(russia.url_for("en")).status_code == 404
    french = links(client.get(russia.url_for("fr")))
    assert set(french.alternates) == {"fr"}


def test_the_tag_index_page_after_an_embargoed_tag_is_not_an_address(client, embargoed, russia):
    in_both_languages(russia)
    response = client.get(f"/fr/etiquettes/?after={embargoed.slug_fr}")
    assert response.status_code == 302
    assert response["Location"] == "/fr/etiquettes/"


# Page addresses name a row of their list: no made-up address is a page.


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_cursor_naming_no_story_leads_to_the_list(client, direction):
    story = ArticleFactory()
    moment = story.published_at.astimezone(UTC)
    for made_up in (
        StoryCursor(moment, story.pk + 1000),
        StoryCursor(moment + timedelta(microseconds=1), story.pk),
        StoryCursor(datetime(2099, 1, 1, tzinfo=UTC), story.pk),
    ):
        response = client.get(f"/fr/?{direction}={made_up}")
        assert response.status_code == 302
        assert response["Location"] == "/fr/"


def test_a_cursor_spelled_otherwise_is_no_address(client):
    story = ArticleFactory()
    cursor = str(StoryCursor(story.published_at, story.pk))
    padded = cursor.replace("-", "-000")
    assert client.get(f"/fr/?after={padded}").status_code == 404


@pytest.mark.parametrize("kind", ["scheduled", "unpublished", "french only"])
def test_a_cursor_naming_a_story_not_in_the_list_leads_to_the_list(client, kind):
    ArticleFactory.create_batch(3, english=True)
    story = ArticleFactory(english=kind != "french only")
    if kind == "scheduled":
        Article.objects.filter(pk=story.pk).update(published_at=timezone.now() + timedelta(days=1))
    elif kind == "unpublished":
        Article.objects.filter(pk=story.pk).unpublish()
    story.refresh_from_db()
    response = client.get(f"/en/?after={StoryCursor(story.published_at, story.pk)}")
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_a_cursor_naming_a_story_without_the_tag_leads_to_the_tag_page(client, russia):
    ArticleFactory.create_batch(3, tags=[russia])
    other = ArticleFactory()
    response = client.get(
        f"{russia.url_for('fr')}?after={StoryCursor(other.published_at, other.pk)}"
    )
    assert response.status_code == 302
    assert response["Location"] == russia.url_for("fr")


def test_a_cursor_of_the_list_still_pages(client, settings):
    settings.ARTICLES_PER_PAGE = 2
    stories = [ArticleFactory(published_at=timezone.now() - timedelta(hours=n)) for n in range(5)]
    response = client.get(f"/fr/?after={StoryCursor(stories[1].published_at, stories[1].pk)}")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == stories[2:4]


def test_a_tag_whose_english_stories_are_all_scheduled_has_no_english_alternate(client, russia):
    ArticleFactory(tags=[russia])
    ArticleFactory(tags=[russia], english=True, published_at=timezone.now() + timedelta(days=1))
    assert client.get(russia.url_for("en")).status_code == 404
    assert set(links(client.get(russia.url_for("fr"))).alternates) == {"fr"}
    assert client.get(russia.url_for("fr")).status_code == 200
