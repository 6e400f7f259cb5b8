"""Staff sign-in throttled against guessing (django-axes, articles/lockouts.py).

Through the admin's real login form in both languages, as a browser posts it: after
AXES_FAILURE_LIMIT wrong passwords for a username, or from an address, the right
password is refused with the lockout page until the cool-off has passed or an
editor-in-chief unlocks.
"""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from lxml import html

from articles import lockouts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.23"


def login_url(language="fr"):
    with translation.override(language):
        return reverse("admin:login")


def sign_in(client, username, password, language="fr", address=HOME, **headers):
    return client.post(
        login_url(language),
        {"username": username, "password": password, "next": f"/{language}/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, username, times, language="fr", address=HOME):
    for _attempt in range(times):
        response = sign_in(client, username, "not the password", language, address)
    return response


def signed_in(response):
    return response.status_code == 302 and SESSION_KEY in response.wsgi_request.session


def page_text(response):
    return " ".join(html.fromstring(response.content.decode()).text_content().split())


@pytest.fixture
def writer(db):
    return UserFactory(username="lea", is_staff=True, password=PASSWORD)


@pytest.fixture
def colleague(db):
    return UserFactory(username="sami", is_staff=True, password=PASSWORD)


LIMIT = 5


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def test_the_right_password_signs_in(client, writer):
    assert signed_in(sign_in(client, "lea", PASSWORD))


def test_fewer_failures_than_the_limit_do_not_lock(client, writer):
    fail(client, "lea", LIMIT - 1)
    assert signed_in(sign_in(client, "lea", PASSWORD))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_after_the_limit_the_right_password_is_refused(client, writer, language):
    fail(client, "lea", LIMIT, language)
    response = sign_in(client, "lea", PASSWORD, language)
    assert response.status_code == 429
    assert not signed_in(response)
    assert SESSION_KEY not in client.session


def test_the_failure_that_reaches_the_limit_already_shows_the_lockout(client, writer):
    assert fail(client, "lea", LIMIT - 1).status_code == 200  # the form, with its error
    assert fail(client, "lea", 1).status_code == 429


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fr",
            [
                "Connexion verrouillée",
                "verrouillée pendant 15 minutes",
                "rédaction en chef",
            ],
        ),
        (
            "en",
            ["Sign-in locked", "locked for 15 minutes", "editor-in-chief"],
        ),
    ],
)
def test_the_lockout_page_says_how_long_and_whom_to_ask_in_its_language(
    client, writer, language, words
):
    fail(client, "lea", LIMIT, language)
    response = sign_in(client, "lea", PASSWORD, language)
    text = page_text(response)
    for word in words:
        assert word in text
    assert response["Content-Language"] == language
    # In the admin's look, with its stylesheets, and a way back to the form.
    page = html.fromstring(response.content.decode())
    assert page.xpath('//body[contains(@class, "login")]')
    assert page.xpath(f'//a[@href="{login_url(language)}"]')
    # Nothing is said about the password or whether the account exists.
    assert "lea" not in text


def test_the_cool_off_count_is_in_minutes_from_the_settings(client, writer, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=45)
    fail(client, "lea", LIMIT, "en")
    assert "locked for 45 minutes" in page_text(sign_in(client, "lea", PASSWORD, "en"))


def test_a_locked_username_is_refused_from_every_address(client, writer):
    fail(client, "lea", LIMIT, address=HOME)
    assert sign_in(Client(), "lea", PASSWORD, address=ELSEWHERE).status_code == 429


def test_failures_for_one_username_from_many_addresses_add_up(client, writer):
    for number in range(LIMIT):
        fail(client, "lea", 1, address=f"192.0.2.{number + 1}")
    assert sign_in(client, "lea", PASSWORD, address=ELSEWHERE).status_code == 429


def test_a_locked_username_does_not_lock_a_colleague_elsewhere(client, writer, colleague):
    fail(client, "lea", LIMIT, address=HOME)
    assert signed_in(sign_in(Client(), "sami", PASSWORD, address=ELSEWHERE))


def test_one_address_trying_many_usernames_is_locked(client, writer, colleague):
    for number in range(LIMIT):
        fail(client, f"guess{number}", 1, address=HOME)
    # Even an account nobody guessed at, from that address.
    assert sign_in(Client(), "sami", PASSWORD, address=HOME).status_code == 429
    # The same account from another address signs in.
    assert signed_in(sign_in(Client(), "sami", PASSWORD, address=ELSEWHERE))


def test_the_lock_ends_after_the_cool_off(client, writer):
    fail(client, "lea", LIMIT)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_an_attempt_during_the_lock_starts_the_wait_over(client, writer):
    fail(client, "lea", LIMIT)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert sign_in(client, "lea", PASSWORD).status_code == 429
    # Twenty minutes after the lock, ten after that attempt: still locked, and again refreshed.
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert sign_in(Client(), "lea", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=36)):
        assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_a_successful_sign_in_forgets_ones_own_failures(client, writer):
    fail(client, "lea", LIMIT - 1)
    assert signed_in(sign_in(client, "lea", PASSWORD))
    # The count starts again: as many failures again do not lock.
    fail(Client(), "lea", LIMIT - 1)
    assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_a_successful_sign_in_keeps_other_usernames_failures_from_the_address(
    client, writer, colleague
):
    """One valid account must not let an address go on guessing at the others."""
    fail(client, "sami", LIMIT - 1, address=HOME)
    assert signed_in(sign_in(Client(), "lea", PASSWORD, address=HOME))
    fail(client, "sami", 1, address=HOME)
    assert sign_in(Client(), "sami", PASSWORD, address=ELSEWHERE).status_code == 429


def test_the_page_cache_does_not_keep_the_lockout(client, writer, settings):
    settings.PAGE_CACHE_SECONDS = 60
    fail(client, "lea", LIMIT)
    assert sign_in(client, "lea", PASSWORD).status_code == 429
    # The login form itself is still served as a form.
    assert client.get(login_url()).status_code == 200


# Unlocking: editors-in-chief (their role holds lockouts.UNLOCK), and superusers.


def users_url(language="fr"):
    with translation.override(language):
        return reverse("admin:auth_user_changelist")


def unlock_through_the_user_list(client, *users):
    return client.post(
        users_url(),
        {"action": "unlock", "_selected_action": [str(user.pk) for user in users]},
        follow=True,
    )


def test_the_editor_in_chiefs_role_may_unlock(chief):
    assert chief.has_perm(lockouts.UNLOCK)
    assert chief.has_perm("axes.view_accessattempt")


def test_editors_and_journalists_may_not_unlock(editor, journalist):
    assert not editor.has_perm(lockouts.UNLOCK)
    assert not journalist.has_perm(lockouts.UNLOCK)


def test_the_user_list_marks_a_locked_account(client, chief, writer, colleague):
    fail(Client(), "lea", LIMIT)
    client.force_login(chief)
    response = client.get(users_url())
    locked = {user.username: user.sign_in_locked for user in response.context["cl"].result_list}
    assert locked["lea"] is True
    assert locked["sami"] is False


def test_an_editor_in_chief_unlocks_an_account_from_the_user_list(client, chief, writer):
    fail(Client(), "lea", LIMIT)
    client.force_login(chief)
    response = unlock_through_the_user_list(client, writer)
    assert "1 compte a été déverrouillé" in page_text(response)
    assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_the_unlock_action_is_not_offered_to_an_editor(client, editor, writer):
    fail(Client(), "lea", LIMIT)
    client.force_login(editor)
    action_form = client.get(users_url()).context["action_form"]
    offered = [] if action_form is None else dict(action_form.fields["action"].choices)
    assert "unlock" not in offered
    unlock_through_the_user_list(client, writer)
    assert sign_in(Client(), "lea", PASSWORD).status_code == 429


def test_an_editor_in_chief_unlocks_by_deleting_the_attempts(client, chief, writer):
    fail(Client(), "lea", LIMIT)
    client.force_login(chief)
    with translation.override("fr"):
        url = reverse("admin:axes_accessattempt_changelist")
    assert client.get(url).status_code == 200
    attempts = AccessAttempt.objects.filter(username="lea")
    response = client.post(
        url,
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in attempts.values_list("pk", flat=True)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not attempts.exists()
    assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_a_superuser_unlocks_too(client, staff, writer):
    fail(Client(), "lea", LIMIT)
    client.force_login(staff)
    unlock_through_the_user_list(client, writer)
    assert signed_in(sign_in(Client(), "lea", PASSWORD))


def test_the_attempts_section_is_named_for_the_newsroom_in_both_languages(client, staff):
    client.force_login(staff)
    with translation.override("fr"):
        assert "Tentatives de connexion" in page_text(client.get(reverse("admin:index")))
    with translation.override("en"):
        assert "Sign-in attempts" in page_text(client.get(reverse("admin:index")))


# The client's address: the connection's, unless behind trusted proxies.


def test_without_a_proxy_a_forwarded_address_is_ignored(client, writer):
    for number in range(LIMIT):
        sign_in(client, "lea", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_behind_a_proxy_the_address_it_saw_is_counted(client, writer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent its own X-Forwarded-For; the proxy appended the address it saw.
    sign_in(client, "lea", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [HOME]


def test_behind_two_proxies_the_outer_ones_address_is_counted(client, writer, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    sign_in(
        client,
        "lea",
        "wrong",
        address="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}, 10.0.0.2",
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [HOME]


@pytest.mark.parametrize("forwarded", ["", "not an address", "999.1.1.1", "\u00e9"])
def test_behind_a_proxy_a_missing_or_malformed_header_counts_the_connection(
    client, writer, settings, forwarded
):
    settings.TRUSTED_PROXY_COUNT = 1
    response = sign_in(client, "lea", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.1"]


def test_axes_checks_each_sign_in_before_the_password():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
