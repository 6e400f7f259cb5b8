"""Every permission rule of the workplace, tried by hand by anonymous visitors and each role.

Each rule is a request a browser would never send (the whole form as a superuser's page
offers it, an action the page does not list, an address typed by hand), made by every
actor. The database says whether it took effect: only the roles the rule names may, and
for the others nothing changed, whatever the status code. Test ids read rule-actor.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from articles import revisions, workflow
from articles.models import (
    Article,
    Correction,
    FrontPage,
    FrontPagePin,
    LanguageState,
    PreviewLink,
    Tag,
)
from tests.factories import ArticleFactory, StaffFactory, TagFactory, UserFactory
from tests.test_workflow import admin_url, form_of

pytestmark = pytest.mark.django_db
User = get_user_model()

ACTORS = [
    "anonymous",
    "journalist",
    "translator-fr",
    "translator-en",
    "editor",
    "chief",
    "staff-no-role",
    "superuser",
]
ROLE_OF = {
    "journalist": workflow.JOURNALISTS,
    "translator-fr": workflow.translators("fr"),
    "translator-en": workflow.translators("en"),
    "editor": workflow.EDITORS,
    "chief": workflow.EDITORS_IN_CHIEF,
}
EDITORS = {"editor", "chief", "superuser"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_actor(name):
    if name == "anonymous":
        return None
    if name == "superuser":
        return StaffFactory(username="super")
    user = UserFactory(is_staff=True, username=name)
    if name in ROLE_OF:
        user.groups.add(Group.objects.get(name=ROLE_OF[name]))
    return user


class World:
    """What a rule acts on, and the superuser's view of each page (the fullest form)."""

    def __init__(self, actor):
        self.actor = actor
        self.other = UserFactory(first_name="Autre", last_name="Plume", username="autre")
        self._superuser = Client()
        self._superuser.force_login(StaffFactory(username="admin-of-forms"))

    def story(self, own=False, **fields):
        """A story by someone else; ``own``: by the actor, if they are one who writes stories
        (a translator in a byline writes the story: that is the byline's meaning)."""
        story = ArticleFactory(**fields)
        writes = self.actor is not None and self.actor.has_perm("articles.add_article")
        story.authors.add(self.actor if own and writes else self.other)
        return story

    def full_form(self, url):
        page = self._superuser.get(url)
        assert page.status_code == 200, url
        return form_of(page)


def change_url(story):
    return admin_url("articles_article_change", story.pk)


def reloaded(obj):
    return type(obj).objects.get(pk=obj.pk)


# The rules: each does its request as ``client`` and says whether it took effect.


def publish_own_draft_by_form(client, world):
    story = world.story(own=True, draft=True)
    data = world.full_form(change_url(story)) | {
        "status": Article.Status.PUBLISHED,
        "published_at_0": timezone.localdate().isoformat(),
        "published_at_1": "00:00:00",
    }
    client.post(change_url(story), data)
    return reloaded(story).status == Article.Status.PUBLISHED


def publish_in_bulk(client, world):
    story = world.story(own=True, draft=True)
    client.post(
        admin_url("articles_article_changelist"),
        {"action": "publish", ACTION_CHECKBOX_NAME: [str(story.pk)]},
    )
    return reloaded(story).status == Article.Status.PUBLISHED


def unpublish_in_bulk(client, world):
    story = world.story(own=True)
    client.post(
        admin_url("articles_article_changelist"),
        {"action": "unpublish", ACTION_CHECKBOX_NAME: [str(story.pk)]},
    )
    return reloaded(story).status == Article.Status.UNPUBLISHED


def submit_own_draft(client, world):
    story = world.story(own=True, draft=True)
    client.post(change_url(story), world.full_form(change_url(story)) | {"status": "review"})
    return reloaded(story).status == Article.Status.REVIEW


def edit_own_draft(client, world):
    story = world.story(own=True, draft=True)
    client.post(change_url(story), world.full_form(change_url(story)) | {"title_fr": "Retouché"})
    return reloaded(story).title_fr == "Retouché"


def edit_someone_elses_draft(client, world):
    story = world.story(draft=True)
    client.post(change_url(story), world.full_form(change_url(story)) | {"title_fr": "Volé"})
    return reloaded(story).title_fr == "Volé"


def edit_own_published_story(client, world):
    story = world.story(own=True)
    client.post(change_url(story), world.full_form(change_url(story)) | {"title_fr": "Après"})
    return reloaded(story).title_fr == "Après"


def change_the_original_of_a_translated_story(client, world):
    # The French original, posted as if from the English translation's job.
    story = world.story(english=True)
    data = world.full_form(change_url(story)) | {
        "body_fr": "<p>Réécrit.</p>",
        "body_en": "<p>Rewritten.</p>",
    }
    client.post(change_url(story), data)
    return "Réécrit" in reloaded(story).body_fr


def write_the_english_translation(client, world):
    story = world.story(english=True)
    client.post(change_url(story), world.full_form(change_url(story)) | {"body_en": "<p>New.</p>"})
    return "New." in reloaded(story).body_en


def write_the_french_translation(client, world):
    story = world.story(
        source_language="en", title_en="English first", body_en="<p>Text.</p>", english=True
    )
    client.post(change_url(story), world.full_form(change_url(story)) | {"body_fr": "<p>Neuf.</p>"})
    return "Neuf." in reloaded(story).body_fr


def mark_the_english_translation_ready(client, world):
    story = world.story(
        own=True, title_en="Waiting", body_en="<p>Done.</p>", state_en=LanguageState.IN_PROGRESS
    )
    client.post(change_url(story), world.full_form(change_url(story)) | {"translation_en": "ready"})
    return reloaded(story).state_en == LanguageState.READY


def add_a_correction(client, world):
    story = world.story(own=True)
    data = world.full_form(change_url(story))
    total = int(data["corrections-TOTAL_FORMS"])
    data |= {
        "corrections-TOTAL_FORMS": str(total + 1),
        f"corrections-{total}-language": "fr",
        f"corrections-{total}-text": "La date était fausse.",
    }
    client.post(change_url(story), data)
    return Correction.objects.filter(story=story).exists()


def pin_to_the_front_page(client, world):
    story = world.story()
    page = FrontPage.objects.get(language="fr")
    url = admin_url("articles_frontpage_change", page.pk)
    data = world.full_form(url) | {"pins-0-position": "1", "pins-0-story": str(story.pk)}
    client.post(url, data)
    return FrontPagePin.objects.filter(story=story).exists()


def merge_tags(client, world):
    kept, twin = TagFactory(name_fr="Corée"), TagFactory(name_fr="Coree")
    world.story().set_tags([twin])
    client.post(
        admin_url("articles_tag_changelist"),
        {"action": "merge", ACTION_CHECKBOX_NAME: [str(kept.pk), str(twin.pk)], "kept": kept.pk},
    )
    return not Tag.objects.filter(pk=twin.pk).exists()


def delete_a_story(client, world):
    story = world.story(own=True, draft=True)
    client.post(admin_url("articles_article_delete", story.pk), {"post": "yes"})
    return not Article.objects.filter(pk=story.pk).exists()


def restore_a_revision_of_own_draft(client, world):
    with revisions.new_revision(world.other, "First"):
        story = world.story(own=True, draft=True, title_fr="Premier")
        revisions.record(story)
    with revisions.new_revision(world.other, "Second"):
        story.title_fr = "Second"
        story.save()
        revisions.record(story)
    first = list(revisions.versions_of(story))[-1]
    client.post(admin_url("articles_article_revision", story.pk, first.pk))
    return reloaded(story).title_fr == "Premier"


def make_a_preview_link(client, world):
    story = world.story(own=True, draft=True)
    expires = timezone.localtime() + timedelta(days=3)
    data = world.full_form(change_url(story))
    total = int(data["preview_links-TOTAL_FORMS"])
    data |= {
        "preview_links-TOTAL_FORMS": str(total + 1),
        f"preview_links-{total}-language": "fr",
        f"preview_links-{total}-expires_at_0": expires.date().isoformat(),
        f"preview_links-{total}-expires_at_1": "12:00:00",
    }
    client.post(change_url(story), data)
    return PreviewLink.objects.filter(story=story).exists()


def revoke_a_preview_link(client, world):
    story = world.story(own=True, draft=True)
    link = PreviewLink.objects.create(
        story=story, language="fr", expires_at=timezone.now() + timedelta(days=3)
    )
    data = world.full_form(change_url(story)) | {"preview_links-0-DELETE": "on"}
    assert data["preview_links-0-id"] == str(link.pk)
    client.post(change_url(story), data)
    return not PreviewLink.objects.filter(pk=link.pk).exists()


def read_someone_elses_draft_in_the_admin(client, world):
    story = world.story(draft=True, title_fr="Brouillon secret")
    response = client.get(change_url(story))
    return response.status_code == 200 and "Brouillon secret" in response.content.decode()


def read_someone_elses_draft_on_the_site(client, world):
    story = world.story(draft=True, title_fr="Brouillon secret")
    response = client.get(story.url_for("fr"))
    return response.status_code == 200 and "Brouillon secret" in response.content.decode()


def read_a_drafts_history(client, world):
    with revisions.new_revision(world.other, "Confidential plan"):
        story = world.story(draft=True, title_fr="Brouillon secret")
        revisions.record(story)
    response = client.get(admin_url("articles_article_history", story.pk))
    return response.status_code == 200 and "Brouillon secret" in response.content.decode()


def give_an_account_a_role(client, world):
    account = UserFactory(is_staff=True, username="recrue")
    editors = Group.objects.get(name=workflow.EDITORS)
    url = admin_url("auth_user_change", account.pk)
    client.post(url, world.full_form(url) | {"groups": [str(editors.pk)]})
    return account.groups.filter(pk=editors.pk).exists()


def make_oneself_a_superuser(client, world):
    if world.actor is None:
        account = UserFactory(is_staff=True, username="visiteur")
    else:
        account = world.actor
    url = admin_url("auth_user_change", account.pk)
    client.post(url, world.full_form(url) | {"is_superuser": "on"})
    return reloaded(account).is_superuser


def give_oneself_the_chiefs_role(client, world):
    account = world.actor or UserFactory(is_staff=True, username="visiteur")
    editors = Group.objects.get(name=workflow.EDITORS_IN_CHIEF)
    url = admin_url("auth_user_change", account.pk)
    held = [str(pk) for pk in account.groups.values_list("pk", flat=True)]
    client.post(url, world.full_form(url) | {"groups": [*held, str(editors.pk)]})
    return account.groups.filter(pk=editors.pk).exists()


def unlock_an_account(client, world):
    locked = UserFactory(username="bloquee")
    AccessAttempt.objects.create(
        username="bloquee",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/fr/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=50,
    )
    client.post(
        admin_url("auth_user_changelist"),
        {"action": "unlock", ACTION_CHECKBOX_NAME: [str(locked.pk)]},
    )
    return not AccessAttempt.objects.filter(username="bloquee").exists()


WRITERS = {"journalist", *EDITORS}
READERS_OF_STORIES = {"journalist", "translator-fr", "translator-en", *EDITORS}

# rule -> who may; everyone else may not.
RULES = {
    publish_own_draft_by_form: EDITORS,
    publish_in_bulk: EDITORS,
    unpublish_in_bulk: EDITORS,
    submit_own_draft: WRITERS,
    edit_own_draft: WRITERS,
    edit_someone_elses_draft: EDITORS,
    edit_own_published_story: EDITORS,
    change_the_original_of_a_translated_story: EDITORS,
    write_the_english_translation: {"translator-en", *EDITORS},
    write_the_french_translation: {"translator-fr", *EDITORS},
    mark_the_english_translation_ready: {"translator-en", *EDITORS},
    add_a_correction: EDITORS,
    pin_to_the_front_page: EDITORS,
    merge_tags: EDITORS,
    delete_a_story: EDITORS,
    restore_a_revision_of_own_draft: WRITERS,
    make_a_preview_link: WRITERS,
    revoke_a_preview_link: WRITERS,
    read_someone_elses_draft_in_the_admin: READERS_OF_STORIES,
    read_someone_elses_draft_on_the_site: READERS_OF_STORIES,
    read_a_drafts_history: READERS_OF_STORIES,
    give_an_account_a_role: {"chief", "superuser"},
    make_oneself_a_superuser: {"superuser"},  # who already is one: a no-op that stays true
    # An editor-in-chief holds it already; for everyone else it would be more than they hold.
    give_oneself_the_chiefs_role: {"chief", "superuser"},
    unlock_an_account: {"chief", "superuser"},
}
MATRIX = [
    pytest.param(rule, actor, actor in allowed, id=f"{rule.__name__}-{actor}")
    for rule, allowed in RULES.items()
    for actor in ACTORS
]


@pytest.mark.parametrize(("rule", "actor_name", "allowed"), MATRIX)
def test_a_rule_holds_for_each_actor_even_by_hand(client, roles, rule, actor_name, allowed):
    actor = make_actor(actor_name)
    if actor is not None:
        client.force_login(actor)
    world = World(actor)
    assert rule(client, world) is allowed


@pytest.mark.parametrize(
    "url",
    [
        admin_url("articles_article_changelist"),
        admin_url("articles_article_add"),
        admin_url("auth_user_changelist"),
        admin_url("auth_group_add"),
        admin_url("articles_frontpage_changelist"),
    ],
)
def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(client, url):
    response = client.post(url, {"action": "publish"})
    assert response.status_code == 302
    assert response["Location"].startswith(admin_url("login"))


@pytest.mark.parametrize("actor_name", ["journalist", "translator-en", "staff-no-role"])
def test_who_may_not_manage_accounts_is_refused_with_a_403(client, roles, actor_name):
    client.force_login(make_actor(actor_name))
    account = UserFactory(username="cible")
    response = client.post(admin_url("auth_user_change", account.pk), {"is_superuser": "on"})
    assert response.status_code == 403
    assert not reloaded(account).is_superuser
