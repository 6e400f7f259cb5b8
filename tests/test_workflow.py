"""Roles and the story workflow (articles.workflow), tried through the admin as each role would.

Every refusal is checked on the server: forms posted by hand with fields the page does
not offer, bulk actions, and pages a role may only read.
"""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from articles import workflow
from articles.models import Article, StoryEvent, Tag
from tests.factories import ArticleFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def admin_url(name, *args, language="en"):
    with translation.override(language):
        return reverse(f"admin:{name}", args=args)


class FormFields(HTMLParser):
    """What a browser would post from the page's main form: its fields and their values."""

    def __init__(self):
        super().__init__()
        self.data, self._textarea, self._select, self._multiple = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" not in attrs:
                    return
                self.data[name] = attrs.get("value") or "on"  # what a browser sends
                return
            self.data[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            # A multiple select with nothing chosen posts nothing.
            self._multiple = "multiple" in attrs
            if not self._multiple:
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            if self._multiple:
                self.data.setdefault(self._select, []).append(attrs.get("value", ""))
            else:
                self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_of(response):
    parser = FormFields()
    parser.feed(response.content.decode())
    data = {k: v for k, v in parser.data.items() if k not in ("csrfmiddlewaretoken", "action")}
    return data | {"_save": "Save"}


def signed_in(client, user):
    client.force_login(user)
    return client


def save(client, story, **changes):
    """Open the story's change page as a browser would, change ``changes``, post it."""
    url = admin_url("articles_article_change", story.pk)
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, form_of(page) | changes)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def own_story(journalist, **fields):
    story = ArticleFactory(draft=True, **fields)
    story.authors.add(journalist)
    return story


# Journalists


def test_a_journalists_new_story_is_a_draft_signed_by_them(client, journalist):
    client = signed_in(client, journalist)
    page = client.get(admin_url("articles_article_add"))
    data = form_of(page) | {"title_fr": "Grève à la SNCF", "body_fr": "<p>Le texte.</p>"}
    response = client.post(admin_url("articles_article_add"), data)
    assert response.status_code == 302
    story = Article.objects.get(title_fr="Grève à la SNCF")
    assert story.status == Article.Status.DRAFT
    assert list(story.authors.all()) == [journalist]


def test_a_journalist_submits_their_story_for_review(client, journalist):
    story = own_story(journalist)
    response = save(signed_in(client, journalist), story, status="review")
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW
    event = story.events.get()
    assert (event.kind, event.user) == (StoryEvent.Kind.SUBMITTED, journalist)


@pytest.mark.parametrize("status", ["published", "sent_back", "unpublished"])
def test_a_journalist_cannot_give_their_story_an_editors_status(client, journalist, status):
    story = own_story(journalist)
    response = save(signed_in(client, journalist), story, status=status)
    assert response.status_code == 200
    assert "Only an editor may" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT
    assert not story.events.exists()


def test_a_journalist_is_offered_only_the_statuses_they_may_choose(client, journalist):
    story = own_story(journalist)
    page = signed_in(client, journalist).get(admin_url("articles_article_change", story.pk))
    offered = page.context["adminform"].form.fields["status"].widget.choices
    assert [value for value, _label in offered] == ["draft", "review"]


def test_a_journalist_cannot_schedule_or_sign_someone_else_in(client, journalist):
    story = own_story(journalist)
    other = UserFactory()
    later = timezone.now() + timedelta(days=2)
    save(
        signed_in(client, journalist),
        story,
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1="09:00:00",
        authors=str(other.pk),
        title_fr="Titre repris",
    )
    story.refresh_from_db()
    assert story.title_fr == "Titre repris"
    assert story.published_at is None
    assert list(story.authors.all()) == [journalist]


def test_a_journalist_sees_the_byline_they_may_not_change_by_full_names(client, journalist):
    story = own_story(journalist)
    page = signed_in(client, journalist).get(admin_url("articles_article_change", story.pk))
    assert "authors" not in page.context["adminform"].form.fields
    assert '<div class="readonly">Yanis Haddad</div>' in page.content.decode()


def test_a_journalist_reads_other_peoples_stories_without_changing_them(client, journalist):
    story = ArticleFactory(draft=True, title_fr="Le papier d’un autre")
    client = signed_in(client, journalist)
    page = client.get(admin_url("articles_article_change", story.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(admin_url("articles_article_change", story.pk), {"title_fr": "Volé"})
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.title_fr == "Le papier d’un autre"


def test_a_journalist_cannot_edit_their_story_once_published(client, journalist):
    story = ArticleFactory(title_fr="En ligne")
    story.authors.add(journalist)
    client = signed_in(client, journalist)
    response = client.post(admin_url("articles_article_change", story.pk), {"title_fr": "Changé"})
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.title_fr == "En ligne"


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_a_journalist_cannot_publish_or_unpublish_in_bulk(client, journalist, action):
    story = own_story(journalist) if action == "publish" else ArticleFactory()
    before = story.status
    signed_in(client, journalist).post(
        admin_url("articles_article_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(story.pk)]},
    )
    story.refresh_from_db()
    assert story.status == before


def test_a_journalist_cannot_delete_a_story(client, journalist):
    story = own_story(journalist)
    client = signed_in(client, journalist)
    response = client.post(admin_url("articles_article_delete", story.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Article.objects.filter(pk=story.pk).exists()


# Editors


def test_an_editor_sends_a_story_back_with_a_comment(client, editor, journalist):
    story = own_story(journalist, status=Article.Status.REVIEW)
    response = save(signed_in(client, editor), story, status="sent_back", comment="Sources ?")
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Article.Status.SENT_BACK
    event = story.events.get()
    assert (event.kind, event.user, event.comment) == ("sent_back", editor, "Sources ?")


def test_sending_back_needs_a_comment(client, editor, journalist):
    story = own_story(journalist, status=Article.Status.REVIEW)
    response = save(signed_in(client, editor), story, status="sent_back", comment=" ")
    assert response.status_code == 200
    assert "Say what needs changing" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW


def test_the_writer_sees_why_their_story_was_sent_back(client, editor, journalist):
    story = own_story(journalist, status=Article.Status.REVIEW)
    save(signed_in(client, editor), story, status="sent_back", comment="Vérifier les chiffres")
    page = signed_in(client, journalist).get(admin_url("articles_article_change", story.pk))
    assert "Vérifier les chiffres" in page.content.decode()
    assert save(client, story, status="review").status_code == 302


def test_an_editor_publishes_a_story_now(client, editor, journalist):
    story = own_story(journalist, status=Article.Status.REVIEW)
    save(signed_in(client, editor), story, status="published")
    story.refresh_from_db()
    assert story.is_published()
    assert story.events.get().kind == StoryEvent.Kind.PUBLISHED


def test_an_editor_schedules_a_story_shown_as_scheduled(client, editor, journalist):
    story = own_story(journalist, status=Article.Status.REVIEW)
    later = timezone.localtime() + timedelta(days=1)
    save(
        signed_in(client, editor),
        story,
        status="published",
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
    )
    story.refresh_from_db()
    assert story.is_scheduled()
    assert story.events.get().kind == StoryEvent.Kind.SCHEDULED
    changelist = client.get(admin_url("articles_article_changelist"))
    assert "Scheduled" in changelist.content.decode()


def test_an_editor_unpublishes_in_bulk_and_it_is_in_the_history(client, editor):
    story = ArticleFactory()
    response = signed_in(client, editor).post(
        admin_url("articles_article_changelist"),
        {"action": "unpublish", ACTION_CHECKBOX_NAME: [str(story.pk)]},
        follow=True,
    )
    story.refresh_from_db()
    assert story.status == Article.Status.UNPUBLISHED
    assert story.events.get().kind == StoryEvent.Kind.UNPUBLISHED
    assert messages_of(response) == ["1 story was taken offline."]


def test_an_editor_edits_anyones_story_and_reassigns_it(client, editor, journalist):
    story = ArticleFactory()
    save(signed_in(client, editor), story, title_fr="Corrigé", authors=str(journalist.pk))
    story.refresh_from_db()
    assert story.title_fr == "Corrigé"
    assert list(story.authors.all()) == [journalist]


def test_an_editor_may_not_manage_accounts_an_editor_in_chief_may(client, editor, chief):
    assert signed_in(client, editor).get(admin_url("auth_user_add")).status_code == 403
    assert signed_in(client, chief).get(admin_url("auth_user_add")).status_code == 200
    assert client.get(admin_url("auth_group_change", Group.objects.first().pk)).status_code == 200


# Translators


def test_a_translator_writes_only_their_languages_fields(client, translator):
    story = ArticleFactory(title_fr="Titre d’origine", status=Article.Status.PUBLISHED)
    response = save(
        signed_in(client, translator),
        story,
        title_en="The original title",
        body_en="<p>In English.</p>",
        title_fr="Réécrit",
        status="draft",
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.title_en, story.title_fr) == ("The original title", "Titre d’origine")
    assert story.status == Article.Status.PUBLISHED


def test_a_translator_cannot_change_a_storys_tags(client, translator):
    tag = TagFactory()
    story = ArticleFactory()
    page = signed_in(client, translator).get(admin_url("articles_article_change", story.pk))
    assert "tags" not in page.context["adminform"].form.fields
    data = form_of(page) | {"tags": [str(tag.pk), "name:Nouvelle étiquette"]}
    assert client.post(admin_url("articles_article_change", story.pk), data).status_code == 302
    assert not story.tags.exists()
    assert not Tag.objects.filter(name_fr="Nouvelle étiquette").exists()


def test_a_translator_cannot_add_or_delete_stories(client, translator):
    client = signed_in(client, translator)
    assert client.get(admin_url("articles_article_add")).status_code == 403
    story = ArticleFactory()
    assert (
        client.post(admin_url("articles_article_delete", story.pk), {"post": "yes"}).status_code
        == 403
    )


def test_a_translator_names_tags_in_their_language_only(client, translator):
    tag = TagFactory(name_fr="Grève", name_en="Grève")
    url = admin_url("articles_tag_change", tag.pk)
    client = signed_in(client, translator)
    page = client.get(url)
    data = form_of(page) | {
        "name_en": "Strike",
        "slug_en": "",
        "name_fr": "Changé",
        "_save": "Save",
    }
    assert client.post(url, data).status_code == 302
    tag.refresh_from_db()
    assert (tag.name_fr, tag.name_en) == ("Grève", "Strike")


# Editors-in-chief: accounts and roles, and nobody gives more than they hold


def permission(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def change_account(client, account, **changes):
    """Open the account's page as a browser would, change ``changes``, post it."""
    url = admin_url("auth_user_change", account.pk)
    page = client.get(url)
    assert page.status_code == 200
    data = form_of(page) | {"groups": [], "user_permissions": []}
    data |= {
        "groups": [str(g.pk) for g in account.groups.all()],
        "user_permissions": [str(p.pk) for p in account.user_permissions.all()],
    }
    return client.post(url, data | changes)


def test_an_editor_in_chief_adds_an_account_with_a_password_and_a_role(client, chief):
    client = signed_in(client, chief)
    response = client.post(
        admin_url("auth_user_add"),
        {
            "username": "nbernard",
            "usable_password": "true",
            "password1": "une phrase de passe solide",
            "password2": "une phrase de passe solide",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    account = User.objects.get(username="nbernard")
    journalists = Group.objects.get(name=workflow.JOURNALISTS)
    response = change_account(
        client,
        account,
        first_name="Nadia",
        last_name="Bernard",
        is_staff="on",
        groups=[str(journalists.pk)],
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password("une phrase de passe solide")
    assert (account.get_full_name(), account.is_staff) == ("Nadia Bernard", True)
    assert list(account.groups.all()) == [journalists]
    assert account.has_perm("articles.add_article")


def test_an_editor_in_chief_sets_an_accounts_password(client, chief, journalist):
    response = signed_in(client, chief).post(
        admin_url("auth_user_password_change", journalist.pk),
        {
            "usable_password": "true",
            "password1": "un nouveau mot de passe",
            "password2": "un nouveau mot de passe",
        },
    )
    assert response.status_code == 302
    journalist.refresh_from_db()
    assert journalist.check_password("un nouveau mot de passe")


def test_an_editor_in_chief_makes_someone_a_translator(client, chief, journalist):
    translators = Group.objects.get(name=workflow.translators("en"))
    response = change_account(signed_in(client, chief), journalist, groups=[str(translators.pk)])
    assert response.status_code == 302
    assert workflow.translation_languages(User.objects.get(pk=journalist.pk)) == ["en"]


@pytest.mark.parametrize("whom", ["someone", "themselves"])
def test_an_editor_in_chief_cannot_make_anyone_a_superuser(client, chief, journalist, whom):
    account = journalist if whom == "someone" else chief
    page = signed_in(client, chief).get(admin_url("auth_user_change", account.pk))
    assert 'name="is_superuser"' not in page.content.decode()
    response = change_account(client, account, is_superuser="on", is_staff="on")
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_superuser


def test_an_editor_in_chief_cannot_give_a_permission_they_do_not_hold(client, chief, journalist):
    # A permission of a model the roles use, which no role (and no chief) holds.
    withheld = permission("articles.delete_storyevent")
    response = change_account(
        signed_in(client, chief), journalist, user_permissions=[str(withheld.pk)]
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user_permissions"]
    assert not journalist.user_permissions.exists()


def test_an_editor_in_chief_cannot_raise_their_own_permissions(client, chief):
    withheld = permission("sessions.delete_session")
    response = change_account(signed_in(client, chief), chief, user_permissions=[str(withheld.pk)])
    assert response.status_code == 200
    assert not User.objects.get(pk=chief.pk).has_perm("sessions.delete_session")


def test_an_editor_in_chief_cannot_give_a_role_holding_more_than_they_do(client, chief, journalist):
    admins = Group.objects.create(name="Administrateurs")
    admins.permissions.add(permission("auth.change_permission"))
    client = signed_in(client, chief)
    page = client.get(admin_url("auth_user_change", journalist.pk))
    offered = page.context["adminform"].form.fields["groups"].queryset
    assert admins not in offered
    response = change_account(client, journalist, groups=[str(admins.pk)])
    assert response.status_code == 200
    assert not journalist.groups.filter(pk=admins.pk).exists()


def test_an_editor_in_chief_cannot_put_into_a_role_what_they_do_not_hold(client, chief):
    role = Group.objects.get(name=workflow.JOURNALISTS)
    url = admin_url("auth_group_change", role.pk)
    client = signed_in(client, chief)
    page = client.get(url)
    held = [str(p.pk) for p in role.permissions.all()]
    withheld = permission("articles.delete_storyevent")
    response = client.post(
        url, form_of(page) | {"permissions": [*held, str(withheld.pk)], "_save": "Save"}
    )
    assert response.status_code == 200
    assert not role.permissions.filter(pk=withheld.pk).exists()


def test_an_editor_in_chief_may_change_a_role_within_what_they_hold(client, chief):
    role = Group.objects.get(name=workflow.JOURNALISTS)
    url = admin_url("auth_group_change", role.pk)
    client = signed_in(client, chief)
    held = [str(p.pk) for p in role.permissions.all()]
    publish = permission(workflow.PUBLISH)
    response = client.post(
        url, form_of(client.get(url)) | {"permissions": [*held, str(publish.pk)], "_save": "Save"}
    )
    assert response.status_code == 302
    assert role.permissions.filter(pk=publish.pk).exists()


@pytest.mark.parametrize("account_kind", ["superuser", "holding more"])
def test_an_editor_in_chief_cannot_take_over_an_account_that_holds_more(
    client, chief, account_kind
):
    if account_kind == "superuser":
        account = UserFactory(is_staff=True, is_superuser=True, is_active=False)
    else:
        account = UserFactory(is_staff=True)
        account.user_permissions.add(permission("articles.delete_storyevent"))
    client = signed_in(client, chief)
    page = client.get(admin_url("auth_user_change", account.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    password = {"usable_password": "true", "password1": "pris en main", "password2": "pris en main"}
    assert (
        client.post(admin_url("auth_user_password_change", account.pk), password).status_code == 403
    )
    assert (
        client.post(admin_url("auth_user_change", account.pk), {"is_active": "on"}).status_code
        == 403
    )
    assert (
        client.post(admin_url("auth_user_delete", account.pk), {"post": "yes"}).status_code == 403
    )
    client.post(
        admin_url("auth_user_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(account.pk)], "post": "yes"},
    )
    account.refresh_from_db()
    assert not account.check_password("pris en main")
    assert account.is_active == (account_kind != "superuser")


def test_an_editor_in_chief_deletes_an_account_they_could_have_made(client, chief, journalist):
    signed_in(client, chief).post(
        admin_url("auth_user_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(journalist.pk)], "post": "yes"},
    )
    assert not User.objects.filter(pk=journalist.pk).exists()


def test_roles_exist_after_migrating():
    names = set(Group.objects.values_list("name", flat=True))
    assert {workflow.JOURNALISTS, workflow.EDITORS, workflow.EDITORS_IN_CHIEF} <= names
    assert {workflow.translators(code) for code in ("fr", "en")} <= names


# The autocomplete endpoints ask the same rules


def autocomplete(client, user, model_name, field_name, term):
    client.force_login(user)
    return client.get(
        admin_url("autocomplete"),
        {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term},
    )


@pytest.mark.parametrize(
    ("role", "allowed"), [("editor", True), ("translator", False), ("journalist", False)]
)
def test_only_who_may_change_bylines_searches_the_accounts(client, request, role, allowed):
    UserFactory(first_name="Léa", last_name="Dubois")
    response = autocomplete(client, request.getfixturevalue(role), "article", "authors", "Dubois")
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert [r["text"] for r in response.json()["results"]] != []


def test_tag_search_needs_an_account(client):
    TagFactory(name_fr="Climat")
    response = client.get(
        admin_url("autocomplete"),
        {
            "app_label": "articles",
            "model_name": "taggedarticle",
            "field_name": "tag",
            "term": "cli",
        },
    )
    assert response.status_code in (302, 403)
