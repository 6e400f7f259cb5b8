"""`make run` end to end: migrate, load the demo, print the login, serve the site.

It runs against a throw-away database on the test server, so the developer's
own database is never touched.
"""

import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.servers import ROOT, free_port, scratch_database

DATABASE = f"newsroom_make_run_{os.getpid()}"


@pytest.fixture
def scratch_database_url():
    with scratch_database(DATABASE) as url:
        yield url


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode()


def test_make_run_prepares_the_database_loads_the_demo_and_serves_the_site(scratch_database_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": scratch_database_url, "PORT": str(port)}
    server = subprocess.Popen(
        [shutil.which("make") or "make", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                status, home = get(f"http://127.0.0.1:{port}/fr/")
                break
            except OSError:
                assert time.monotonic() < deadline, "make run did not serve in time"
                time.sleep(0.5)
        _, english = get(f"http://127.0.0.1:{port}/en/")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert status == 200
    assert 'class="story-card"' in home
    assert 'lang="en"' in english
    assert 'class="story-card"' in english
    assert f"http://127.0.0.1:{port}/fr/admin/" in output
    assert "editor" in output
    assert "newsroom-demo" in output
