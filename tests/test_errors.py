"""What a reader sees when a page fails (newsroom/errors.py): 500, or 503 without a database."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import path

from newsroom import urls as project_urls
from tests.test_settings import PRODUCTION, load_settings

pytestmark = pytest.mark.django_db


def failing_page(request):
    raise RuntimeError("secret internals: /srv/newsroom/settings.py")


def failing_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


# This module is the URLconf of the tests marked below: the project's pages plus two that fail.
urlpatterns = [
    path("fr/failing/", failing_page),
    path("en/failing/", failing_page),
    path("fr/bad-query/", failing_query),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


def test_the_project_answers_failures_with_its_own_handler():
    assert project_urls.handler500 == "newsroom.errors.server_error"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("address", "heading"),
    [
        ("/fr/failing/", "Un problème est survenu de notre côté"),
        ("/en/failing/", "Something went wrong on our side"),
    ],
)
def test_a_failing_page_answers_500_in_its_language_without_the_trace(address, heading):
    response = Client(raise_request_exception=False).get(address)
    assert response.status_code == 500
    page = response.content.decode()
    assert heading in page
    assert "RuntimeError" not in page
    assert "secret internals" not in page
    assert "Traceback" not in page
    assert response["Cache-Control"] == "no-store"
    # The reference a reader can give is the request's id, sent in the header too.
    assert response["X-Request-ID"] in page


@pytest.mark.urls(__name__)
def test_a_query_that_fails_is_a_server_error_not_an_outage():
    response = Client(raise_request_exception=False).get("/fr/bad-query/")
    assert response.status_code == 500
    assert "no_such_table" not in response.content.decode()
    assert not response.has_header("Retry-After")


def get_in_production(address, **environment):
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        f"r = Client(raise_request_exception=False).get({address!r}); "
        "print(json.dumps({'status': r.status_code, 'retry': r.get('Retry-After'), "
        "'body': r.content.decode()}))"
    )
    env = {
        **PRODUCTION,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SITE_URL": "https://testserver",
    }
    result = load_settings(code, **{**env, **environment})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.mark.parametrize(
    ("address", "words"),
    [("/fr/", "Le site est brièvement indisponible"), ("/en/", "The site is briefly unavailable")],
)
def test_without_a_database_pages_answer_503_with_retry_after(address, words):
    answer, log = get_in_production(
        address, DATABASE_URL="postgres://postgres@127.0.0.1:1/newsroom", DATABASE_POOL="false"
    )
    assert answer["status"] == 503
    assert answer["retry"] == "5"
    assert words in answer["body"]
    assert "OperationalError" not in answer["body"]
    assert "127.0.0.1" not in answer["body"]
    # The traceback is in the log, as JSON, with the request's id.
    errors = [json.loads(line) for line in log.splitlines() if '"level": "ERROR"' in line]
    assert errors, log
    assert "OperationalError" in errors[0]["exception"]
    assert errors[0]["request_id"]
