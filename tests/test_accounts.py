"""The admin's account and role pages: people by name, and a permission picker that
shows what the newsroom's roles are made of, named in the admin's language."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation

from articles import workflow
from articles.accounts import offered_permissions, permission_label, person_label
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def permission(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def admin_url(name, *args, language="fr"):
    with translation.override(language):
        return reverse(f"admin:{name}", args=args)


def picker_labels(response, name="permissions"):
    field = response.context["adminform"].form.fields[name]
    return [str(label) for _value, label in field.choices]


def test_a_person_is_named_by_full_name_and_username():
    assert person_label(UserFactory(username="lea", first_name="Léa", last_name="Dubois")) == (
        "Léa Dubois (lea)"
    )


@pytest.mark.parametrize(
    ("name", "french", "english"),
    [
        ("articles.change_article", "Peut modifier les articles", "Can change stories"),
        ("articles.add_tag", "Peut ajouter des étiquettes", "Can add tags"),
        ("auth.view_user", "Peut voir les utilisateurs", "Can view users"),
        ("auth.delete_group", "Peut supprimer des groupes", "Can delete groups"),
        (
            workflow.PUBLISH,
            "Peut publier, programmer, dépublier et renvoyer des articles",
            "Can publish, schedule, unpublish and send back stories",
        ),
        (
            "articles.translate_article_into_en",
            "Peut traduire les articles en anglais",
            "Can translate stories into English",
        ),
    ],
)
def test_a_permission_is_named_in_the_admins_language(name, french, english):
    with translation.override("fr"):
        assert str(permission_label(permission(name))) == french
    with translation.override("en"):
        assert str(permission_label(permission(name))) == english


def test_the_picker_offers_only_the_models_the_roles_are_made_of(staff):
    models = set(
        offered_permissions(staff).values_list("content_type__app_label", "content_type__model")
    )
    assert models == {
        ("articles", "article"),
        ("articles", "tag"),
        ("articles", "taggedarticle"),
        ("articles", "image"),
        ("articles", "storyevent"),
        ("articles", "correction"),
        ("articles", "frontpage"),
        ("articles", "frontpagepin"),
        ("auth", "user"),
        ("auth", "group"),
        # Failed sign-ins: editors-in-chief unlock accounts (articles/lockouts.py).
        ("axes", "accessattempt"),
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_role_form_shows_permissions_in_the_admins_language(staff_client, language):
    role = Group.objects.get(name=workflow.EDITORS)
    response = staff_client.get(admin_url("auth_group_change", role.pk, language=language))
    labels = picker_labels(response)
    if language == "fr":
        assert "Peut modifier les articles" in labels
        assert "Peut traduire les articles en français" in labels
    else:
        assert "Can change stories" in labels
        assert "Can translate stories into French" in labels
    # Django's own labels ("Rédaction | article | Can change story") and taggit's tags.
    assert not [label for label in labels if "|" in label]
    # Four each for story, tag, story tag, story event, correction, front page, lead story,
    # image, user, group and sign-in attempt; five of the newsroom's.
    assert len(labels) == len(set(labels)) == 49


def test_the_account_form_hides_taggit_sessions_and_the_admin_log(staff_client, staff):
    response = staff_client.get(admin_url("auth_user_change", staff.pk))
    content = response.content.decode().lower()
    for hidden in ["taggit", "session", "type de contenu", "entrée d’historique"]:
        assert hidden not in content
    assert "Peut voir les événements d’article" in picker_labels(response, "user_permissions")


def test_a_permission_the_picker_hides_stays_on_a_role_that_has_it(staff_client):
    role = Group.objects.create(name="Archivistes")
    sessions, stories = permission("sessions.view_session"), permission("articles.view_article")
    role.permissions.add(sessions, stories)
    url = admin_url("auth_group_change", role.pk)
    form = staff_client.get(url).context["adminform"].form
    assert sessions in form.fields["permissions"].queryset
    data = {"name": "Archivistes", "permissions": [sessions.pk, stories.pk], "_save": "Save"}
    assert staff_client.post(url, data).status_code == 302
    assert set(role.permissions.all()) == {sessions, stories}


def test_an_editor_in_chief_is_offered_what_they_may_give(client):
    workflow.ensure_roles()
    chief = UserFactory(is_staff=True)
    chief.groups.add(Group.objects.get(name=workflow.EDITORS_IN_CHIEF))
    offered = {
        f"{app_label}.{codename}"
        for app_label, codename in offered_permissions(chief).values_list(
            "content_type__app_label", "codename"
        )
    }
    assert "articles.translate_article_into_en" in offered
    assert "auth.add_user" in offered
    assert "articles.delete_storyevent" not in offered


# Passwords set in the admin go through Django's validators (AUTH_PASSWORD_VALIDATORS).


def new_account(client, password):
    return client.post(
        admin_url("auth_user_add"),
        {
            "username": "nbernard",
            "usable_password": "true",
            "password1": password,
            "password2": password,
            "_save": "Save",
        },
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password123", "Ce mot de passe est trop courant."),
        (
            "zq8vx2mwk4p",
            "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères.",
        ),
        (
            "nbernard2026",
            "Le mot de passe est trop semblable au champ «\u00a0nom d’utilisateur\u00a0».",
        ),
        ("482915736204", "Ce mot de passe est entièrement numérique."),
    ],
)
def test_a_new_account_with_a_weak_password_is_refused(client, chief, password, reason):
    client.force_login(chief)
    response = new_account(client, password)
    assert response.status_code == 200
    assert reason in response.context["adminform"].form.errors["password2"]
    assert not get_user_model().objects.filter(username="nbernard").exists()


def test_a_new_account_with_a_long_uncommon_password_is_made(client, chief):
    client.force_login(chief)
    assert new_account(client, "une phrase de passe solide").status_code == 302


def test_changing_a_password_to_a_weak_one_is_refused(client, chief, journalist):
    client.force_login(chief)
    response = client.post(
        admin_url("auth_user_password_change", journalist.pk),
        {"usable_password": "true", "password1": "password123", "password2": "password123"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    journalist.refresh_from_db()
    assert not journalist.check_password("password123")


def test_ones_own_password_change_refuses_a_weak_one(client, journalist):
    client.force_login(journalist)
    response = client.post(
        admin_url("password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "password123",
            "new_password2": "password123",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    journalist.refresh_from_db()
    assert journalist.check_password("correct horse battery staple")


def test_signing_in_gives_an_http_only_cookie_and_a_session_of_a_working_day(client, journalist):
    response = client.post(
        admin_url("login"),
        {"username": journalist.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # Ends when the browser closes; the server forgets it after eight hours anyway.
    assert not cookie["max-age"]
    assert not cookie["expires"]
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert 0 < (client.session.get_expiry_date() - timezone.now()).total_seconds() <= 8 * 60 * 60
