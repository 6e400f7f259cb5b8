"""Translations in the admin: who marks them ready, what the translator sees, the trail."""

import pytest

from articles import workflow
from articles.models import Article, LanguageState, StoryEvent
from tests.conftest import member
from tests.factories import ArticleFactory
from tests.test_workflow import admin_url, save, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    """A published French story, its English translation written but not ready."""
    story = ArticleFactory(
        title_fr="Koursk : le front bouge",
        standfirst_fr="Ce qu’il faut savoir.",
        body_fr="<p>Les troupes avancent vers le nord.</p>",
        title_en="Kursk: the front moves",
        body_en="<p>Troops move north.</p>",
    )
    assert story.state("en") == LanguageState.IN_PROGRESS
    return story


def state_after(story, language="en"):
    return Article.objects.get(pk=story.pk).state(language)


def change_page(client, story):
    return client.get(admin_url("articles_article_change", story.pk)).content.decode()


def test_a_translator_marks_their_translation_ready_and_readers_see_it(client, translator, story):
    response = save(signed_in(client, translator), story, translation_en="ready")
    assert response.status_code == 302
    assert state_after(story) == LanguageState.READY
    assert Article.objects.readable("en").filter(pk=story.pk).exists()
    event = StoryEvent.objects.get(story=story, kind=StoryEvent.Kind.TRANSLATION_READY)
    assert (event.user, event.language) == (translator, "en")


def test_a_translator_writes_beside_the_original_shown_read_only(client, translator, story):
    content = change_page(signed_in(client, translator), story)
    assert 'class="module aligned side-by-side"' in content
    original = '<div class="original-text" lang="fr"><p class="original-title">'
    assert original + "Koursk : le front bouge</p>" in content
    assert "Les troupes avancent vers le nord." in content
    assert 'name="title_en"' in content
    assert 'name="title_fr"' not in content
    assert 'name="translation_en"' in content


def test_the_translation_in_another_language_is_not_a_translators_to_mark(client, roles, story):
    into_french = member(workflow.translators("fr"))
    response = save(signed_in(client, into_french), story, translation_en="ready")
    assert state_after(story) == LanguageState.IN_PROGRESS
    assert not StoryEvent.objects.filter(kind=StoryEvent.Kind.TRANSLATION_READY).exists()
    assert response.status_code in (200, 302, 403)
    content = change_page(client, story)
    assert 'name="title_fr"' not in content  # the original is not a translator's to write


def test_a_journalist_cannot_mark_a_translation_ready_even_by_hand(client, journalist, story):
    story.status = Article.Status.DRAFT
    story.save()
    story.authors.add(journalist)
    response = save(signed_in(client, journalist), story, translation_en="ready")
    assert response.status_code == 302  # the rest of the form is saved
    assert state_after(story) == LanguageState.IN_PROGRESS
    assert 'name="translation_en" disabled' in change_page(client, story) or (
        "disabled" in change_page(client, story).split('name="translation_en"')[1][:40]
    )


def test_an_editor_marks_ready_and_takes_a_translation_offline(client, editor, story):
    client = signed_in(client, editor)
    save(client, story, translation_en="ready")
    assert state_after(story) == LanguageState.READY
    save(client, story, translation_en="in_progress")
    assert state_after(story) == LanguageState.IN_PROGRESS
    kinds = list(StoryEvent.objects.filter(story=story).values_list("kind", flat=True))
    assert kinds == [StoryEvent.Kind.TRANSLATION_READY, StoryEvent.Kind.TRANSLATION_WITHDRAWN]
    assert "Translation taken offline (English)" in change_page(client, story)


def test_a_translation_without_a_body_cannot_be_marked_ready(client, translator, story):
    response = save(signed_in(client, translator), story, translation_en="ready", body_en="")
    assert response.status_code == 200
    assert "title and a body" in response.content.decode()
    assert state_after(story) == LanguageState.IN_PROGRESS
    assert Article.objects.get(pk=story.pk).body_en == "<p>Troops move north.</p>"


def test_the_original_cannot_be_marked_as_a_translation(client, editor, story):
    content = change_page(signed_in(client, editor), story)
    assert 'name="translation_en"' in content
    assert 'name="translation_fr"' not in content


def test_an_outdated_translation_shows_what_changed_and_ready_again_clears_it(
    client, translator, editor, story
):
    story.mark_translation_ready("en", translator)
    story.save()
    save(signed_in(client, editor), story, body_fr="<p>Les troupes reculent vers le nord.</p>")
    assert state_after(story) == LanguageState.OUTDATED
    content = change_page(signed_in(client, translator), story)
    assert "<del>avancent</del>" in content
    assert "<ins>reculent</ins>" in content
    assert "What changed in the original" in content
    save(client, story, translation_en="ready", body_en="<p>Troops fall back north.</p>")
    assert state_after(story) == LanguageState.READY
    assert "No translation is outdated." in change_page(client, story)


def test_saving_an_outdated_translation_without_marking_it_keeps_it_outdated(
    client, translator, story
):
    story.mark_translation_ready("en", translator)
    story.save()
    story.title_fr = "Koursk : le front recule"
    story.save()
    save(signed_in(client, translator), story, title_en="Kursk: the front falls back")
    assert state_after(story) == LanguageState.OUTDATED


def test_the_story_list_shows_each_languages_state(client, editor, story):
    content = signed_in(client, editor).get(admin_url("articles_article_changelist"))
    html = content.content.decode()
    assert '<span class="language-state language-state-source"' in html
    assert '<span class="language-state language-state-in_progress"' in html
    assert "EN in progress" in html


def test_a_form_sent_back_with_errors_shows_the_saved_original_as_what_changed(
    client, translator, editor, story
):
    story.mark_translation_ready("en", translator)
    story.save()
    story.standfirst_fr = "Ce qui a changé."
    story.save()
    response = save(
        signed_in(client, editor),
        story,
        standfirst_fr="Pas encore enregistré.",
        status=Article.Status.SENT_BACK,  # with no comment: refused
    )
    assert response.status_code == 200
    panel = response.content.decode().split('class="source-changes"')[1]
    assert "changé" in panel
    assert "Pas encore enregistré" not in panel


def test_a_new_storys_form_offers_the_translations_of_the_sites_language(client, editor):
    content = signed_in(client, editor).get(admin_url("articles_article_add")).content.decode()
    assert 'name="translation_en"' in content
    assert 'name="translation_fr"' not in content  # French is the original until said otherwise
