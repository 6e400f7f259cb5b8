"""The site's answer when a page fails: ``handler500`` (newsroom/urls.py).

- The database out of reach (restarting, a full connection pool): 503 with
  Retry-After, "briefly unavailable". Requests after it succeed again as soon as
  the database is back: Django's health checks replace broken connections and the
  pool reconnects, with no restart of the application.
- Anything else: the 500 page.

Both pages are in the language of the address, made without the database or the
session, and name the request id (newsroom/request_log.py) and nothing else: the
traceback goes to the log, never to the reader.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.html import escape
from django.utils.translation import get_language, gettext
from django.views.decorators.csrf import requires_csrf_token

from newsroom.request_log import current_request_id

RETRY_AFTER_SECONDS = 5
logger = logging.getLogger(__name__)


def database_unavailable(error):
    """Whether ``error`` says the database cannot be reached, rather than a bug."""
    from psycopg_pool import PoolTimeout

    while error is not None:
        if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
            return True
        error = error.__cause__ or error.__context__
    return False


@requires_csrf_token
def server_error(request):
    # Django calls this while handling the exception, which sys.exc_info() still holds.
    unavailable = database_unavailable(sys.exc_info()[1])
    template, status = ("503.html", 503) if unavailable else ("500.html", 500)
    try:
        body = loader.render_to_string(template, {"request_id": current_request_id()})
    except Exception:
        # The error page must not fail in turn (a static file missing from the manifest).
        logger.exception("The %s page could not be made", status)
        body = _plain_page(unavailable)
    response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _plain_page(unavailable):
    if unavailable:
        heading = gettext("The site is briefly unavailable")
        text = gettext("We cannot reach our stories right now. Please try again in a few seconds.")
    else:
        heading = gettext("Something went wrong on our side")
        text = gettext(
            "The page could not be made. We have been told; please try again in a moment."
        )
    return (
        f'<!DOCTYPE html><html lang="{escape(get_language())}"><meta charset="utf-8">'
        f"<title>{escape(heading)}</title><h1>{escape(heading)}</h1><p>{escape(text)}</p></html>"
    )
