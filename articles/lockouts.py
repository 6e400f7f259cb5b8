"""Staff sign-in throttling, with django-axes: the lockout page, unlocking, the client's address.

django-axes (its backend first in AUTHENTICATION_BACKENDS, its middleware last) counts
failed sign-ins in the database for each username and for each address. At
AXES_FAILURE_LIMIT failures within the cool-off, that username, or that address, is
refused before its password is tried, in both languages' admin, for AXES_COOLOFF_TIME
after its last failed attempt. Here:

- ``lockout_response``: the page a refused sign-in gets instead of the login form, in the
  admin's look and language, saying how long the lock lasts and whom to ask.
- ``unlock``: forgets an account's failures, which is what lifts its lock. Editors-in-chief
  (``UNLOCK``, a permission of their role) do it from the user list or the admin's list of
  sign-in attempts; deleting attempts there unlocks too.
- ``client_address``: the address the counts are kept for, read from X-Forwarded-For
  only behind the proxies settings.TRUSTED_PROXY_COUNT says there are.
- After a successful sign-in, that person's failures from that address are forgotten;
  other usernames' failures from it are kept (see settings.AXES_RESET_ON_SUCCESS).
"""

import ipaddress

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.template.response import TemplateResponse

# Deleting sign-in attempts is what unlocks; editors-in-chief hold it (articles.workflow).
UNLOCK = "axes.delete_accessattempt"


def cool_off_minutes():
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """The page of a sign-in refused because the account or the address is locked."""
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "minutes": cool_off_minutes(),
    }
    return TemplateResponse(
        request, "admin/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    ).render()


def unlock(usernames):
    """Forget the failed sign-ins of ``usernames``; return how many records went."""
    deleted, _counts = AccessAttempt.objects.filter(username__in=list(usernames)).delete()
    return deleted


def locked_usernames(usernames):
    """Which of ``usernames`` are locked now (their own failures, whatever the address)."""
    from django.db.models import Sum
    from django.utils import timezone

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    counts = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in counts}


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request):
    """The client's IP address: the connection's, or the one the outermost trusted proxy saw.

    Each proxy appends the address it was reached from to X-Forwarded-For, so behind
    ``n`` of them the client is the ``n``-th address from the right; what stands left of
    it is whatever the client sent, and is never read. A missing or malformed header
    falls back to the connection's address (the proxy's: everyone behind it shares a count).
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= count:
            address = _address(forwarded[-count])
            if address is not None:
                return address
    return request.META.get("REMOTE_ADDR")


@receiver(user_logged_in)
def _forget_own_failures(sender, request, user, **kwargs):
    address = client_address(request) if request is not None else None
    if address:
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=address).delete()
