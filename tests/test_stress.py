"""`make stress`, CI-sized: readers, an editor, PostgreSQL restarted and Redis shut down.

bench/stress.py runs in a process of its own (it sets Django up on its own cluster), on a
PostgreSQL and a Redis made for it, so no other database is touched; this test reads the
figures it prints. The full run (64 readers, 60 s) is `make stress`.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

HAS_PROGRAMS = shutil.which("redis-server") and (
    shutil.which("pg_ctl") or any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
)
pytestmark = pytest.mark.skipif(
    not HAS_PROGRAMS and not os.environ.get("REQUIRE_STRESS"),
    reason="needs redis-server and PostgreSQL's server programs (REQUIRE_STRESS: fail instead)",
)


@pytest.fixture(scope="module")
def result():
    completed = subprocess.run(
        [sys.executable, "-m", "bench.stress", "--clients", "16", "--seconds", "30"]
        + ["--outage", "3", "--json", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
    )
    assert completed.stdout, completed.stderr[-3000:]
    return json.loads(completed.stdout) | {"stderr": completed.stderr, "rc": completed.returncode}


def test_readers_get_no_error_but_a_503_while_the_database_is_away(result):
    assert result["requests"] > 100
    assert result["unexpected"] == 0, result["unexpected_examples"]
    normal = result["by_phase"][""]
    assert set(normal) <= {"ok", "503"}
    away = result["by_phase"]["postgres"]
    # The restart really happened: requests that needed the database were told to retry.
    assert away.get("503", 0) + normal.get("503", 0) > 0
    assert result["by_phase"]["redis"].keys() == {"ok"}


def test_the_site_recovers_by_itself(result):
    postgres = result["faults"]["postgres"]
    # No restart of the app: failures stop once the database is back, within seconds.
    assert postgres["recovery_seconds"] < 10, postgres
    assert result["faults"]["redis"]["recovery_seconds"] == 0


def test_every_acknowledged_edit_is_kept_and_public(result):
    edits = result["edits"]
    assert edits["acknowledged"] >= 3
    assert edits["refused"] == []
    assert edits["found"] == edits["stories"], edits["missing_examples"]
    assert edits["seen_at_once"] == edits["acknowledged"]
    assert edits["public_afterwards"] == edits["stories"]


def test_changes_made_while_redis_was_away_are_not_served_stale(result):
    assert result["edits"]["during_faults"] >= 1
    assert result["faults"]["redis"]["stale_after_return"] == []
    assert result["rc"] == 0, result["stderr"][-2000:]
