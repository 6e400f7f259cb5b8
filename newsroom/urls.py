from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from articles import sitemaps

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
