"""The embedded PostgreSQL used when DATABASE_URL is not set, exercised in real processes."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import psycopg
import pytest

from tests.servers import ROOT, free_port, start_make, wait_for

HOLD = """
import sys
from newsroom.embedded_postgres import database_url
url = database_url({data_dir!r})
print(url, flush=True)
{body}
sys.stdin.readline()
"""


def python(body, data_dir, **kwargs):
    code = HOLD.format(data_dir=str(data_dir), body=body)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def postmaster_pid(data_dir):
    pid_file = data_dir / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "pgdata"
    yield path
    stop_server(path)


def test_server_is_shared_by_processes_stopped_after_the_last_and_keeps_its_data(data_dir):
    first = python(
        "import psycopg; psycopg.connect(url, autocommit=True)"
        ".execute('CREATE TABLE kept (id int)')",
        data_dir,
    )
    url = first.stdout.readline().strip()
    assert "/newsroom" in url
    pid = postmaster_pid(data_dir)
    assert pid is not None

    second = python("", data_dir)
    assert second.stdout.readline().strip() == url
    second.communicate("\n", timeout=60)
    # The first process still uses the server: it is still up.
    assert postmaster_pid(data_dir) == pid
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone()[0] == "kept"

    first.communicate("\n", timeout=60)
    assert postmaster_pid(data_dir) is None

    third = python("", data_dir)
    url = third.stdout.readline().strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone()[0] == "kept"
    third.communicate("\n", timeout=60)


# Whatever a killed run left behind, the README's commands start, and stop their server.


def make(target, data_dir, port=None, **extra):
    """`make <target>` on the embedded server in ``data_dir``, in its own process group."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")},
        "DJANGO_EMBEDDED_DATA_DIR": str(data_dir),
        "PORT": str(port or free_port()),
        **extra,
    }
    return start_make(target, env)


def serve_then_stop(target, data_dir, stop=signal.SIGINT, **extra):
    """Start ``target``, check it serves the site, stop it with ``stop``: the postmaster's pid."""
    port = free_port()
    process = make(target, data_dir, port, **extra)
    try:
        wait_for(f"http://127.0.0.1:{port}/fr/", process, timeout=240)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fr/", timeout=30) as page:  # noqa: S310
            assert page.status == 200
        running = postmaster_pid(data_dir)
        assert running is not None
    finally:
        os.killpg(process.pid, stop)
        output, _ = process.communicate(timeout=120)
    return running, output


def wait_until_gone(pid, timeout=90):
    # A stopping server writes a shutdown checkpoint first: seconds on a quiet machine, more
    # than 30 on one busy writing elsewhere (seen while a benchmark corpus was being built).
    deadline = time.monotonic() + timeout
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"process {pid} is still running"
        time.sleep(0.1)


def assert_stopped(data_dir, pid):
    wait_until_gone(pid)
    assert postmaster_pid(data_dir) is None


@pytest.fixture(scope="module")
def prepared_dir(tmp_path_factory):
    """A data directory `make run` has prepared once (migrated, demo loaded), then stopped."""
    path = tmp_path_factory.mktemp("leftovers") / "pgdata"
    pid, output = serve_then_stop("run", path)
    assert_stopped(path, pid)
    yield path
    stop_server(path)


def stop_server(path):
    """Stop a server a failing test left behind."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import pgserver,sys; pgserver.get_server(sys.argv[1]).cleanup()",
            path,
        ],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=60,
    )


def holder_killed(data_dir, kill_server=False):
    """A process that used the server, killed with SIGKILL (and the server too, if asked)."""
    holder = python("", data_dir)
    holder.stdout.readline()
    server = postmaster_pid(data_dir)
    if kill_server:
        os.kill(server, signal.SIGKILL)
    holder.kill()
    holder.wait(timeout=30)
    if kill_server:
        wait_until_gone(server)
    return holder.pid


LEFTOVERS = {
    "an empty process list": lambda d: (d / ".handle_pids.json").write_text(""),
    "a corrupt process list": lambda d: (d / ".handle_pids.json").write_text('[41, "x'),
    "dead process ids and a server still running": lambda d: holder_killed(d),
    "a killed server, its pid file and socket": lambda d: holder_killed(d, kill_server=True),
}


@pytest.mark.parametrize("leftover", LEFTOVERS)
def test_make_run_starts_after_a_killed_run_and_stops_its_server(prepared_dir, leftover):
    LEFTOVERS[leftover](prepared_dir)
    pid, output = serve_then_stop("run", prepared_dir)
    assert "JSONDecodeError" not in output
    assert_stopped(prepared_dir, pid)


def test_make_run_stopped_with_sigterm_stops_its_server(prepared_dir):
    pid, _ = serve_then_stop("run", prepared_dir, stop=signal.SIGTERM)
    assert_stopped(prepared_dir, pid)
    # And the next run starts as usual.
    pid, _ = serve_then_stop("run", prepared_dir)
    assert_stopped(prepared_dir, pid)


def test_make_serve_starts_after_a_killed_run_and_stops_its_server(prepared_dir, tmp_path):
    LEFTOVERS["dead process ids and a server still running"](prepared_dir)
    (prepared_dir / ".handle_pids.json").write_text("")
    pid, _ = serve_then_stop(
        "serve", prepared_dir, WEB_CONCURRENCY="1", DJANGO_STATIC_ROOT=str(tmp_path / "static")
    )
    assert_stopped(prepared_dir, pid)


def test_make_test_starts_after_a_killed_run_and_stops_its_server(prepared_dir):
    holder_killed(prepared_dir, kill_server=True)
    (prepared_dir / ".handle_pids.json").write_text("[")
    tests = make(
        "test",
        prepared_dir,
        PYTEST_ADDOPTS="-p no:cacheprovider tests/test_models.py -k test_draft_is_not_published",
    )
    output, _ = tests.communicate(timeout=300)
    assert tests.returncode == 0, output
    assert " passed" in output
    assert postmaster_pid(prepared_dir) is None
