"""The project's request edge: what every request goes through before any view.

- ``RequestEdgeMiddleware`` refuses, with a 400, what no page can answer: a NUL
  character anywhere the database could be asked about it (path, query
  parameters, form fields, cookies), and more parameters than Django accepts.
  A view that removes NUL from some parameters itself says so
  (``accepts_nul_in``): the readers' search answers any words typed.
- ``LocaleMiddleware`` activates only the languages of LANGUAGES, spelled as
  they are there, whatever case a URL or cookie uses.
- ``CommonMiddleware`` redirects to the address with a trailing slash only for
  GET and HEAD, in development as in production.
"""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.middleware import common, locale
from django.urls import Resolver404, resolve
from django.utils import translation
from django.views.defaults import bad_request

from articles import typography

NUL = "\x00"


def _has_nul(query_dict):
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists()
    )


def _form_fields(request):
    # Only form bodies: a view may read another kind of body (JSON) itself.
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.POST
    return None


def refusal(request):
    """Why ``request`` cannot be answered, or None when it can."""
    if NUL in request.path:
        return "a NUL character in the address"
    if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
        return "a NUL character in a cookie"
    if _has_nul(request.GET) and not _nul_accepted(request):
        return "a NUL character in a query parameter"
    fields = _form_fields(request)
    if fields is not None and _has_nul(fields):
        return "a NUL character in a form field"
    return None


def _nul_accepted(request):
    """Whether the view of ``request`` removes the NUL characters of its query itself."""
    with translation.override(_path_language(request.path)):
        try:
            view = resolve(request.path_info).func
        except Resolver404:
            return False
    accepted = getattr(view, "accepts_nul_in", ())
    for key, values in request.GET.lists():
        if NUL in key or (key not in accepted and any(NUL in value for value in values)):
            return False
    return True


def _path_language(path):
    """The language whose prefix starts ``path`` exactly, or the default."""
    for code, _name in settings.LANGUAGES:
        if path == f"/{code}" or path.startswith(f"/{code}/"):
            return code
    return settings.LANGUAGE_CODE


class RequestEdgeMiddleware:
    """Answers 400 to a request no page can answer, in the language of its address.

    PostgreSQL cannot hold NUL in text, so a NUL that reached a query would be a
    server error; Django's forms refuse it in their own fields, but filters,
    cursors, search terms and session cookies go to the database as they come.
    Too many parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS) are refused here too, so
    that development (DEBUG) answers them as production does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            reason = refusal(request)
        except SuspiciousOperation as error:
            reason = str(error)
        if reason is None:
            return self.get_response(request)
        with translation.override(_path_language(request.path)):
            # Before the site's other middleware, so set in French type here.
            return typography.typeset(request, bad_request(request, SuspiciousOperation(reason)))


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, activating the language as LANGUAGES spells it.

    Django accepts "/EN/" or a cookie "EN" as English and activates "EN", a
    translation of its own that falls back to French for what English does not
    translate, while get_language() says "en". URL patterns are cached per
    get_language(), so the first such request would make the worker's English
    routes French until it restarts. With the canonical code active, "/EN/" is
    simply not an address (404), as language codes in URLs are case-sensitive.
    """

    def process_request(self, request):
        super().process_request(request)
        language = translation.get_language()
        for code, _name in settings.LANGUAGES:
            if code.lower() == (language or "").lower():
                language = code
                break
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language


class CommonMiddleware(common.CommonMiddleware):
    """Django's, redirecting to the slash-ended address only for GET and HEAD.

    A form sent to an address without its slash would lose its data in a
    redirect (Django's production behaviour) or raise an error page (its
    development one); it gets the 404 or 405 of the address instead.
    """

    def should_redirect_with_slash(self, request):
        return request.method in ("GET", "HEAD") and super().should_redirect_with_slash(request)
