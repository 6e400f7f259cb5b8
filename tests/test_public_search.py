"""The readers' search (articles.search, SearchView): /fr/recherche/ and /en/search/."""

from datetime import timedelta
from urllib.parse import urlencode

import lxml.html
import pytest
from django.utils import timezone

from articles import search
from articles.models import Article, LanguageState
from tests.factories import ArticleFactory, TagFactory
from tests.test_views import page_link, url_in

pytestmark = pytest.mark.django_db


def search_url(language, q=None, **parameters):
    if q is not None:
        parameters = {"q": q, **parameters}
    url = url_in(language, "articles:search")
    return f"{url}?{urlencode(parameters)}" if parameters else url


def get(client, language, q=None, **parameters):
    response = client.get(search_url(language, q, **parameters))
    assert response.status_code == 200, response.status_code
    return response


def document(response):
    return lxml.html.fromstring(response.content.decode())


def titles(response):
    return [story.title for story in response.context["object_list"]]


def found(client, q, language="fr", **parameters):
    return set(titles(get(client, language, q, **parameters)))


def story(title_fr, body_fr="<p>Texte.</p>", minutes=0, **fields):
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1, minutes=minutes))
    fields.setdefault("standfirst_fr", "")
    return ArticleFactory(title_fr=title_fr, body_fr=body_fr, **fields)


def english(title_en, body_en="<p>Text.</p>", minutes=0, **fields):
    return story(
        f"Version française {title_en}",
        minutes=minutes,
        title_en=title_en,
        body_en=body_en,
        standfirst_en="",
        state_en=LanguageState.READY,
        **fields,
    )


# Words: stems, accents, languages


def test_french_words_are_found_by_their_stem(client):
    story("Les inondations gagnent la vallée")
    story("Budget de la ville")
    assert found(client, "inondation") == {"Les inondations gagnent la vallée"}


def test_english_words_are_found_by_their_stem(client):
    english("Floods reach the valley")
    english("City budget")
    assert found(client, "flooding", "en") == {"Floods reach the valley"}


@pytest.mark.parametrize("typed", ["coree", "Corée", "CORÉE", "corée"])
def test_accents_and_case_are_ignored_one_way(client, typed):
    story("La Corée du Nord tire un missile")
    assert found(client, typed) == {"La Corée du Nord tire un missile"}


@pytest.mark.parametrize("typed", ["corée", "Coree"])
def test_accents_and_case_are_ignored_the_other_way(client, typed):
    story("Tensions avec la coree du nord")
    assert found(client, typed) == {"Tensions avec la coree du nord"}


def test_ligatures_are_searched_as_two_letters(client):
    story("Les œuvres volées du musée")
    assert found(client, "oeuvre") == {"Les œuvres volées du musée"}


def test_every_word_typed_must_be_found(client):
    story("Grève des trains en région")
    story("Grève des enseignants")
    assert found(client, "grève trains") == {"Grève des trains en région"}


def test_quotes_find_words_side_by_side(client):
    story("Le port de Marseille", body_fr="<p>Un port, Marseille.</p>")
    story("Marseille et son port")
    assert found(client, '"port de marseille"') == {"Le port de Marseille"}


def test_a_minus_sign_leaves_a_word_out(client):
    story("Grève des trains")
    story("Grève des enseignants")
    assert found(client, "grève -trains") == {"Grève des enseignants"}


def test_the_text_of_the_body_is_searched_without_its_tags(client):
    story("Une journée", body_fr="<p>Les <strong>blindés</strong> avancent.</p>")
    assert found(client, "blindes") == {"Une journée"}
    assert found(client, "strong") == set()


# Ranking


def test_a_word_in_the_title_ranks_above_one_in_the_standfirst_or_body(client):
    story("Le budget", body_fr="<p>Une réunion sur le climat.</p>", minutes=1)
    story("Une réunion", standfirst_fr="Il parle du climat.", minutes=2)
    story("Le climat en question", minutes=30)
    assert titles(get(client, "fr", "climat")) == [
        "Le climat en question",
        "Une réunion",
        "Le budget",
    ]


def test_equally_relevant_stories_come_newest_first(client):
    for minutes in (5, 1, 3):
        story(f"Climat {minutes}", minutes=minutes)
    assert titles(get(client, "fr", "climat")) == ["Climat 1", "Climat 3", "Climat 5"]


# Snippets


def test_the_words_found_are_marked_in_their_original_spelling(client):
    story(
        "La Corée du Nord tire un missile",
        body_fr="<p>Les tirs de la <em>Corée</em> inquiètent Séoul &amp; Tokyo.</p>",
    )
    page = document(get(client, "fr", "coree"))
    (result,) = page.cssselect("article.search-result")
    assert [mark.text for mark in result.cssselect("h2 mark")] == ["Corée"]
    snippet = result.cssselect(".snippet")[0]
    assert [mark.text for mark in snippet.cssselect("mark")] == ["Corée"]
    assert snippet.text_content() == "Les tirs de la Corée inquiètent Séoul & Tokyo."
    # Only the marks are markup: the body's own tags are gone.
    assert {element.tag for element in snippet.iter()} == {"p", "mark"}


def test_the_snippet_is_the_standfirst_when_it_has_a_word_found(client):
    story("Un titre", standfirst_fr="Les agriculteurs manifestent.", body_fr="<p>Rien.</p>")
    snippet = document(get(client, "fr", "agriculteur")).cssselect(".snippet")[0]
    assert snippet.text_content() == "Les agriculteurs manifestent."
    assert [mark.text for mark in snippet.cssselect("mark")] == ["agriculteurs"]


def test_a_long_body_gives_a_short_snippet_around_the_first_word_found(client):
    before = " ".join(f"avant{number}" for number in range(100))
    after = " ".join(f"apres{number}" for number in range(100))
    story("Un titre", body_fr=f"<p>{before} sécheresse {after}</p>")
    snippet = document(get(client, "fr", "secheresse")).cssselect(".snippet")[0]
    text = snippet.text_content()
    assert text.startswith("… ")
    assert text.endswith(" …")
    assert len(text.split()) <= search.SNIPPET_WORDS + 2
    assert [mark.text for mark in snippet.cssselect("mark")] == ["sécheresse"]


def test_text_that_looks_like_markup_is_shown_as_text(client):
    story("Le <b>budget</b> & la dette", standfirst_fr="Un <script>budget</script> voté.")
    result = document(get(client, "fr", "budget")).cssselect("article.search-result")[0]
    assert result.cssselect("h2 a")[0].text_content() == "Le <b>budget</b> & la dette"
    assert not result.cssselect("b, script")
    assert [mark.text for mark in result.cssselect("mark")] == ["budget", "budget"]


# Pages


def walk(client, url):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(titles(response))
        link = page_link(response, "next")
        url = response.request["PATH_INFO"] + link if link else None
    return pages


def walk_back(client, url):
    pages = []
    while url:
        response = client.get(url, follow=True)
        assert response.status_code == 200
        pages.append(titles(response))
        link = page_link(response, "prev")
        if link and link.startswith("?"):
            link = response.request["PATH_INFO"] + link
        url = link
    return pages


def test_results_are_paged_with_cursors_that_keep_the_search(client, settings):
    settings.ARTICLES_PER_PAGE = 2
    for minutes in range(5):
        story(f"Climat {minutes}", minutes=minutes)
    story("Budget")
    pages = walk(client, search_url("fr", "climat"))
    assert pages == [["Climat 0", "Climat 1"], ["Climat 2", "Climat 3"], ["Climat 4"]]
    response = client.get(search_url("fr", "climat"))
    assert "after=" in page_link(response, "next")
    assert "q=climat" in page_link(response, "next")


def test_past_the_ranked_window_older_matches_follow_newest_first(client, settings, monkeypatch):
    settings.ARTICLES_PER_PAGE = 2
    monkeypatch.setattr(search, "RANKED_WINDOW", 3)
    story("Mot", body_fr="<p>Climat.</p>", minutes=1)
    story("Climat en titre", minutes=2)
    story("Autre", body_fr="<p>Climat.</p>", minutes=3)
    for minutes in range(4, 8):
        story(f"Climat {minutes}", minutes=minutes)
    pages = walk(client, search_url("fr", "climat"))
    assert pages == [
        ["Climat en titre", "Mot"],
        ["Autre", "Climat 4"],
        ["Climat 5", "Climat 6"],
        ["Climat 7"],
    ]
    first = client.get(search_url("fr", "climat"))
    assert "plus récents d’abord" in first.content.decode()
    last = client.get(search_url("fr", "climat"))
    url = search_url("fr", "climat")
    for _ in range(3):
        last = client.get(url)
        url = last.request["PATH_INFO"] + page_link(last, "next")
    assert list(reversed(walk_back(client, url))) == pages


def test_a_cursor_naming_no_result_leads_to_the_first_page_of_the_search(client):
    story("Climat")
    response = client.get(search_url("fr", "climat", after="20200101000000000000-999999"))
    assert response.status_code == 302
    assert response["Location"] == search_url("fr", "climat")


def test_a_malformed_cursor_is_not_a_page(client):
    assert client.get(search_url("fr", "climat", after="demain")).status_code == 404


# Tags


def test_a_tag_narrows_the_search(client):
    climate = TagFactory(name_fr="Climat", name_en="Climate")
    story("Sécheresse en Provence", tags=[climate])
    story("Sécheresse des finances")
    assert found(client, "sécheresse", tag=climate.slug_fr) == {"Sécheresse en Provence"}
    response = get(client, "fr", "sécheresse", tag=climate.slug_fr)
    assert "Climat" in document(response).cssselect(".search-scope")[0].text_content()


def test_an_unknown_tag_is_not_a_search_page(client):
    story("Sécheresse")
    assert client.get(search_url("fr", "sécheresse", tag="nulle-part")).status_code == 404
    assert client.get(search_url("fr", "sécheresse", tag="<script>")).status_code == 404


def test_a_tag_page_offers_to_search_its_stories(client):
    climate = TagFactory(name_fr="Climat", name_en="Climate")
    story("Sécheresse en Provence", tags=[climate])
    page = document(client.get(climate.url_for("fr")))
    (form,) = page.cssselect("main form[role=search]")
    assert form.get("action") == url_in("fr", "articles:search")
    assert form.cssselect("input[name=tag]")[0].get("value") == climate.slug_fr


# What readers may see


def test_a_story_not_translated_into_english_is_not_found_in_english(client):
    story("Koursk", title_en="Kursk offensive", body_en="<p>Kursk.</p>")  # not marked ready
    english("Kursk region")
    assert found(client, "kursk", "en") == {"Kursk region"}
    assert found(client, "koursk", "fr") == {"Koursk"}


def test_english_pages_search_the_english_text(client):
    english("Floods in Devon", body_en="<p>Rain.</p>")
    assert found(client, "devon", "en") == {"Floods in Devon"}
    assert found(client, "version", "en") == set()


def test_drafts_and_scheduled_stories_are_not_found(client):
    story("Climat publié")
    story("Climat brouillon", status=Article.Status.DRAFT, published_at=None)
    story("Climat programmé", published_at=timezone.now() + timedelta(days=1))
    assert found(client, "climat") == {"Climat publié"}


def test_search_follows_an_edit(client):
    edited = story("Climat")
    edited.title_fr = "Sécheresse"
    edited.save()
    assert found(client, "climat") == set()
    assert found(client, "sécheresse") == {"Sécheresse"}


# Odd searches


def test_without_words_the_page_invites_to_search(client):
    story("Climat")
    page = document(get(client, "fr"))
    assert page.cssselect(".search-invite")
    assert not page.cssselect("article.search-result, .empty")
    assert document(get(client, "fr", "   ")).cssselect(".search-invite")


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '"climat',
        "' OR 1=1 --",
        "&|!:*()",
        "climat & | ! : * ( )",
        "!climat",
        "climat:*",
        "a\x00b",
        "\x00",
        "日本語",
        "Москва",
        "🙂",
        "-",
        "--climat",
        "\\",
        "x" * 5000,
        " ".join(["climat"] * 2000),
        "<script>alert(1)</script>",
    ],
)
def test_an_odd_search_is_a_normal_page(client, typed):
    story("Climat")
    response = get(client, "fr", typed)
    assert document(response).cssselect("h1")


def test_other_scripts_are_found(client):
    story("東京 et Москва")
    assert found(client, "東京") == {"東京 et Москва"}
    assert found(client, "Москва") == {"東京 et Москва"}


def test_only_common_words_say_so_without_reading_the_stories(
    client, django_assert_max_num_queries
):
    story("Le climat")
    with django_assert_max_num_queries(1):
        response = get(client, "fr", "le la de et du")
    assert document(response).cssselect(".empty")
    assert not response.context["object_list"]


def test_the_page_shows_the_search_in_its_field(client):
    response = get(client, "fr", "région de Koursk")
    (field,) = document(response).cssselect("main form[role=search] input[name=q]")
    assert field.get("value") == "région de Koursk"


# The page


def test_search_pages_are_not_for_search_engines(client):
    response = get(client, "fr", "climat")
    assert document(response).cssselect('meta[name="robots"]')[0].get("content") == "noindex"
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_links_to_the_search(client, language):
    story("Climat")
    for url in (url_in(language, "articles:article-list"), url_in(language, "articles:tag-list")):
        page = document(client.get(url))
        (form,) = page.cssselect("header form[role=search]")
        assert form.get("action") == url_in(language, "articles:search")
        assert form.get("aria-label")
        (field,) = form.cssselect("input[name=q]")
        (label,) = form.cssselect(f"label[for={field.get('id')}]")
        assert label.text_content().strip() == {"fr": "Rechercher", "en": "Search"}[language]


def test_search_pages_are_not_kept_by_the_page_cache(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    story("Climat")
    client.get(search_url("fr", "climat"))
    second = client.get(search_url("fr", "climat"))
    assert "X-Page-Cache" not in second
    assert titles(client.get(search_url("fr", "budget"))) == []


def test_the_language_switcher_leads_to_the_same_search(client):
    response = get(client, "fr", "climat")
    english = next(a for a in response.context["alternates"] if a["code"] == "en")
    assert english["url"] == search_url("en", "climat")


@pytest.mark.parametrize("tagged", [False, True])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_search_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, settings, language, tagged
):
    settings.ARTICLES_PER_PAGE = 5
    tags = TagFactory.create_batch(8)
    for minutes in range(40):
        english("Climate climat", minutes=minutes, tags=tags)
    parameters = {"tag": tags[0].slug_in(language)} if tagged else {}
    url = search_url(language, "climat" if language == "fr" else "climate", **parameters)
    with django_assert_max_num_queries(6 if tagged else 5):
        first = client.get(url)
    assert len(first.context["object_list"]) == 5
    deeper = first.request["PATH_INFO"] + page_link(first, "next")
    with django_assert_max_num_queries(6 if tagged else 5):
        second = client.get(deeper)
    assert len(second.context["object_list"]) == 5


def test_a_nul_is_accepted_in_the_search_words_only(client):
    story("Climat")
    assert client.get(search_url("fr", "cli\x00mat")).status_code == 200
    assert client.get(search_url("fr", "climat", tag="a\x00b")).status_code == 400
    assert client.get(search_url("fr", "climat", after="\x00")).status_code == 400
    assert client.get(url_in("fr", "articles:article-list") + "?q=a%00b").status_code == 400
