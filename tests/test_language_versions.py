"""Each language version of a story has its own state; readers see the original and
the translations marked ready, on every public page (articles.models.LanguageState)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from articles.models import Article, LanguageState, StoryTranslation, Tag
from tests.factories import ArticleFactory, TagFactory, UserFactory
from tests.test_views import links, url_in

pytestmark = pytest.mark.django_db


def english_draft(story, title="The English version", body="<p>English text.</p>"):
    story.title_en, story.body_en = title, body
    story.save()
    return story


@pytest.fixture
def tag():
    return TagFactory(name_fr="Russie", name_en="Russia")


@pytest.fixture
def story(tag):
    """A published French story whose English translation is being written."""
    return english_draft(ArticleFactory(title_fr="La Une", tags=[tag]))


# The states


def test_the_original_is_source_and_a_new_translation_is_in_progress(story):
    assert story.source_language == "fr"
    assert story.state("fr") == LanguageState.SOURCE
    assert story.state("en") == LanguageState.IN_PROGRESS
    assert story.public_languages() == ["fr"]


def test_a_story_written_in_english_only_has_english_as_its_original():
    story = ArticleFactory(title_fr=None, body_fr=None, standfirst_fr="", english=True)
    assert story.source_language == "en"
    assert (story.state("en"), story.state("fr")) == (LanguageState.SOURCE, LanguageState.MISSING)


def test_an_untranslated_language_is_missing():
    assert ArticleFactory().state("en") == LanguageState.MISSING


def test_marking_ready_makes_the_translation_public_and_keeps_its_basis(story):
    translator = UserFactory()
    story.mark_translation_ready("en", translator)
    story.save()
    story.refresh_from_db()
    assert story.state("en") == LanguageState.READY
    basis = StoryTranslation.objects.get(story=story, language="en")
    assert basis.ready_by == translator
    assert basis.source == story.source_text()
    assert story.public_languages() == ["fr", "en"]


def test_a_translation_without_text_cannot_be_marked_ready():
    story = ArticleFactory()
    with translation.override("en"), pytest.raises(ValidationError, match="title and a body"):
        story.mark_translation_ready("en", None)


def test_changing_the_original_outdates_the_translation_field_by_field(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.standfirst_fr = "Un nouveau chapeau."
    story.save()
    assert story.state("en") == LanguageState.OUTDATED
    basis = story.translation_bases()["en"]
    assert basis.outdated_fields(story) == ["standfirst"]
    story.body_fr = "<p>Un texte corrigé.</p>"
    story.save()
    assert basis.outdated_fields(story) == ["standfirst", "body"]


def test_an_outdated_translation_stays_public_until_taken_offline(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.title_fr = "La Une corrigée"
    story.save()
    assert Article.objects.readable("en").filter(pk=story.pk).exists()
    story.mark_translation_in_progress("en")
    story.save()
    assert not Article.objects.readable("en").filter(pk=story.pk).exists()


def test_marking_ready_again_clears_the_outdated_flag(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.title_fr = "La Une corrigée"
    story.save()
    story.mark_translation_ready("en", None)
    story.save()
    assert story.state("en") == LanguageState.READY
    story.save()  # and it stays so
    assert story.state("en") == LanguageState.READY


def test_the_original_changed_back_makes_the_translation_ready_again(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.title_fr = "Autre chose"
    story.save()
    story.title_fr = "La Une"
    story.save()
    assert story.state("en") == LanguageState.READY


def test_editing_the_translation_itself_does_not_outdate_it(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.body_en = "<p>English text, with a typo fixed.</p>"
    story.save()
    assert story.state("en") == LanguageState.READY


def test_deleting_a_translation_makes_it_missing(story):
    story.mark_translation_ready("en", None)
    story.save()
    story.title_en = story.body_en = ""
    story.save()
    assert story.state("en") == LanguageState.MISSING


def test_a_ready_translation_from_before_bases_follows_the_stored_original(story):
    # As migration 0007 leaves the translations that were online: ready, with no basis.
    Article.objects.filter(pk=story.pk).update(state_en=LanguageState.READY)
    story = Article.objects.get(pk=story.pk)
    story.title_fr = "La Une corrigée"
    story.save()
    assert story.state("en") == LanguageState.OUTDATED
    assert story.translation_bases()["en"].source["title"] == "La Une"


def test_the_database_refuses_a_public_version_without_text():
    story = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=story.pk).update(state_en=LanguageState.READY)


def test_the_original_needs_a_title_and_a_body():
    story = Article(title_en="Only English", body_en="<p>Text.</p>", source_language="fr")
    story.pk = 1  # an existing story: its original is not guessed again
    with translation.override("en"), pytest.raises(ValidationError, match="original language"):
        story.clean()


# Every public page follows the translation's state


def test_a_translation_in_progress_is_not_on_the_english_home_but_the_french_is(client, story):
    english = client.get(url_in("en", "articles:article-list")).content.decode()
    french = client.get(url_in("fr", "articles:article-list")).content.decode()
    assert "The English version" not in english
    assert "La Une" in french


def test_a_translation_in_progress_has_no_english_page_for_readers(client, story):
    assert client.get(story.url_for("en")).status_code == 404


def test_staff_preview_a_translation_in_progress_as_readers_will_see_it(staff_client, story):
    response = staff_client.get(story.url_for("en"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in content
    assert "The English version" in content
    assert 'rel="canonical"' not in content


def test_a_translation_in_progress_is_not_on_the_english_tag_page_nor_counted(client, story, tag):
    assert client.get(tag.url_for("en")).status_code == 404
    tag.refresh_from_db()
    assert (tag.story_count_fr, tag.story_count_en) == (1, 0)
    index = client.get(url_in("en", "articles:tag-list")).content.decode()
    assert "Russia" not in index


def test_the_french_page_offers_no_english_version_until_it_is_ready(client, story):
    page = links(client.get(story.url_for("fr")))
    assert page.switcher["en"] == "/en/"
    assert set(page.alternates) == {"fr"}


def test_marking_ready_puts_it_on_every_english_page(client, story, tag):
    story.mark_translation_ready("en", None)
    story.save()
    tag.refresh_from_db()
    assert tag.story_count_en == 1
    assert (
        "The English version" in client.get(url_in("en", "articles:article-list")).content.decode()
    )
    assert client.get(story.url_for("en")).status_code == 200
    tag_page = client.get(tag.url_for("en")).content.decode()
    assert "The English version" in tag_page
    assert "Russia" in client.get(url_in("en", "articles:tag-list")).content.decode()
    page = links(client.get(story.url_for("fr")))
    assert page.switcher["en"] == story.url_for("en")
    assert set(page.alternates) == {"fr", "en"}


def test_the_french_slug_under_english_redirects_only_once_the_translation_is_ready(client, story):
    address = url_in("en", "articles:article-detail", slug=story.slug_fr)
    assert client.get(address).status_code == 404
    story.mark_translation_ready("en", None)
    story.save()
    response = client.get(address)
    assert response.status_code == 301
    assert response["Location"] == story.url_for("en")


def test_the_tag_page_has_an_english_alternate_only_once_a_translation_is_ready(client, story, tag):
    assert set(links(client.get(tag.url_for("fr"))).alternates) == {"fr"}
    story.mark_translation_ready("en", None)
    story.save()
    assert set(links(client.get(tag.url_for("fr"))).alternates) == {"fr", "en"}


def test_taking_a_translation_offline_takes_it_off_the_counts(story, tag):
    story.mark_translation_ready("en", None)
    story.save()
    story.mark_translation_in_progress("en")
    story.save()
    tag.refresh_from_db()
    assert tag.story_count_en == 0
    assert Tag.objects.filter(pk=tag.pk).refresh_story_counts() == 1
    tag.refresh_from_db()
    assert tag.story_count_en == 0


def test_an_english_original_with_a_french_translation_in_progress(client):
    story = ArticleFactory(title_fr=None, body_fr=None, standfirst_fr="", english=True)
    story.title_fr, story.body_fr = "La version française", "<p>Texte.</p>"
    story.save()
    assert client.get(story.url_for("en")).status_code == 200
    assert client.get(story.url_for("fr")).status_code == 404
    with translation.override("fr"):
        home = client.get(reverse("articles:article-list")).content.decode()
    assert "La version française" not in home


# A tag's slug follows its name in each language


def test_a_translated_tag_name_gives_the_tag_its_own_slug_and_the_old_one_redirects(client):
    tag = TagFactory(name_fr="Nucléaire", name_en="Nucléaire")  # as a new tag is created
    ArticleFactory(tags=[tag], english=True)
    assert tag.slug_en == "nucleaire"
    tag = Tag.objects.get(pk=tag.pk)
    tag.name_en = "Nuclear power"
    tag.save()
    assert (tag.slug_fr, tag.slug_en) == ("nucleaire", "nuclear-power")
    response = client.get("/en/tags/nucleaire/")
    assert response.status_code == 301
    assert response["Location"] == "/en/tags/nuclear-power/"
    assert client.get("/fr/etiquettes/nucleaire/").status_code == 200


def test_a_slug_set_by_hand_stays_when_the_name_changes():
    tag = TagFactory(name_fr="Corée du Nord", slug_fr="rpdc")
    tag = Tag.objects.get(pk=tag.pk)
    tag.name_fr = "Corée du Nord (RPDC)"
    tag.save()
    assert tag.slug_fr == "rpdc"


def test_a_slug_typed_with_the_new_name_is_kept():
    tag = Tag.objects.get(pk=TagFactory(name_fr="Climat").pk)
    tag.name_fr, tag.slug_fr = "Climat et météo", "meteo"
    tag.save()
    assert tag.slug_fr == "meteo"


def test_renaming_back_gives_the_old_address_back_to_the_tag(client):
    tag = Tag.objects.get(pk=TagFactory(name_fr="Climat").pk)
    ArticleFactory(tags=[tag])
    tag.name_fr = "Climat et météo"
    tag.save()
    tag = Tag.objects.get(pk=tag.pk)
    tag.name_fr = "Climat"
    tag.save()
    assert tag.slug_fr == "climat"
    assert client.get("/fr/etiquettes/climat/").status_code == 200
    response = client.get("/fr/etiquettes/climat-et-meteo/")
    assert response["Location"] == "/fr/etiquettes/climat/"


def test_an_old_slug_of_an_embargoed_tag_is_no_redirect(client):
    tag = Tag.objects.get(pk=TagFactory(name_fr="Secret").pk)
    ArticleFactory(tags=[tag], draft=True)
    tag.name_fr = "Secret défense"
    tag.save()
    assert client.get("/fr/etiquettes/secret/").status_code == 404
