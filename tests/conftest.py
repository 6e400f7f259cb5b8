import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from articles import workflow
from tests.factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _french_by_default():
    """Each test starts in the source language, as a request without a prefix would."""
    with translation.override("fr"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded pictures and their renditions go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture
def staff(db):
    return StaffFactory(username="redaction")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Pages are made afresh in tests; tests/test_cache.py turns the cache on itself.

    Test transactions never commit, so the cache would never hear of a change.
    """
    settings.PAGE_CACHE_SECONDS = 0


# The newsroom's roles (articles.workflow), each a member with a staff account.


@pytest.fixture
def roles():
    workflow.ensure_roles()


def member(role, **fields):
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def journalist(roles):
    return member(workflow.JOURNALISTS, first_name="Yanis", last_name="Haddad")


@pytest.fixture
def editor(roles):
    return member(workflow.EDITORS)


@pytest.fixture
def chief(roles):
    return member(workflow.EDITORS_IN_CHIEF)


@pytest.fixture
def translator(roles):
    return member(workflow.translators("en"))
