"""The Content-Security-Policy of every answer: one for the public site, one for the admin.

The public pages run no script but their JSON-LD data blocks (which the browser does not
execute, so script-src does not apply to them) and set no inline style: their policy has
no nonce and nothing ``unsafe``, and so a page the page cache keeps (articles/cache.py)
is the same for every reader. The admin is never cached: its policy lets through the
scripts that carry the request's nonce (django-prose-editor's inline import map) and the
inline styles that the admin's own widgets and scripts write.

Pictures may come from another origin (a bucket, a media host): the origin of the
storage's addresses is added to img-src, whatever the storage is.
"""

from functools import cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver


def is_admin(request):
    """Whether ``request`` is for the admin, in any language (/fr/admin/, /en/admin/)."""
    for code, _name in settings.LANGUAGES:
        if request.path_info.startswith(f"/{code}/admin/"):
            return True
    return False


@cache
def media_origin():
    """The origin uploaded pictures are served from when it is not the site's, else None."""
    address = urlsplit(storages["default"].url("newsroom-csp"))
    if address.scheme and address.netloc:
        return f"{address.scheme}://{address.netloc}"
    if address.netloc:  # "//media.example.org/...": the page's own scheme.
        return address.netloc
    return None


@receiver(setting_changed)
def _storage_changed(setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_URL"):
        media_origin.cache_clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's own policy (ADMIN_CONTENT_SECURITY_POLICY).

    The policy is enforced (CONTENT_SECURITY_POLICY) or only reported
    (CONTENT_SECURITY_POLICY_REPORT_ONLY), whichever of the two the settings
    give; the admin's follows the same mode.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        setting = (
            "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        )
        if not getattr(settings, setting, None):
            return parts
        if parts.config is None and is_admin(request):
            parts.config = default_config(settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
        origin = media_origin()
        if origin:
            parts.update = {**(parts.update or {}), "img-src": [origin]}
        return parts

    def process_template_response(self, request, response):
        """Puts the request's nonce on the admin pages' form media (their import map)."""
        media = (response.context_data or {}).get("media")
        if is_admin(request) and hasattr(media, "with_nonce"):
            response.context_data["media"] = media.with_nonce(str(request.csp_nonce))
        return response
