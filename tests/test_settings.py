"""The settings file read in fresh processes, as a deployment would start it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOAD_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
# Variables the settings read besides DJANGO_*: a test sets the ones it is about.
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "DATABASE_POOL",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "PAGE_CACHE_SECONDS",
    "PAGE_CACHE_REPLICA_LAG",
    "PAGE_CACHE_CHECK_SECONDS",
}


def load_settings(code=LOAD_SETTINGS, **environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in SETTINGS_VARIABLES
    }
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", **environment)
    return subprocess.run(
        [sys.executable, "-c", code],
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
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
        DJANGO_SITE_URL="https://example.org",
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_production_starts_with_what_it_needs():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="news.example.org, www.example.org",
        DJANGO_SITE_URL="https://news.example.org",
        DATABASE_URL=DATABASE_URL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['news.example.org', 'www.example.org']"


def test_a_database_url_that_is_not_postgresql_is_refused():
    result = load_settings(DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "s" * 50,
    "DJANGO_ALLOWED_HOSTS": "news.example.org",
    "DJANGO_SITE_URL": "https://news.example.org",
    "DATABASE_URL": DATABASE_URL,
}
REPLICA_URL = "postgres://newsroom@replica.example.org:5432/newsroom"


def setting(name, **environment):
    """One setting's value, as JSON, read in a fresh process."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps(getattr(settings, {name!r}, None), default=str))"
    )
    result = load_settings(code, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_may_use_the_embedded_database_when_asked_explicitly():
    # The embedded server itself is tested in test_embedded_postgres; here it is stood in for.
    code = (
        "import newsroom.embedded_postgres as embedded; "
        "embedded.database_url = lambda data_dir: 'postgres://postgres@%2Ftmp/newsroom'; "
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['NAME'])"
    )
    environment = {**PRODUCTION, "DJANGO_EMBEDDED_DATABASE": "true"}
    del environment["DATABASE_URL"]
    result = load_settings(code, **environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False newsroom"


def test_production_pools_database_connections():
    database = setting("DATABASES", **PRODUCTION)["default"]
    # A request waits 2 s for a connection, then answers 503 (newsroom/errors.py).
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 2}
    assert database["CONN_MAX_AGE"] == 0
    assert database["CONN_HEALTH_CHECKS"] is True


def test_the_wait_for_a_database_connection_is_configurable():
    environment = {**PRODUCTION, "DATABASE_POOL_TIMEOUT": "7"}
    database = setting("DATABASES", **environment)["default"]
    assert database["OPTIONS"]["pool"]["timeout"] == 7


def test_without_the_pool_production_keeps_connections_open_and_checks_them():
    database = setting("DATABASES", **PRODUCTION, DATABASE_POOL="false")["default"]
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_development_opens_a_connection_per_request_without_a_pool():
    database = setting("DATABASES", DATABASE_URL=DATABASE_URL)["default"]
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 0


def test_pool_size_comes_from_the_environment():
    database = setting("DATABASES", **PRODUCTION, DATABASE_POOL_MAX_SIZE="10")["default"]
    assert database["OPTIONS"]["pool"]["max_size"] == 10


def test_a_number_setting_that_is_not_a_number_is_refused():
    result = load_settings(**PRODUCTION, PAGE_CACHE_SECONDS="ten minutes")
    assert result.returncode != 0
    assert "PAGE_CACHE_SECONDS must be a whole number" in result.stderr


def test_a_replica_gets_its_own_alias_mirrored_by_the_primary_in_tests():
    databases = setting("DATABASES", **PRODUCTION, DATABASE_REPLICA_URL=REPLICA_URL)
    assert list(databases) == ["default", "replica"]
    assert databases["replica"]["HOST"] == "replica.example.org"
    assert databases["replica"]["TEST"] == {"MIRROR": "default"}
    assert "pool" in databases["replica"]["OPTIONS"]


def test_a_replica_installs_the_router_and_the_middleware_that_pins_to_the_primary():
    environment = {**PRODUCTION, "DATABASE_REPLICA_URL": REPLICA_URL}
    assert setting("DATABASE_ROUTERS", **environment) == [
        "newsroom.db_routers.PrimaryReplicaRouter"
    ]
    assert "newsroom.db_routers.PrimaryPinningMiddleware" in setting("MIDDLEWARE", **environment)


def test_without_a_replica_there_is_no_router():
    assert setting("DATABASE_ROUTERS", **PRODUCTION) == []
    assert "newsroom.db_routers.PrimaryPinningMiddleware" not in setting("MIDDLEWARE", **PRODUCTION)


def test_redis_url_selects_djangos_redis_cache():
    cache = setting("CACHES", **PRODUCTION, REDIS_URL="redis://127.0.0.1:6379/3")["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert cache["KEY_PREFIX"] == "newsroom"


def test_without_redis_each_process_caches_in_memory():
    cache = setting("CACHES", **PRODUCTION)["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_page_cache_lasts_ten_minutes_in_a_shared_redis_cache():
    assert setting("PAGE_CACHE_SECONDS", **PRODUCTION, REDIS_URL="redis://127.0.0.1:6379/3") == 600


def test_page_cache_lasts_ten_seconds_in_per_process_memory_caches():
    assert setting("PAGE_CACHE_SECONDS", **PRODUCTION) == 10


def test_page_cache_can_be_turned_off():
    assert setting("PAGE_CACHE_SECONDS", **PRODUCTION, PAGE_CACHE_SECONDS="0") == 0


def test_production_serves_hashed_compressed_static_files():
    storages = setting("STORAGES", **PRODUCTION)
    assert storages["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_development_static_files_need_no_manifest():
    storages = setting("STORAGES", DATABASE_URL=DATABASE_URL)
    assert storages["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def test_https_is_trusted_from_the_proxy_header_only_behind_a_tls_proxy():
    assert setting("SECURE_PROXY_SSL_HEADER", **PRODUCTION) is None
    assert setting("SECURE_PROXY_SSL_HEADER", **PRODUCTION, DJANGO_BEHIND_TLS_PROXY="true") == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]


def test_an_https_site_gets_a_year_of_hsts_for_itself_and_its_subdomains_without_preload():
    assert setting("SECURE_HSTS_SECONDS", **PRODUCTION) == 31_536_000
    assert setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", **PRODUCTION) is True
    assert setting("SECURE_HSTS_PRELOAD", **PRODUCTION) is False
    assert setting("SECURE_HSTS_SECONDS", **PRODUCTION, DJANGO_SECURE_HSTS_SECONDS="3600") == 3600


def test_a_plain_http_site_gets_no_hsts_and_no_redirect():
    plain = {**PRODUCTION, "DJANGO_SITE_URL": "http://news.example.org"}
    assert setting("SECURE_HSTS_SECONDS", **plain) == 0
    assert setting("SECURE_SSL_REDIRECT", **plain, DJANGO_BEHIND_TLS_PROXY="true") is False


def test_plain_http_is_redirected_only_behind_a_tls_proxy_that_says_what_was_https():
    # Without the proxy's header every request would look like plain HTTP: a redirect loop.
    assert setting("SECURE_SSL_REDIRECT", **PRODUCTION) is False
    assert setting("SECURE_SSL_REDIRECT", **PRODUCTION, DJANGO_BEHIND_TLS_PROXY="true") is True


def deploy_check(**environment):
    return load_settings(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        **{**PRODUCTION, "DJANGO_SECRET_KEY": "a-long-random-key-0123456789-abcdefghijklmnopqrstu"},
        **environment,
    )


def test_a_production_configuration_behind_https_passes_the_deployment_checks_by_default():
    result = deploy_check(DJANGO_BEHIND_TLS_PROXY="true")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_the_deployment_checks_still_report_what_a_configuration_turns_off():
    result = deploy_check(DJANGO_BEHIND_TLS_PROXY="true", DJANGO_SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_preloading_hsts_is_the_newsrooms_choice():
    result = deploy_check(DJANGO_BEHIND_TLS_PROXY="true", DJANGO_SECURE_HSTS_PRELOAD="true")
    assert result.returncode == 0, result.stderr
    assert setting("SECURE_HSTS_PRELOAD", **PRODUCTION, DJANGO_SECURE_HSTS_PRELOAD="true") is True


def test_production_refuses_to_start_without_its_public_address():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="news.example.org",
        DATABASE_URL=DATABASE_URL,
    )
    assert result.returncode != 0
    assert "DJANGO_SITE_URL (the public address" in result.stderr


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("news.example.org", "must be a scheme and a host"),
        ("ftp://news.example.org", "must be a scheme and a host"),
        ("https://news.example.org/fr/", "must be a scheme and a host"),
        ("https://other.example.org", "'other.example.org' is not in DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_a_public_address_that_is_not_one_is_refused_by_name(value, problem):
    result = load_settings(**{**PRODUCTION, "DJANGO_SITE_URL": value})
    assert result.returncode != 0
    assert problem in result.stderr


def test_the_public_address_keeps_its_port_and_loses_a_trailing_slash():
    environment = {**PRODUCTION, "DJANGO_SITE_URL": "https://news.example.org:8443/"}
    assert setting("SITE_URL", **environment) == "https://news.example.org:8443"


@pytest.mark.parametrize("value", ["50001", "1", "0"])
def test_a_sitemap_file_size_outside_the_protocols_limits_is_refused(value):
    result = load_settings(**PRODUCTION, DJANGO_SITEMAP_URLS_PER_FILE=value)
    assert result.returncode != 0
    assert "DJANGO_SITEMAP_URLS_PER_FILE must be between 2 and 50000" in result.stderr


def test_sitemap_file_size_comes_from_the_environment():
    assert setting("SITEMAP_URLS_PER_FILE", **PRODUCTION, DJANGO_SITEMAP_URLS_PER_FILE="500") == 500


# Staff accounts: sign-in throttling (tests/test_login_throttling.py) and sessions.


def test_sign_in_locks_after_five_failures_for_fifteen_minutes_by_default():
    assert setting("AXES_FAILURE_LIMIT", **PRODUCTION) == 5
    assert setting("AXES_COOLOFF_TIME", **PRODUCTION) == "0:15:00"
    assert setting("AXES_LOCKOUT_PARAMETERS", **PRODUCTION) == ["username", "ip_address"]


def test_sign_in_limits_come_from_the_environment():
    environment = {**PRODUCTION, "DJANGO_AXES_FAILURE_LIMIT": "10"}
    assert setting("AXES_FAILURE_LIMIT", **environment) == 10
    environment = {**PRODUCTION, "DJANGO_AXES_COOLOFF_MINUTES": "60"}
    assert setting("AXES_COOLOFF_TIME", **environment) == "1:00:00"


@pytest.mark.parametrize("variable", ["DJANGO_AXES_FAILURE_LIMIT", "DJANGO_AXES_COOLOFF_MINUTES"])
def test_a_sign_in_limit_of_zero_is_refused(variable):
    result = load_settings(**PRODUCTION, **{variable: "0"})
    assert result.returncode != 0
    assert "must be at least 1" in result.stderr


def test_the_client_address_is_read_from_forwarded_for_only_behind_a_proxy():
    assert setting("TRUSTED_PROXY_COUNT", **PRODUCTION) == 0
    assert setting("TRUSTED_PROXY_COUNT", **PRODUCTION, DJANGO_BEHIND_TLS_PROXY="true") == 1
    environment = {**PRODUCTION, "DJANGO_BEHIND_TLS_PROXY": "true", "DJANGO_PROXY_COUNT": "2"}
    assert setting("TRUSTED_PROXY_COUNT", **environment) == 2
    # Without a proxy the count is ignored: nothing a client sends is trusted.
    assert setting("TRUSTED_PROXY_COUNT", **PRODUCTION, DJANGO_PROXY_COUNT="2") == 0


def test_sessions_last_a_working_day_and_end_with_the_browser():
    assert setting("SESSION_COOKIE_AGE", **PRODUCTION) == 8 * 60 * 60
    assert setting("SESSION_EXPIRE_AT_BROWSER_CLOSE", **PRODUCTION) is True
    assert setting("SESSION_COOKIE_AGE", **PRODUCTION, DJANGO_SESSION_COOKIE_AGE="3600") == 3600


def test_session_cookies_are_http_only_and_secure_in_production():
    assert setting("SESSION_COOKIE_HTTPONLY", **PRODUCTION) is True
    assert setting("SESSION_COOKIE_SECURE", **PRODUCTION) is True
    assert setting("CSRF_COOKIE_SECURE", **PRODUCTION) is True
    # Development is plain HTTP on the developer's machine.
    assert setting("SESSION_COOKIE_SECURE", DATABASE_URL=DATABASE_URL) is False
