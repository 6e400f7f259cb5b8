"""Corrections: editors append dated notes to published stories, per language."""

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from articles import workflow
from articles.models import Article, Correction, LanguageState, StoryEvent
from tests.factories import ArticleFactory, TagFactory, UserFactory
from tests.test_cache import committed, page_cache, state, warm  # noqa: F401
from tests.test_front_page import parsed, signed_in
from tests.test_revisions import form_of
from tests.test_views import url_in

pytestmark = pytest.mark.django_db

# Not the first of a month: French typography writes "1er".
SECOND_OF_DECEMBER = timezone.make_aware(datetime(2026, 12, 2, 10, 30))


def plain(text):
    """Text with every kind of space made a plain one (French typography adds others)."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def notes(response):
    return [
        plain("".join(p.itertext()))
        for p in parsed(response).xpath("//section[@class='corrections']/p[@class='correction']")
    ]


@pytest.fixture
def story():
    return ArticleFactory(english=True, title_fr="Le budget voté", title_en="Budget passed")


def correct(story, language, text, at=SECOND_OF_DECEMBER):
    return Correction.objects.create(story=story, language=language, text=text, at=at)


def test_a_correction_shows_at_the_end_of_the_story_in_its_language(client, story):
    correct(story, "en", "The vote took place on Tuesday, not Monday.")
    english = client.get(story.url_for("en"))
    assert notes(english) == [
        "Correction, 2 December 2026: The vote took place on Tuesday, not Monday."
    ]
    # After the text of the story.
    tree = parsed(english)
    body, corrections = tree.xpath("//div[@class='story-body'] | //section[@class='corrections']")
    assert body.tag == "div"
    assert corrections.tag == "section"
    assert notes(client.get(story.url_for("fr"))) == []


def test_corrections_show_oldest_first_with_the_french_date(client, story):
    correct(story, "fr", "Deuxième.", at=SECOND_OF_DECEMBER + timedelta(days=1))
    correct(story, "fr", "Première.")
    assert notes(client.get(story.url_for("fr"))) == [
        "Correction du 2 décembre 2026 : Première.",
        "Correction du 3 décembre 2026 : Deuxième.",
    ]


def test_adding_a_correction_moves_the_modified_time_and_the_history(story):
    editor = UserFactory()
    before = Article.objects.get(pk=story.pk).updated_at
    correction = story.add_correction("fr", "  Le montant est de 3 milliards.  ", editor)
    assert correction.text == "Le montant est de 3 milliards."
    assert correction.by == editor
    stored = Article.objects.get(pk=story.pk)
    assert stored.updated_at == correction.at > before
    event = StoryEvent.objects.get(story=story, kind=StoryEvent.Kind.CORRECTED)
    assert (event.language, event.user, event.comment) == ("fr", editor, correction.text)


def test_a_correction_of_the_original_does_not_make_the_translation_outdated(story):
    story.add_correction("fr", "Le montant est de 3 milliards.", UserFactory())
    assert Article.objects.get(pk=story.pk).state("en") == LanguageState.READY


@pytest.mark.parametrize(
    "kind", ["draft", "scheduled", "not in that language", "empty", "translation in progress"]
)
def test_only_a_story_readers_see_in_that_language_is_corrected(kind):
    language, text = "fr", "Un texte."
    story = ArticleFactory()
    if kind == "draft":
        story = ArticleFactory(draft=True)
    elif kind == "scheduled":
        story = ArticleFactory(published_at=timezone.now() + timedelta(days=1))
    elif kind == "not in that language":
        language = "en"
    elif kind == "empty":
        text = "   "
    else:
        story = ArticleFactory(english=True)
        story.mark_translation_in_progress("en")
        story.save()
        language = "en"
    with pytest.raises(ValidationError):
        story.add_correction(language, text, UserFactory())
    assert not Correction.objects.exists()


def test_a_correction_is_never_changed_once_saved(story):
    correction = correct(story, "fr", "Un texte.")
    correction.text = "Un autre texte."
    with pytest.raises(ValidationError):
        correction.save()
    assert Correction.objects.get().text == "Un texte."


# Who may: editors, in the story's form.


def change_url(story):
    with translation.override("fr"):
        return reverse("admin:articles_article_change", args=[story.pk])


def with_correction(data, language, text):
    total = int(data["corrections-TOTAL_FORMS"])
    return data | {
        "corrections-TOTAL_FORMS": str(total + 1),
        f"corrections-{total}-language": language,
        f"corrections-{total}-text": text,
    }


def test_an_editor_adds_a_correction_from_the_story_form(client, editor, story):
    client = signed_in(client, editor)
    page = client.get(change_url(story))
    response = client.post(
        change_url(story), with_correction(form_of(page), "en", "The vote was on Tuesday.")
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert (correction.story, correction.language, correction.by) == (story, "en", editor)
    assert StoryEvent.objects.filter(story=story, kind=StoryEvent.Kind.CORRECTED).exists()
    assert notes(client.get(story.url_for("en")))[0].endswith("The vote was on Tuesday.")


def test_a_saved_correction_is_shown_read_only_to_the_editor(client, editor, story):
    correct(story, "fr", "Un texte.")
    client = signed_in(client, editor)
    tree = parsed(client.get(change_url(story)))
    group = tree.xpath("//div[@id='corrections-group']")[0]
    assert "Un texte." in "".join(group.itertext())
    # No box to change it, no box to delete it.
    assert not group.xpath(".//textarea[@name='corrections-0-text']")
    assert not group.xpath(".//input[@name='corrections-0-DELETE']")


def test_a_correction_in_a_language_readers_cannot_read_is_refused_in_the_form(client, editor):
    french_only = ArticleFactory()
    client = signed_in(client, editor)
    page = client.get(change_url(french_only))
    response = client.post(
        change_url(french_only), with_correction(form_of(page), "en", "No English version.")
    )
    assert response.status_code == 200
    assert not Correction.objects.exists()


@pytest.mark.parametrize("role", ["journalist", "translator"])
def test_only_editors_may_add_a_correction(client, request, role, story):
    user = request.getfixturevalue(role)
    story.authors.add(user)
    assert not workflow.can_correct(user, story)
    client = signed_in(client, user)
    page = client.get(change_url(story))
    assert page.status_code == 200
    assert not parsed(page).xpath("//div[@id='corrections-group']//textarea")
    data = form_of(page)
    data.setdefault("corrections-TOTAL_FORMS", "0")
    data.setdefault("corrections-INITIAL_FORMS", "0")
    client.post(change_url(story), with_correction(data, "fr", "Pas le droit."))
    assert not Correction.objects.exists()
    with pytest.raises(workflow.WorkflowError):
        workflow.check_correction(user, story)


def test_an_editor_may_correct_published_stories_only(editor, story):
    assert workflow.can_correct(editor, story)
    assert not workflow.can_correct(editor, ArticleFactory(draft=True))


# Feeds: the item says it, and its update time is the correction's.


def entry(client, name, language, title):
    response = client.get(url_in(language, name))
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return next(item for item in feed.entries if item.title == title)


def test_the_feed_item_carries_the_correction_and_its_time(client, story):
    with translation.override("en"):
        correction = story.add_correction("en", "The vote was on Tuesday.", UserFactory())
    item = entry(client, "articles:feed-atom", "en", "Budget passed")
    assert "The vote was on Tuesday." in item.summary
    assert "Correction," in item.summary
    updated = datetime(*item.updated_parsed[:6], tzinfo=UTC)
    assert abs(updated - correction.at) < timedelta(seconds=1)
    rss = entry(client, "articles:feed", "en", "Budget passed")
    assert "The vote was on Tuesday." in rss.summary
    french = entry(client, "articles:feed", "fr", "Le budget voté")
    assert "The vote was on Tuesday." not in french.summary


def test_the_full_text_feed_item_ends_with_the_correction(client, story, settings):
    settings.FEEDS_FULL_TEXT = True
    correct(story, "fr", "Le montant est de 3 milliards.")
    item = entry(client, "articles:feed", "fr", "Le budget voté")
    assert item.summary.index("3 milliards") > item.summary.index("Le texte de l’article")


def test_feeds_with_corrections_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    tags = TagFactory.create_batch(8)
    for index in range(40):
        story = ArticleFactory(tags=tags, authors=[UserFactory()])
        if index % 2:
            correct(story, "fr", f"Correction {index}.")
    with django_assert_max_num_queries(4):
        response = client.get(url_in("fr", "articles:feed"))
    assert len(feedparser.parse(response.content).entries) == 30


# The page cache renews what a correction changes.


def test_a_correction_renews_the_story_page_and_the_feed(client, page_cache, committed):  # noqa: F811
    with committed():
        story = ArticleFactory(title_fr="Le budget voté")
        other = ArticleFactory()
    feed_url = url_in("fr", "articles:feed")
    warm(client, [story.url_for("fr"), other.url_for("fr"), feed_url])
    with committed():
        story.add_correction("fr", "Le montant est de 3 milliards.", UserFactory())
    assert notes(client.get(story.url_for("fr")))[0].endswith("Le montant est de 3 milliards.")
    assert state(client, other.url_for("fr")) == "hit"
    assert "3 milliards" in entry(client, "articles:feed", "fr", "Le budget voté").summary
