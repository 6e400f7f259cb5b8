"""Embedded PostgreSQL for development, used when DATABASE_URL is not set.

The server binaries come from the ``pgserver`` wheel. The data lives in
``.pgdata/`` at the top of the checkout. pgserver keeps a list of the processes
using the server, so runserver's reloader, a shell and the test runner share one
server; it is stopped when the last of them exits and reused on the next start.
"""

import sys
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATABASE_NAME = "newsroom"


def database_url(data_dir: Path) -> str:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); /tmp is fine.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as error:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and the embedded PostgreSQL (the pgserver package, "
            f"wheels for Python 3.9 to 3.12) is not installed for Python {sys.version.split()[0]}. "
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://user@127.0.0.1:5432/newsroom."
        ) from error
    import psycopg
    from psycopg import sql

    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    return server.get_uri(DATABASE_NAME)
