from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _

from articles import feeds, previews, views


class TagExpressionConverter:
    """One tag slug, or several joined by "+" (all of them) or "," (any of them)."""

    regex = r"[-a-z0-9_]+(?:[+,][-a-z0-9_]+)*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TagExpressionConverter, "tags")

app_name = "articles"

urlpatterns = [
    path("", views.ArticleListView.as_view(), name="article-list"),
    path(_("stories/<slug:slug>/"), views.article_detail, name="article-detail"),
    path(_("tags/"), views.TagListView.as_view(), name="tag-list"),
    path(_("tags/<tags:slugs>/"), views.tag_detail, name="tag-detail"),
    path(_("feed/"), feeds.LatestStoriesFeed.as_view(), name="feed"),
    path(_("feed/atom/"), feeds.LatestStoriesAtomFeed.as_view(), name="feed-atom"),
    path(_("tags/<tags:slugs>/feed/"), feeds.TagFeed.as_view(), name="tag-feed"),
    path(_("tags/<tags:slugs>/feed/atom/"), feeds.TagAtomFeed.as_view(), name="tag-feed-atom"),
    path(_("search/"), views.search_view, name="search"),
    path(_("preview/<str:token>/"), previews.preview, name="preview"),
]
