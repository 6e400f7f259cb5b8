import pytest
from django.utils import translation

from tests.factories import StaffFactory


@pytest.fixture(autouse=True)
def _french_by_default():
    """Each test starts in the source language, as a request without a prefix would."""
    with translation.override("fr"):
        yield


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
