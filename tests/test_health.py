"""/healthz (newsroom/health.py): with the database and cache up or down."""

import json

import pytest

from tests.servers import database_url
from tests.test_settings import PRODUCTION, load_settings

pytestmark = pytest.mark.django_db

# Nothing listens on port 1 of the loopback: connections there are refused at once.
UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:1/newsroom"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_a_healthy_site_answers_200_with_each_check(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["cache"]["ok"] is True


def test_a_load_balancer_may_probe_by_address_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"


def test_head_answers_without_a_body_and_other_methods_are_refused(client):
    head = client.head("/healthz")
    assert head.status_code == 200
    assert head.content == b""
    post = client.post("/healthz")
    assert post.status_code == 405
    assert post["Allow"] == "GET, HEAD"


def test_only_the_exact_address_is_the_health_check(client):
    assert client.get("/healthz/").status_code == 404
    assert client.get("/fr/healthz").status_code == 404


def test_with_the_cache_down_the_site_stays_in_rotation_as_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "degraded"
    assert body["cache"]["ok"] is False
    assert body["database"]["ok"] is True


def probe_in_production(database_url, **environment):
    """GET /healthz in a fresh production process whose database is ``database_url``."""
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(raise_request_exception=False).get('/healthz', HTTP_HOST='10.0.0.7'); "
        "print(json.dumps({'status': r.status_code, 'retry': r.get('Retry-After'), "
        "'body': r.content.decode()}))"
    )
    result = load_settings(code, **{**PRODUCTION, "DATABASE_URL": database_url, **environment})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_the_database_down_the_server_asks_to_be_taken_out():
    answer = probe_in_production(UNREACHABLE_DATABASE, DATABASE_POOL="false")
    assert answer["status"] == 503
    assert answer["retry"] == "5"
    body = json.loads(answer["body"])
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    # No error text, host or address for whoever probes.
    assert "127.0.0.1" not in answer["body"]
    assert "refused" not in answer["body"].lower()


def test_production_with_its_pool_reports_a_reachable_database():
    answer = probe_in_production(database_url(), DATABASE_POOL="true")
    assert answer["status"] == 200, answer
    assert json.loads(answer["body"])["database"]["ok"] is True
