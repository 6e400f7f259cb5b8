from pathlib import PurePosixPath

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import Http404
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

from articles import sitemaps

# What MEDIA_ROOT may serve, by the extension the picture library gives each file from its
# content (articles/images.py). Anything else there is not served at all.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


@require_safe
def media(request, path):
    """An uploaded picture from MEDIA_ROOT (as it is now: tests move it), typed as a picture:
    never as HTML or SVG, whatever was put there."""
    content_type = MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None:
        raise Http404("Only pictures are served from the media folder.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Type"] = content_type
    return response


# At the site's root, one for both languages: where crawlers look first.
crawlers = (
    [
        path("robots.txt", sitemaps.robots_txt, name="robots"),
        path("sitemap.xml", sitemaps.sitemap_index, name="index"),
        path("sitemap-pages.xml", sitemaps.pages_sitemap, name="pages"),
        path("sitemap-stories-<int:number>.xml", sitemaps.stories_sitemap, name="stories"),
        path("sitemap-tags-<int:number>.xml", sitemaps.tags_sitemap, name="tags"),
        path("sitemap-news.xml", sitemaps.news_sitemap, name="news"),
    ],
    "sitemaps",
)

urlpatterns = [
    path("", include(crawlers)),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("articles.urls")),
    ),
]

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/") and "://" not in settings.MEDIA_URL:
    # Uploaded pictures, for runserver and make serve (whitenoise serves static files only).
    # A deployment serves MEDIA_ROOT from its web server, or uses a bucket (see the README).
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", media, name="media")
    )

# 503 when the database is out of reach, else the 500 page; both in the address's language.
handler500 = "newsroom.errors.server_error"
