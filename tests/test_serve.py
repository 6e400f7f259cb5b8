"""`make serve` end to end: gunicorn with DEBUG off, static files from whitenoise.

Like test_make_run, it serves a throw-away database on the test server and
collects static files into a temporary folder, so nothing of the developer's is
touched (but `.secret_key`, which make serve creates once, git-ignored).
"""

import os
import re
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.servers import free_port, scratch_database, start_make

DATABASE = f"newsroom_serve_{os.getpid()}"


@pytest.fixture(scope="module")
def scratch_database_url():
    with scratch_database(DATABASE) as url:
        yield url


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def site(scratch_database_url, tmp_path_factory):
    """The address `make serve` answers on."""
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "DATABASE_URL": scratch_database_url,
        "PORT": str(port),
        "DJANGO_STATIC_ROOT": str(tmp_path_factory.mktemp("staticfiles")),
        # Two workers are enough to show the worker model; the default is two per core plus one.
        "WEB_CONCURRENCY": "2",
    }
    server = start_make("serve", env)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                get(f"{address}/fr/")
                break
            except OSError:
                assert time.monotonic() < deadline, "make serve did not serve in time"
                time.sleep(0.5)
        yield address
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)


def test_make_serve_serves_the_french_site(site):
    status, _, body = get(f"{site}/fr/")
    assert status == 200
    assert 'lang="fr"' in body.decode()
    assert 'class="story-card"' in body.decode()


def test_make_serve_serves_the_english_site(site):
    status, _, body = get(f"{site}/en/")
    assert status == 200
    assert 'lang="en"' in body.decode()
    assert 'class="story-card"' in body.decode()


def test_make_serve_runs_without_debug(site):
    status, _, body = get(f"{site}/fr/no-such-page/")
    assert status == 404
    assert "DEBUG = True" not in body.decode()
    assert 'lang="fr"' in body.decode()


def stylesheet_url(site):
    _, _, body = get(f"{site}/fr/")
    return re.search(r'<link rel="stylesheet" href="([^"]+)">', body.decode())[1]


def test_static_files_have_content_hashed_names(site):
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet_url(site))


def test_static_files_are_sent_compressed_to_browsers_that_accept_it(site):
    status, headers, body = get(site + stylesheet_url(site), **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/css")
    assert body[:2] == b"\x1f\x8b"


def test_static_files_are_cached_for_ever_by_browsers(site):
    _, headers, _ = get(site + stylesheet_url(site))
    assert "immutable" in headers["Cache-Control"]
    max_age = re.search(r"max-age=(\d+)", headers["Cache-Control"])[1]
    assert int(max_age) >= 365 * 24 * 3600
