"""The request edge (newsroom.middleware): language codes, NUL characters, odd requests."""

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from articles.cache import PageCacheMiddleware
from tests.factories import ArticleFactory, TagFactory
from tests.servers import ROOT, database_url, free_port, wait_for
from tests.test_cache import redis_is_running

pytestmark = pytest.mark.django_db


# Language codes are matched as LANGUAGES spells them.


@pytest.mark.parametrize("path", ["/EN/", "/En/tags/", "/FR/etiquettes/", "/eN/stories/x/"])
def test_a_language_code_in_another_case_is_not_an_address(client, path):
    assert client.get(path).status_code == 404


def test_english_routes_stay_english_after_a_capitalised_request(client):
    tag = TagFactory(name_fr="Russie", name_en="Russia")
    ArticleFactory(tags=[tag], english=True)
    client.get("/EN/")
    client.get("/En/tags/")
    page = client.get("/en/tags/")
    assert page.status_code == 200
    assert 'href="/en/tags/russia/"' in page.content.decode()
    assert client.get("/en/etiquettes/").status_code == 404


def test_a_language_cookie_in_capitals_leads_to_the_lower_case_site(client):
    client.cookies["django_language"] = "EN"
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_only_pages_under_the_active_language_prefix_are_cached(rf, settings):
    settings.PAGE_CACHE_SECONDS = 600
    with translation.override("en"):
        assert PageCacheMiddleware.cacheable(rf.get("/en/tags/"))
        assert not PageCacheMiddleware.cacheable(rf.get("/EN/tags/"))
        assert not PageCacheMiddleware.cacheable(rf.get("/fr/etiquettes/"))


# NUL characters never reach the database.


@pytest.mark.parametrize(
    "url",
    [
        "/fr/etiquettes/?after=%00",
        "/en/tags/?before=%00",
        "/fr/?after=20240131093000000000-1%00",
        "/en/?before=%00abc",
        "/fr/?utm_source=%00",
        "/fr/?%00=1",
        "/fr/etiquettes/russie/?after=%00",
    ],
)
def test_a_nul_in_a_public_query_is_a_bad_request(client, url):
    ArticleFactory(tags=[TagFactory(name_fr="Russie")])
    response = client.get(url)
    assert response.status_code == 400
    assert "<h1>" in response.content.decode()


def test_a_bad_request_is_answered_in_the_language_of_its_address(client):
    assert "Requête incorrecte" in client.get("/fr/?after=%00").content.decode()
    assert "Bad request" in client.get("/en/?after=%00").content.decode()


def test_a_nul_in_the_path_is_a_bad_request(client):
    assert client.get("/fr/articles/x%00y/").status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/fr/admin/articles/article/?status__exact=%00",
        "/fr/admin/articles/article/?q=%00",
        "/fr/admin/articles/tag/?q=%00",
        "/fr/admin/autocomplete/?app_label=articles&model_name=article&field_name=authors&term=%00",
    ],
)
def test_a_nul_in_an_admin_query_is_a_bad_request(staff_client, url):
    assert staff_client.get(url).status_code == 400


def test_a_nul_in_a_form_field_is_a_bad_request_and_saves_nothing(staff_client):
    response = staff_client.post("/fr/admin/auth/group/add/", {"name": "Édition\x00"})
    assert response.status_code == 400
    assert not Group.objects.filter(name__startswith="Édition").exists()


def test_a_nul_in_the_session_cookie_is_a_bad_request(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get("/fr/").status_code == 400


# Odd requests get the answer production gives, in development too.


@pytest.mark.parametrize("debug", [True, False])
def test_a_form_sent_to_an_address_without_its_slash_is_not_found(client, settings, debug):
    settings.DEBUG = debug
    response = client.post("/fr/etiquettes", {"a": "b"})
    assert response.status_code == 404


def test_a_get_without_the_slash_is_still_redirected(client):
    response = client.get("/fr/etiquettes")
    assert response.status_code == 301
    assert response["Location"] == "/fr/etiquettes/"


@pytest.mark.parametrize("debug", [True, False])
def test_more_parameters_than_django_accepts_is_a_bad_request(client, settings, debug):
    settings.DEBUG = debug
    query = "&".join(f"p{number}=1" for number in range(1100))
    response = client.get(f"/fr/?{query}")
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


# The same, against a real gunicorn worker: its URL patterns outlive the request.


@pytest.fixture
def one_worker(transactional_db, tmp_path):
    """A freshly started gunicorn with a single worker on the test database, and Redis.

    Yields a function that GETs a path and returns (status, body).
    """
    if not redis_is_running():
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail("Redis is required on 127.0.0.1:6379 (REQUIRE_REDIS is set)")
        pytest.skip("no Redis on 127.0.0.1:6379")
    tag = TagFactory(name_fr="Russie", name_en="Russia")
    ArticleFactory(tags=[tag], english=True, title_en="Sanctions", slug_en="sanctions")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))},
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": database_url(),
        # A Redis database of this test's own, emptied first: pages are shared there.
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "WEB_CONCURRENCY": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    with socket.create_connection(("127.0.0.1", 6379)) as redis:
        redis.sendall(b"SELECT 5\r\nFLUSHDB\r\n")
        redis.recv(64)
    server = subprocess.Popen(
        [ROOT / ".venv" / "bin" / "gunicorn", "--config", "python:newsroom.gunicorn_conf"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    address = f"http://127.0.0.1:{port}"

    def get(path, **headers):
        request = urllib.request.Request(address + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    try:
        # A static file (whitenoise answers it before Django): the worker's first page
        # request is the test's own, as the defect needs.
        wait_for(address + "/static/css/site.css", server)
        yield get
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)


def test_a_capitalised_language_code_leaves_a_workers_english_site_intact(one_worker):
    assert one_worker("/EN/")[0] == 404
    status, tags = one_worker("/en/tags/")
    assert status == 200
    assert 'href="/en/tags/russia/"' in tags
    assert one_worker("/en/etiquettes/")[0] == 404
    for _ in range(2):  # made, then served from the shared cache
        status, home = one_worker("/en/")
        assert status == 200
        assert 'href="/en/stories/sanctions/"' in home
        assert "/en/etiquettes/" not in home
        assert "/en/articles/" not in home


def test_a_capitalised_language_cookie_leaves_a_workers_english_site_intact(one_worker):
    status, _ = one_worker("/", Cookie="django_language=EN")
    assert status == 200  # followed to /en/
    assert one_worker("/en/tags/")[0] == 200
