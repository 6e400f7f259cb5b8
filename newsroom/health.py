"""``/healthz``: whether this process can serve, for load balancers and monitoring.

Answered by ``HealthCheckMiddleware``, first in MIDDLEWARE, before anything reads
the Host header, a session or the language: a load balancer probes each server by
its own address (which is not in ALLOWED_HOSTS) and over plain HTTP inside the
network (which SECURE_SSL_REDIRECT would send to HTTPS). Cheap enough for a probe
every second: one ``SELECT 1`` on a pooled connection and one cache read.

- 200 when the database answers. The cache may be down ("degraded"): the site
  then serves every page from the database (articles/cache.py), so the server
  stays in rotation.
- 503 with Retry-After when the database does not answer: take the server out.

The body is JSON, never cached, and names no host, version or error text.
"""

import json
import time

from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse

PATH = "/healthz"
RETRY_AFTER_SECONDS = 5


def _timed(check):
    started = time.perf_counter()
    try:
        check()
    except Exception:
        ok = False
    else:
        ok = True
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache():
    # A read is enough to know the server answers; a miss is an answer too.
    cache.get("newsroom:healthz")


def report():
    """The checks' results and the HTTP status they make."""
    database = _timed(_database)
    cached = _timed(_cache)
    if not database["ok"]:
        status, state = 503, "unavailable"
    elif not cached["ok"]:
        status, state = 200, "degraded"
    else:
        status, state = 200, "ok"
    return status, {"status": state, "database": database, "cache": cached}


def health_response(request):
    status, body = report()
    response = HttpResponse(
        b"" if request.method == "HEAD" else json.dumps(body).encode(),
        status=status,
        content_type="application/json",
    )
    response["Cache-Control"] = "no-store"
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class HealthCheckMiddleware:
    """Answers GET and HEAD ``/healthz`` before the rest of the site sees the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH:
            if request.method in ("GET", "HEAD"):
                return health_response(request)
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return self.get_response(request)
