"""The settings file read in fresh processes, as a deployment would start it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"


def load_settings(**environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", **environment)
    return subprocess.run(
        [sys.executable, "-c", LOAD_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


DATABASE_URL = "postgres://newsroom@db.example.org:5432/newsroom"


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(
        DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="news.example.org", DATABASE_URL=DATABASE_URL
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="s" * 50, DATABASE_URL=DATABASE_URL
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_the_embedded_development_database():
    result = load_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="s" * 50, DJANGO_ALLOWED_HOSTS="example.org"
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_starts_with_what_it_needs():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="news.example.org, www.example.org",
        DATABASE_URL=DATABASE_URL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['news.example.org', 'www.example.org']"


def test_a_database_url_that_is_not_postgresql_is_refused():
    result = load_settings(DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr
