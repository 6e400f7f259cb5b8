"""`make run` end to end: migrate, load the demo, print the login, serve the site.

It runs against a throw-away database on the test server, so the developer's
own database is never touched.
"""

import os
import signal
import socket
import urllib.error
import urllib.request

import pytest

from tests.servers import free_port, scratch_database, start_make, wait_for

DATABASE = f"newsroom_make_run_{os.getpid()}"


@pytest.fixture(scope="module")
def make_run():
    """`make run` serving a scratch database: (address, function returning its output so far)."""
    with scratch_database(DATABASE) as url:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "PORT": str(port)}
        server = start_make("run", env)
        address = f"http://127.0.0.1:{port}"
        stopped = {}

        def output():
            if "text" not in stopped:
                os.killpg(server.pid, signal.SIGTERM)
                stopped["text"], _ = server.communicate(timeout=30)
            return stopped["text"]

        try:
            wait_for(f"{address}/fr/", server)
            yield address, output
        finally:
            output()


def request(url, method="GET", data=None):
    try:
        prepared = urllib.request.Request(url, method=method, data=data)  # noqa: S310 (loopback)
        with urllib.request.urlopen(prepared, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_run_serves_the_demo_in_both_languages(make_run):
    address, _ = make_run
    status, home = request(f"{address}/fr/")
    _, english = request(f"{address}/en/")
    assert status == 200
    assert 'class="story-card"' in home
    assert 'lang="en"' in english
    assert 'class="story-card"' in english


ODD_REQUESTS = {
    "a form sent without the trailing slash": ("POST", "/fr/etiquettes", b"a=b", 404),
    "more than 1,000 query parameters": (
        "GET",
        "/fr/?" + "&".join(f"p{n}=1" for n in range(1100)),
        None,
        400,
    ),
    "a dot-dot static path": ("GET", "/static/%2E%2E", None, 404),
    "a dot-dot static path going further": ("GET", "/static/%2E%2E/%2E%2E/etc/passwd", None, 404),
    "a NUL in the query": ("GET", "/fr/etiquettes/?after=%00", None, 400),
}


@pytest.mark.parametrize("odd", ODD_REQUESTS)
def test_make_run_answers_odd_requests_with_a_clear_4xx(make_run, odd):
    address, _ = make_run
    method, path, data, expected = ODD_REQUESTS[odd]
    status, body = request(address + path, method, data)
    assert status == expected
    assert "Traceback" not in body


@pytest.mark.parametrize("request_line", [b"GET /fr/\x00 HTTP/1.1", b"GET /\x00 HTTP/1.1"])
def test_make_run_answers_a_raw_nul_in_the_request_line_with_400(make_run, request_line):
    address, _ = make_run
    port = int(address.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status_line = connection.recv(100).split(b"\r\n")[0]
    assert status_line.split()[1] == b"400"


def test_make_run_prints_where_to_sign_in(make_run):
    address, output = make_run
    text = output()
    assert f"{address}/fr/admin/" in text
    assert "editor" in text
    assert "newsroom-demo" in text
