"""Scale-out on loopback: two app servers, a PostgreSQL primary with a streaming
replica, and one Redis.

A story published through one server is seen through the other at once (the
page cache versions live in Redis), and readers' pages are read from the
replica. The PostgreSQL pair is made for this test with initdb and
pg_basebackup, so no other database is touched.
"""

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.servers import ROOT, free_port
from tests.test_cache import redis_is_running

PG_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"))


def unavailable(reason):
    if os.environ.get("REQUIRE_SCALE_OUT"):
        pytest.fail(f"{reason} (REQUIRE_SCALE_OUT is set)")
    pytest.skip(reason)


def as_postgres(command):
    """Run a PostgreSQL program; as root, under the postgres account it insists on."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def wait_for(check, what, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if result := check():
                return result
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds} s"
        time.sleep(0.2)


def replica_has_database(url):
    try:
        psycopg.connect(url).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.fixture(scope="module")
def postgres_pair():
    """(primary URL, replica URL) of a fresh primary and its streaming replica."""
    if not PG_BINARIES:
        unavailable("no PostgreSQL server binaries under /usr/lib/postgresql")
    binaries = PG_BINARIES[-1].parent
    base = Path(tempfile.mkdtemp(prefix="newsroom-scale-out-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    primary, replica = base / "primary", base / "replica"
    ports = free_port(), free_port()
    started = []
    try:
        as_postgres([binaries / "initdb", "-D", primary, "-U", "postgres", "--auth=trust"])
        for directory, port in [(primary, ports[0]), (replica, ports[1])]:
            if directory == replica:
                as_postgres(
                    [binaries / "pg_basebackup", "-h", "127.0.0.1", "-p", str(ports[0])]
                    + ["-U", "postgres", "-D", replica, "-R", "-X", "stream"]
                )
            options = f"-p {port} -c listen_addresses=127.0.0.1 -k {base}"
            as_postgres(
                [binaries / "pg_ctl", "-D", directory, "-o", options]
                + ["-l", base / f"{directory.name}.log", "-w", "start"]
            )
            started.append(directory)
        urls = tuple(f"postgres://postgres@127.0.0.1:{port}/newsroom" for port in ports)
        with psycopg.connect(urls[0].replace("/newsroom", "/postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE newsroom")
        wait_for(lambda: replica_has_database(urls[1]), "replication of the database")
        yield urls
    finally:
        for directory in reversed(started):
            as_postgres([binaries / "pg_ctl", "-D", directory, "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def servers(postgres_pair):
    """Two gunicorn servers on the pair, sharing Redis: [(url of A), (url of B)]."""
    if not redis_is_running():
        unavailable("no Redis on 127.0.0.1:6379")
    static_root = tempfile.mkdtemp(prefix="newsroom-static-")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PAGE_CACHE_"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Both servers make the same pages: one public address, whichever answers.
        DJANGO_SITE_URL="http://127.0.0.1",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_ROOT=static_root,
        DATABASE_URL=postgres_pair[0],
        DATABASE_REPLICA_URL=postgres_pair[1],
        # A database of its own on the shared Redis: no other test or site sees its keys.
        REDIS_URL="redis://127.0.0.1:6379/3",
        WEB_CONCURRENCY="2",
    )
    for command in (["migrate", "--noinput"], ["load_demo"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--config", "python:newsroom.gunicorn_conf"]
                    + ["--bind", f"127.0.0.1:{port}"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for(lambda url=url: fetch(url + "/fr/")[0] == 200, f"{url} answering")
        yield urls
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)


def fetch(url, opener=None, data=None):
    opener = opener or urllib.request.build_opener()
    with opener.open(url, data=data, timeout=20) as response:  # loopback only
        return response.status, response.headers, response.read().decode()


def admin_session(base):
    """An opener logged into the admin of the server at ``base`` as the demo editor."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    _, _, form = fetch(f"{base}/fr/admin/login/", opener)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "editor",
            "password": "newsroom-demo",
            "next": "/fr/admin/",
        }
    ).encode()
    status, _, page = fetch(f"{base}/fr/admin/login/", opener, data)
    assert status == 200
    assert "logout" in page
    return opener


def publish_through_admin(base, story_id):
    opener = admin_session(base)
    changelist = f"{base}/fr/admin/articles/article/"
    _, _, page = fetch(changelist, opener)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "action": "publish", "_selected_action": story_id}
    ).encode()
    status, _, _ = fetch(changelist, opener, data)
    assert status == 200


def article_scans(url):
    """Index and sequential scans of the story table counted by one PostgreSQL server."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables"
            " WHERE relname = 'articles_article'"
        ).fetchone()[0]


def test_a_story_published_through_one_server_is_seen_through_the_other(postgres_pair, servers):
    server_a, server_b = servers
    with psycopg.connect(postgres_pair[0]) as conn:
        story_id, title = conn.execute(
            "SELECT id, title_fr FROM articles_article WHERE status = 'draft' ORDER BY id LIMIT 1"
        ).fetchone()
    # Pages changed a moment ago (the demo was just loaded) are not kept, in case the
    # replica has not replayed the change yet; then the home page stays cached.
    home = wait_for(
        lambda: (page := fetch(server_b + "/fr/"))[1]["X-Page-Cache"] == "hit" and page[2],
        "the home page in the cache",
        10,
    )
    assert title not in home

    publish_through_admin(server_a, story_id)

    # No cache timeout to wait for: only the replica's replay, a moment.
    wait_for(lambda: title in fetch(server_b + "/fr/")[2], "the story on the other server", 10)


def test_readers_pages_are_read_from_the_replica(postgres_pair, servers):
    replica = postgres_pair[1]
    before = article_scans(replica)
    # A page nobody has asked for yet: not in the page cache.
    status, headers, _ = fetch(
        servers[1] + f"/fr/?after=20000101000000000000-{uuid.uuid4().int % 10**18}"
    )
    assert status == 200
    assert headers["X-Page-Cache"] != "hit"
    # The replica's statistics are flushed at most once a second.
    wait_for(lambda: article_scans(replica) > before, "a read on the replica", 10)
