"""Searching stories (articles.search): every language's headline, standfirst and text."""

import pytest

from articles.models import Article
from articles.search import search_stories, words
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def found(text):
    return set(search_stories(Article.objects.all(), text).values_list("pk", flat=True))


@pytest.fixture
def koursk():
    return ArticleFactory(
        title_fr="Offensive dans la région de Koursk",
        standfirst_fr="L’armée ukrainienne avance.",
        body_fr="<p>Les <strong>blindés</strong> ont franchi la frontière à l’aube.</p>",
        title_en="Offensive in the Kursk region",
        standfirst_en="The Ukrainian army advances.",
        body_en="<p>Armoured vehicles crossed the border at dawn.</p>",
        english=True,
    )


@pytest.fixture
def other():
    return ArticleFactory(title_fr="Budget de la ville", body_fr="<p>Le conseil a voté.</p>")


@pytest.mark.parametrize(
    "text",
    [
        "koursk",  # the French title
        "ukrainienne",  # the French standfirst
        "blindés",  # the French body, inside a tag
        "kursk",  # the English title
        "ukrainian",  # the English standfirst
        "armoured",  # the English body
    ],
)
def test_search_reads_every_text_in_both_languages(koursk, other, text):
    assert found(text) == {koursk.pk}


@pytest.mark.parametrize("text", ["REGION", "région", "Frontiere", "BLINDES", "l'aube"])
def test_search_ignores_accents_and_case(koursk, other, text):
    assert found(text) == {koursk.pk}


def test_typed_accents_find_plain_words():
    story = ArticleFactory(title_fr="Le musee du Louvre")
    assert found("musée") == {story.pk}


def test_ligatures_are_searched_as_two_letters():
    story = ArticleFactory(title_fr="Les Œuvres d’art volées", body_fr="<p>Un cœur.</p>")
    assert found("oeuvres") == found("œuvre") == found("coeur") == {story.pk}


def test_each_word_typed_starts_a_word_of_the_story(koursk, other):
    assert found("kou") == {koursk.pk}
    assert found("région kou") == {koursk.pk}
    assert found("ursk") == set()  # not the middle of a word


def test_every_word_typed_must_be_found(koursk, other):
    assert found("koursk conseil") == set()
    assert found("la") == {koursk.pk, other.pk}


def test_html_tags_are_not_words(koursk):
    assert found("strong") == set()


@pytest.mark.parametrize("text", ["", "  ", "—", "&|!():*'", "\\"])
def test_a_search_without_words_finds_nothing(koursk, text):
    assert found(text) == set()


def test_punctuation_around_words_is_left_out(koursk):
    assert found("koursk!' & (blindés)") == {koursk.pk}


def test_typed_words_are_folded_as_the_database_folds_the_stories():
    assert words("Œuvres d’art À L’ÉTÉ, l'État") == ["oeuvres", "d", "art", "a", "l", "ete", "etat"]


def test_a_long_search_keeps_its_first_words():
    assert len(words(" ".join(f"mot{number}" for number in range(50)))) == 8


def test_the_search_follows_an_edit(koursk):
    koursk.body_en = "<p>Tanks crossed at dawn.</p>"
    koursk.save()
    assert found("tanks") == {koursk.pk}
    assert found("armoured") == set()


def test_a_story_written_in_english_only_is_found():
    story = ArticleFactory(
        title_fr="", body_fr="", title_en="Floods in Devon", body_en="<p>Rain.</p>"
    )
    assert found("devon") == {story.pk}


def test_stories_are_loaded_without_their_search_words(koursk):
    story = Article.objects.get(pk=koursk.pk)
    assert "search_words" in story.get_deferred_fields()
