"""The site's URLs plus the textbook pages under /naive/<language>/: the benchmark's URLconf."""

from django.urls import path

from bench import naive
from bench.measure import capped
from newsroom.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("naive/<str:language>/", naive.article_list, name="naive-article-list"),
    path(
        "naive/<str:language>/stories/<slug:slug>/",
        naive.article_detail,
        name="naive-article-detail",
    ),
    path("naive/<str:language>/tags/", naive.tag_list, name="naive-tag-list"),
    # The "tags" converter is the site's (articles.urls): one slug, or several joined by + or ,.
    path("naive/<str:language>/tags/<tags:slugs>/", naive.tag_detail, name="naive-tag-detail"),
    path("naive/<str:language>/feed/", naive.feed, name="naive-feed"),
    path("naive/<str:language>/search/", capped(naive.search), name="naive-search"),
    path("naive/<str:language>/tags/<tags:slugs>/feed/", naive.feed, name="naive-tag-feed"),
    path("naive/sitemap.xml", capped(naive.sitemap_index), name="naive-sitemap-index"),
    path("naive/sitemap-news.xml", naive.news_sitemap, name="naive-sitemap-news"),
    path(
        "naive/sitemap-<slug:section>.xml",
        capped(naive.sitemap_section),
        name="naive-sitemap-section",
    ),
]
