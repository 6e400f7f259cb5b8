"""RSS and Atom feeds per language: the whole site, and every tag page (``a``, ``a+b``, ``a,b``).

Django's syndication framework. A feed lists what its page lists, by the same
rules: stories readable in the feed's language (ArticleQuerySet.readable(),
TaggedArticle.story_keys), an embargoed tag has no feed, and another spelling of
a tag feed's address redirects to its own. Items carry the tags as categories,
the byline, the publication and update times (a correction moves the latter), the lead
image as an enclosure, and the standfirst or, with ``FEEDS_FULL_TEXT``, the whole text,
followed by the story's corrections in the feed's language. Feeds are kept in the page
cache like the pages they follow.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from articles import cache
from articles.models import Article, Tag, TaggedArticle
from articles.views import absolute_url, redirect_to_readable, tags_named

# What a feed reader gets at once; readers keep what they saw before.
FEED_ITEMS = 30


class StoryFeed(Feed):
    """What every feed of stories says about each story."""

    feed_type = Rss201rev2Feed
    url_name = None  # the URL name of this feed in this format

    @classmethod
    def as_view(cls):
        """The feed's view: a new feed for each request, as class-based views make.

        Django's syndication feeds are one instance that serves every request of its URL;
        these keep the request on it (and a tag feed its tags), which two threads serving
        at once (``runserver``, a threaded or ASGI server) would mix up.
        """

        def view(request, *args, **kwargs):
            return cls()(request, *args, **kwargs)

        view.feed_class = cls
        return view

    # GET and HEAD only: a feed is read, never posted to (405 otherwise).
    @method_decorator(require_safe)
    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def feed_url(self, obj):
        return absolute_url(self.request, self.request.path)

    def item_title(self, story):
        return story.title

    def item_link(self, story):
        return absolute_url(self.request, story.url_for(translation.get_language()))

    def item_description(self, story):
        """The standfirst (or the whole text), then the story's corrections in this language."""
        notes = [
            (correction_label(correction), correction.text)
            for correction in story.shown_corrections
        ]
        # RSS descriptions and Atom summaries are HTML to feed readers: the standfirst and
        # the corrections are plain text, escaped here so that readers show them as text.
        if settings.FEEDS_FULL_TEXT:
            # The body is sanitised with an allow-list when the story is saved.
            text = mark_safe(story.body)  # noqa: S308
        else:
            text = format_html("<p>{}</p>", story.standfirst) if story.standfirst else ""
        return format_html(
            "{}{}", text, format_html_join("", "<p><strong>{}</strong> {}</p>", notes)
        )

    def item_author_name(self, story):
        return story.byline() or None

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        # A correction moves it too (Article.add_correction).
        return story.updated_at

    def item_enclosures(self, story):
        # The social-size rendition: RSS's <enclosure>, Atom's <link rel="enclosure">,
        # with its length and type, which feed readers show as the item's picture.
        image = story.social_image(self.request)
        if image is None:
            return []
        return [Enclosure(image.url, str(image.size), image.mime_type)]

    def item_categories(self, story):
        return [tag.name for tag in story.tag_list()]

    def feed_copyright(self, obj):
        return _("The Newsroom")


class LatestStoriesFeed(StoryFeed):
    """The newest stories readable in the feed's language, as on the home page."""

    def title(self, obj):
        return _("The Newsroom — latest stories")

    def description(self, obj):
        return _("The newest stories of the Newsroom.")

    def link(self, obj):
        return absolute_url(self.request, reverse("articles:article-list"))

    def items(self, obj):
        stories = list(Article.objects.readable().for_listing().with_corrections()[:FEED_ITEMS])
        cache.depends_on(self.request, cache.STORIES, *cache.story_card_keys(stories))
        return stories


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = Atom1Feed
    subtitle = LatestStoriesFeed.description


class TagFeed(StoryFeed):
    """The newest stories of a tag page: one tag, all of several (a+b), any of them (a,b)."""

    atom = False

    def __call__(self, request, slugs):
        self.request = request
        self.operator, self.tags = tags_named(slugs)
        canonical = tag_feed_url(self.tags, self.operator, atom=self.atom)
        if canonical != request.path:
            return redirect_to_readable(canonical, self.tags, self.operator)
        return super().__call__(request, slugs=slugs)

    def get_object(self, request, slugs):
        return self.tags

    def title(self, tags):
        name = Tag.combination_name(tags, self.operator)
        return _("%(tags)s — The Newsroom") % {"tags": name}

    def description(self, tags):
        return _("The newest stories tagged %(tags)s.") % {
            "tags": Tag.combination_name(tags, self.operator)
        }

    def link(self, tags):
        return absolute_url(self.request, Tag.combination_url(tags, self.operator))

    def items(self, tags):
        found = TaggedArticle.objects.story_keys(tags, self.operator, limit=FEED_ITEMS)
        if len(found.readable[translation.get_language()]) < len(tags):
            raise Http404("No such tag.")
        ids = [pk for _published_at, pk in found.keys]
        stories = Article.objects.filter(pk__in=ids).for_listing().with_corrections()
        stories = list(stories) if ids else []
        cache.depends_on(
            self.request,
            *[cache.tagged_key(tag.pk) for tag in tags],
            *[cache.tag_key(tag.pk) for tag in tags],
            *cache.story_card_keys(stories),
        )
        return stories


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    atom = True
    subtitle = TagFeed.description


def correction_label(correction):
    """ "Correction, 1 December 2026:", in the active language."""
    # Day, month and year in words in both languages: "1 December 2026", "1 décembre 2026".
    date = date_format(timezone.localtime(correction.at), "j F Y")
    return _("Correction, %(date)s:") % {"date": date}


def tag_feed_url(tags, operator, atom=False, language=None):
    """The address of the feed of a tag page."""
    with translation.override(language or translation.get_language()):
        slugs = operator.join(tag.slug for tag in tags)
        name = "articles:tag-feed-atom" if atom else "articles:tag-feed"
        return reverse(name, kwargs={"slugs": slugs})
