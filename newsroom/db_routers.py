"""Reads from a PostgreSQL read replica, writes and staff work on the primary.

Installed by the settings only when DATABASE_REPLICA_URL is set. A replica lags
the primary by a moment, which readers of the public site never notice; an
editor who has just saved a story must see it, so every request that writes,
every admin page and every request from a signed-in user (staff carry a session
cookie, readers never have one) is pinned to the primary by
PrimaryPinningMiddleware.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from django.utils import translation

REPLICA_DB_ALIAS = "replica"

_pinned_to_primary = ContextVar("pinned_to_primary", default=False)


@contextmanager
def pinned_to_primary():
    """Send the reads made inside this block to the primary."""
    token = _pinned_to_primary.set(True)
    try:
        yield
    finally:
        _pinned_to_primary.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _pinned_to_primary.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # Inside a transaction on the primary, a read must see its own writes.
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db == DEFAULT_DB_ALIAS:
            # Related objects of a row read from (or saved to) the primary.
            return DEFAULT_DB_ALIAS
        return REPLICA_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases are the same data: a story read from the replica may get tags from
        # the primary.
        databases = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary's schema; it is never migrated on its own.
        return db == DEFAULT_DB_ALIAS


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class PrimaryPinningMiddleware:
    """Pin writes, the admin and signed-in users' requests to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefixes = None

    def __call__(self, request):
        if self.needs_primary(request):
            with pinned_to_primary():
                return self.get_response(request)
        return self.get_response(request)

    def needs_primary(self, request):
        return (
            request.method not in SAFE_METHODS
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or request.path.startswith(self.admin_prefixes())
        )

    def admin_prefixes(self):
        # Reversed on the first request, once the URLconf can be loaded: /fr/admin/, /en/admin/.
        if self._admin_prefixes is None:
            prefixes = set()
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    prefixes.add(reverse("admin:index"))
            self._admin_prefixes = tuple(sorted(prefixes))
        return self._admin_prefixes
