"""One structured line per request, with a request id (newsroom/request_log.py)."""

import json
import logging

import pytest

from newsroom.request_log import JsonFormatter, RequestIdFilter
from tests.servers import database_url
from tests.test_settings import PRODUCTION, load_settings

pytestmark = pytest.mark.django_db


def request_lines(caplog):
    return [record for record in caplog.records if record.name == "newsroom.requests"]


def test_each_request_logs_one_line_with_method_path_status_duration_and_id(client, caplog):
    caplog.set_level(logging.INFO, logger="newsroom.requests")
    response = client.get("/fr/page-that-does-not-exist/", {"q": "private words"})
    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/fr/page-that-does-not-exist/", 404)
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert len(line.request_id) == 32
    # The query string stays out of the log: search words are the reader's.
    assert "private" not in line.getMessage()


def test_a_proxys_request_id_is_kept_and_a_made_up_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="newsroom.requests")
    kept = client.get("/robots.txt", HTTP_X_REQUEST_ID="lb-1234.abc_DEF")
    assert kept["X-Request-ID"] == "lb-1234.abc_DEF"
    for forged in ("a b", "x" * 65, "id\nINFO forged line", ""):
        response = client.get("/robots.txt", HTTP_X_REQUEST_ID=forged)
        assert response["X-Request-ID"] != forged
        assert len(response["X-Request-ID"]) == 32
    ids = [line.request_id for line in request_lines(caplog)]
    assert ids[0] == "lb-1234.abc_DEF"
    assert len(set(ids)) == len(ids)


def test_the_json_formatter_writes_one_object_per_line_with_extras_and_traceback():
    record = logging.makeLogRecord(
        {"name": "newsroom.requests", "levelname": "ERROR", "msg": "GET %s", "args": ("/fr/",)}
    )
    record.status = 500
    record.request = object()  # Django's request object is left out
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "GET /fr/"
    assert line["status"] == 500
    assert line["level"] == "ERROR"
    assert "request" not in line
    assert "ValueError: boom" in line["exception"]
    assert line["request_id"] is None


def test_production_writes_each_request_as_a_json_line_on_stderr():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "Client().get('/robots.txt', HTTP_X_REQUEST_ID='probe-42'); "
        "Client().head('/robots.txt')"
    )
    env = {
        **PRODUCTION,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SITE_URL": "https://testserver",
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "false",
    }
    result = load_settings(code, **env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "newsroom.requests"]
    assert [(line["method"], line["path"], line["status"]) for line in requests] == [
        ("GET", "/robots.txt", 200),
        ("HEAD", "/robots.txt", 200),
    ]
    assert requests[0]["request_id"] == "probe-42"
    assert all(isinstance(line["duration_ms"], float) for line in requests)
