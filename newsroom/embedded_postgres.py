"""Embedded PostgreSQL for development, used when DATABASE_URL is not set.

The server binaries come from the ``pgserver`` wheel. The data lives in
``.pgdata/`` at the top of the checkout (or DJANGO_EMBEDDED_DATA_DIR). pgserver
keeps a list of the processes using the server, so runserver's reloader, a
shell and the test runner share one server; it is stopped when the last of
them exits and reused on the next start.

A run that was killed leaves that state behind half-written: an empty or
corrupt process list, ids of processes that are gone, a server still running
that no live process holds, a stale ``postmaster.pid`` or socket. Before
pgserver reads any of it, ``repair`` puts it right, so that the next run starts
and its clean stop stops the server. SIGTERM stops a run as cleanly as Ctrl-C.
"""

import atexit
import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATABASE_NAME = "newsroom"
PID_LIST = ".handle_pids.json"  # pgserver's list of the processes using the server


def _alive(pid):
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _postmaster(data_dir):
    """The pid of the PostgreSQL server running on ``data_dir``, or None."""
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        # A pid the system gave to another program since the server died is no server.
        if process.name() == "postgres" and process.status() != psutil.STATUS_ZOMBIE:
            return pid
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return None


def _write_atomically(path, text):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def repair(data_dir):
    """Put right what a killed run left in ``data_dir``; call with pgserver's lock held.

    Returns the ids of the live processes the list now holds.
    """
    pid_list = data_dir / PID_LIST
    rewrite = False
    try:
        pids = json.loads(pid_list.read_text())
        if not isinstance(pids, list) or not all(isinstance(pid, int) for pid in pids):
            raise ValueError(pids)
    except FileNotFoundError:
        pids = []
    except (OSError, ValueError):  # empty or corrupt: written by a process killed meanwhile
        pids, rewrite = [], True
    live = [pid for pid in pids if _alive(pid)]
    if rewrite or live != pids:
        _write_atomically(pid_list, json.dumps(live))
    if _postmaster(data_dir) is None:
        # No server: what says otherwise is stale and would stop pgserver or PostgreSQL.
        (data_dir / "postmaster.pid").unlink(missing_ok=True)
        for leftover in data_dir.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)
    return live


def _forget_the_dead(data_dir, lock):
    with lock:
        pids = repair(data_dir)
        # A list rewritten by a process killed as it wrote may have lost this process:
        # pgserver stops the server only when it finds itself the last one listed.
        if os.getpid() not in pids:
            _write_atomically(data_dir / PID_LIST, json.dumps([*pids, os.getpid()]))


def _stop_on_sigterm():
    """SIGTERM ends the process the way Ctrl-C does, so its exit handlers release the server.

    Only where nothing else handles SIGTERM (gunicorn's workers have their own).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def server(data_dir: Path):
    """pgserver's handle on the server of ``data_dir``, started if needed, after ``repair``."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); /tmp is fine.
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver.postgres_server import PostgresServer
    except ImportError as error:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the embedded PostgreSQL (the pgserver package, "
            f"wheels for Python 3.9 to 3.12) is not installed for Python {sys.version.split()[0]}. "
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://user@127.0.0.1:5432/newsroom."
        ) from error
    data_dir = Path(data_dir).expanduser().resolve()
    if data_dir.is_dir():
        with PostgresServer._lock:
            repair(data_dir)
    _stop_on_sigterm()
    handle = pgserver.get_server(data_dir, cleanup_mode="stop")
    # Exit handlers run last registered first: this one, before pgserver's, forgets
    # processes that died without theirs (runserver's reloader SIGKILLs its child when
    # stopped), so that the last live process still stops the server.
    atexit.register(_forget_the_dead, data_dir, PostgresServer._lock)
    return handle


def database_url(data_dir: Path) -> str:
    """The newsroom database's URL on the embedded server of ``data_dir`` (created if missing)."""
    import psycopg
    from psycopg import sql

    handle = server(data_dir)
    with psycopg.connect(handle.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    return handle.get_uri(DATABASE_NAME)
