"""Embedded PostgreSQL for development, used when DATABASE_URL is not set.

The server binaries come from the ``pgserver`` wheel. The data lives in
``.pgdata/`` at the top of the checkout. pgserver keeps a list of the processes
using the server, so runserver's reloader, a shell and the test runner share one
server; it is stopped when the last of them exits and reused on the next start.
"""

import warnings
from pathlib import Path

DATABASE_NAME = "newsroom"


def database_url(data_dir: Path) -> str:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver
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
