"""Nothing half-written: an error in the middle of an admin action, an admin save or an
import leaves nothing of that operation in the database, and says so.

Each test makes a function the operation calls halfway raise (its history, a second
object's write, the last step), then compares what is stored with what was stored before.
"""

import io

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.db.models.signals import post_delete, pre_delete
from django.utils import translation
from reversion.models import Revision, Version

from articles import importers, lockouts, revisions, workflow
from articles.models import (
    Article,
    LanguageState,
    StoryEvent,
    StoryTranslation,
    Tag,
    TaggedArticle,
    TagPair,
    TagSlug,
)
from tests.factories import ArticleFactory, TagFactory, UserFactory
from tests.test_workflow import admin_url, messages_of, save, signed_in

pytestmark = pytest.mark.django_db

FAILED = (
    "The action failed and nothing was changed. Try again; if it fails again, "
    "tell the site’s administrators."
)


class Injected(RuntimeError):
    pass


def failing_on_call(number, real=None, error=Injected):
    """A stand-in for ``real`` that raises ``error`` on its ``number``-th call."""
    calls = []

    def stand_in(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise error("injected")
        return real(*args, **kwargs) if real else None

    return stand_in


def stored():
    """Everything the operations tested here write, as rows."""

    def rows(model, *fields):
        return sorted(model.objects.values_list(*fields))

    return {
        "stories": rows(
            Article, "pk", "title_fr", "status", "published_at", "updated_at", "status_changed_at"
        ),
        "states": rows(Article, "pk", "state_fr", "state_en"),
        "links": rows(TaggedArticle, "pk", "tag", "content_object"),
        "tags": rows(Tag, "pk", "name_fr", "story_count_fr", "story_count_en"),
        "slugs": rows(TagSlug, "language", "slug", "tag"),
        "pairs": rows(TagPair, "tag", "other", "story_count_fr", "story_count_en"),
        "events": rows(StoryEvent, "pk"),
        "translations": rows(StoryTranslation, "pk", "ready_at"),
        "revisions": rows(Revision, "pk"),
        "versions": rows(Version, "pk"),
        "log": rows(LogEntry, "pk"),
        "attempts": rows(AccessAttempt, "pk"),
        "accounts": rows(get_user_model(), "pk"),
    }


def run_action(client, changelist, action, objects, **extra):
    """An action from the English admin's list (its messages are the msgids)."""
    return client.post(
        admin_url(changelist),
        {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects], **extra},
        follow=True,
    )


# Admin actions


@pytest.mark.parametrize(
    ("action", "draft"), [("publish", True), ("unpublish", False)], ids=["publish", "unpublish"]
)
def test_a_bulk_publication_failing_at_its_second_revision_changes_nothing(
    client, editor, monkeypatch, action, draft
):
    stories = ArticleFactory.create_batch(3, draft=draft, tags=TagFactory.create_batch(2))
    before = stored()
    monkeypatch.setattr(revisions, "record", failing_on_call(2, revisions.record))
    response = run_action(signed_in(client, editor), "articles_article_changelist", action, stories)
    assert stored() == before
    assert messages_of(response) == [FAILED]


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_a_bulk_publication_failing_at_its_workflow_events_changes_nothing(
    client, editor, monkeypatch, action
):
    stories = ArticleFactory.create_batch(2, draft=action == "publish")
    before = stored()
    monkeypatch.setattr(workflow, "record_bulk", failing_on_call(1))
    response = run_action(signed_in(client, editor), "articles_article_changelist", action, stories)
    assert stored() == before
    assert messages_of(response) == [FAILED]


def test_a_tag_merge_failing_before_the_merged_tags_are_deleted_changes_nothing(client, editor):
    kept, twin, other = TagFactory.create_batch(3)
    for number in range(4):
        ArticleFactory(tags=[twin, other] if number % 2 else [kept, twin])
    before = stored()
    receiver = failing_on_call(1)
    pre_delete.connect(receiver, sender=Tag, weak=False)
    try:
        response = run_action(
            signed_in(client, editor),
            "articles_tag_changelist",
            "merge",
            [kept, twin],
            kept=str(kept.pk),
        )
    finally:
        pre_delete.disconnect(receiver, sender=Tag)
    assert stored() == before
    assert messages_of(response) == [FAILED]


def test_an_unlock_failing_after_forgetting_the_attempts_forgets_none(client, chief, monkeypatch):
    locked = [UserFactory(username=name, is_staff=True) for name in ("lea", "sami")]
    for user in locked:
        AccessAttempt.objects.create(
            username=user.username,
            ip_address="192.0.2.1",
            user_agent="test",
            failures_since_start=10,
        )

    real = lockouts.unlock

    def unlock_then_fail(usernames):
        real(usernames)
        raise Injected("after the attempts were deleted")

    monkeypatch.setattr(lockouts, "unlock", unlock_then_fail)
    before = stored()
    response = run_action(signed_in(client, chief), "auth_user_changelist", "unlock", locked)
    assert stored() == before
    assert AccessAttempt.objects.count() == 2
    assert messages_of(response) == [FAILED]


@pytest.mark.parametrize(
    ("changelist", "make"),
    [
        ("articles_article_changelist", lambda: ArticleFactory.create_batch(3)),
        ("articles_tag_changelist", lambda: TagFactory.create_batch(3)),
        ("axes_accessattempt_changelist", None),
    ],
    ids=["stories", "tags", "sign-in attempts"],
)
def test_a_bulk_delete_failing_at_its_second_row_deletes_nothing(client, staff, changelist, make):
    if make is None:
        objects = [
            AccessAttempt.objects.create(
                username=f"user{n}", ip_address="192.0.2.1", failures_since_start=1
            )
            for n in range(3)
        ]
    else:
        objects = make()
    model = type(objects[0])
    before = stored()
    receiver = failing_on_call(2)
    post_delete.connect(receiver, sender=model, weak=False)
    try:
        response = run_action(
            signed_in(client, staff), changelist, "delete_selected", objects, post="yes"
        )
    finally:
        post_delete.disconnect(receiver, sender=model)
    assert stored() == before
    assert model.objects.count() == 3
    assert messages_of(response) == [FAILED]


def test_an_action_that_succeeds_still_says_so(client, editor):
    drafts = ArticleFactory.create_batch(2, draft=True)
    response = run_action(
        signed_in(client, editor), "articles_article_changelist", "publish", drafts
    )
    assert messages_of(response) == ["2 stories were published."]
    assert Article.objects.published().count() == 2


def test_a_refused_action_is_still_refused_not_reported_as_failed(client, editor, monkeypatch):
    drafts = ArticleFactory.create_batch(2, draft=True)
    monkeypatch.setattr(workflow, "check_bulk", failing_on_call(1, error=workflow.WorkflowError))
    response = signed_in(client, editor).post(
        admin_url("articles_article_changelist"),
        {"action": "publish", ACTION_CHECKBOX_NAME: [str(story.pk) for story in drafts]},
    )
    assert response.status_code == 403
    assert not Article.objects.published().exists()


# Admin saves: Django's change form runs in one transaction (ModelAdmin.changeform_view).


def test_a_story_save_failing_at_its_revision_writes_neither_story_tags_nor_event(
    client, editor, monkeypatch
):
    story = ArticleFactory(draft=True, title_fr="Avant", tags=[TagFactory()])
    before = stored()
    monkeypatch.setattr(revisions, "record", failing_on_call(1))
    client = signed_in(client, editor)
    client.raise_request_exception = False
    response = save(
        client,
        story,
        title_fr="Après",
        status=Article.Status.PUBLISHED,
        tags=[str(TagFactory().pk), "name:Étiquette nouvelle"],
        comment="Publié",
    )
    after = stored()
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    # The tag made for the form above is the only difference.
    assert len(after.pop("tags")) == len(before.pop("tags")) + 1
    assert after == before
    assert not Tag.objects.filter(name_fr="Étiquette nouvelle").exists()


def test_a_translation_marked_ready_failing_at_its_event_stays_in_progress(
    client, translator, monkeypatch
):
    story = ArticleFactory(
        title_fr="Koursk", body_fr="<p>Texte.</p>", title_en="Kursk", body_en="<p>Text.</p>"
    )
    assert story.state("en") == LanguageState.IN_PROGRESS
    before = stored()
    monkeypatch.setattr(workflow, "record_translation", failing_on_call(1))
    client = signed_in(client, translator)
    client.raise_request_exception = False
    response = save(client, story, translation_en="ready", title_en="Kursk, again")
    assert response.status_code == 500
    assert stored() == before
    assert Article.objects.get(pk=story.pk).state("en") == LanguageState.IN_PROGRESS


# The importer: each file in its own transaction, read and checked before it is written.


def story_files(tmp_path, count=3):
    paths = []
    for number in range(count):
        path = tmp_path / f"depeche-{number}.txt"
        path.write_text(f"Mots-clés\nSujet {number}, Commun\n\n# Dépêche {number}\n\nTexte.\n")
        paths.append(str(path))
    return paths


def imported():
    return sorted(
        Article.objects.filter(import_source__startswith="fr:").values_list(
            "import_source", flat=True
        )
    )


def test_an_import_whose_second_file_fails_in_the_database_writes_nothing_of_that_file(
    tmp_path, monkeypatch
):
    paths = story_files(tmp_path)
    monkeypatch.setattr(
        importers, "record", failing_on_call(2, importers.record, error=DatabaseError)
    )
    errors = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="1 of 3 files could not"):
        call_command(
            "import_articles", *paths, "--language=fr", stderr=errors, stdout=io.StringIO()
        )
    assert imported() == ["fr:depeche-0.txt", "fr:depeche-2.txt"]
    assert not Tag.objects.filter(name_fr="Sujet 1").exists()
    assert Version.objects.get_for_model(Article).count() == 2
    assert errors.getvalue().startswith(
        f"failed: {paths[1]}: database error, nothing of it was written: injected"
    )


def test_an_import_stopped_by_an_unexpected_error_writes_nothing_of_its_file(tmp_path, monkeypatch):
    paths = story_files(tmp_path)
    monkeypatch.setattr(importers, "record", failing_on_call(2, importers.record))
    with pytest.raises(Injected):
        call_command("import_articles", *paths, "--language=fr", stdout=io.StringIO())
    assert imported() == ["fr:depeche-0.txt"]
    assert set(Tag.objects.values_list("name_fr", flat=True)) == {"Sujet 0", "Commun"}
