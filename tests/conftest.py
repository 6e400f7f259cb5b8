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
