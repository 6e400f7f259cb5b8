"""The embedded PostgreSQL used when DATABASE_URL is not set, exercised in real processes."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent

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
    # Stop a server a failing test left behind.
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
