"""Shareable previews: a signed, expiring, revocable link to a story as readers will see it.

The address carries the link's id signed with the site's secret key, so an id
cannot be guessed or changed; the link expires at its ``expires_at``, and
deleting it revokes it. The page is never cached, listed or indexed.
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from articles.models import PREVIEW_LINK_MAX_AGE, PreviewLink

SALT = "articles.previews"


def token(link):
    return signing.dumps(link.pk, salt=SALT)


def preview_path(link):
    with translation.override(link.language):
        return reverse("articles:preview", kwargs={"token": token(link)})


def link_for(value):
    """The valid PreviewLink the address ``value`` names, or None."""
    try:
        pk = signing.loads(value, salt=SALT, max_age=PREVIEW_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return PreviewLink.objects.valid().select_related("story").filter(pk=pk).first()


@require_safe
def preview(request, token):
    link = link_for(token)
    if link is None:
        raise Http404("This preview link has expired or was revoked.")
    if link.language != translation.get_language():
        return redirect(preview_path(link))
    story = link.story
    if not story.has_language(link.language):
        raise Http404("The story is no longer written in this language.")
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": story,
            "object": story,
            "preview": True,
            "shared_preview": True,
            "alternates": [],
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response
