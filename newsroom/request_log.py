"""One structured log line per request, and a request id that ties lines together.

``RequestLogMiddleware`` (first in MIDDLEWARE) gives each request an id: the
``X-Request-ID`` a proxy sent, when it looks like one (letters, digits, ``-``,
``_``, ``.``, at most 64), else a new random one. It is sent back in the response's
``X-Request-ID`` and stamped on every log record made while the request runs
(``RequestIdFilter``), so an error's traceback and its request line share it.

After the response it logs, on the ``newsroom.requests`` logger, one record with
the method, path, status, duration in milliseconds and request id. With
``JsonFormatter`` (production logging in settings) that is one JSON object per
line on stderr: ``{"time": ..., "level": "INFO", "logger": "newsroom.requests",
"message": "GET /fr/ 200", "method": "GET", "path": "/fr/", "status": 200,
"duration_ms": 3.1, "request_id": "..."}``. The query string is left out: search
words are the readers' own business, and tokens may travel in it.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

logger = logging.getLogger("newsroom.requests")

_request_id = contextvars.ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = "X-Request-ID"


def current_request_id():
    return _request_id.get()


def request_id_from(request):
    given = request.headers.get(HEADER, "")
    if _VALID_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_from(request)
        token = _request_id.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request.id
            # Logged once the response is made; a streamed body's time is not in it.
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": request.id,
                },
            )
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps the running request's id (or None) on every record."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


# What a LogRecord always has; anything else was passed in ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Django's request logger puts the request object and the status in ``extra``.
_SKIPPED = {"request", "server_time"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON, with its ``extra`` fields and its traceback."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _SKIPPED and key not in line:
                line[key] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
