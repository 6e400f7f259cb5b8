"""What the tests that start real servers share: free ports, connections, scratch databases."""

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_params():
    """Where the test database's server is, as Django connects to it.

    Django's own parameters, not the settings' HOST: the embedded server's
    socket directory comes in OPTIONS.
    """
    params = connection.get_connection_params()
    return {key: params[key] for key in ("host", "port", "user", "password") if params.get(key)}


def connect(dbname=None, **options):
    """A connection of its own to the test database (or ``dbname`` on its server)."""
    dbname = dbname or connection.get_connection_params()["dbname"]
    return psycopg.connect(dbname=dbname, **_server_params(), **options)


def database_url(name=None):
    """A URL for database ``name`` (default: the test database) on the test server."""
    name = name or connection.get_connection_params()["dbname"]
    params = _server_params()
    host = quote(str(params.get("host", "")), safe="")
    port = f":{params['port']}" if "port" in params else ""
    return f"postgres://{params.get('user', 'postgres')}@{host}{port}/{name}"


def wait_for(url, process, timeout=120):
    """Wait until ``url`` answers (any HTTP status); fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else "exited"
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 (loopback only)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not answer in time"
            time.sleep(0.3)


@contextmanager
def scratch_database(name):
    """A throw-away database on the test server, as a URL; dropped afterwards."""
    with connect("postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with connect("postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_make(target, env):
    """`make <target>` in the checkout, output captured, in a process group of its own."""
    return subprocess.Popen(
        [shutil.which("make") or "make", target],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
