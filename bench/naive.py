"""The public pages written the textbook way, measured against the real ones.

Each view shows the same information as its counterpart in articles.views,
the way a first Django version of the site would get it: the publication rule
written out in the view, Django's Paginator with ``?page=N`` (so a COUNT and an
OFFSET), the tags and authors of each story read by the template
(``story.tags.all``, ``story.authors.all``) without prefetching, and the tag
index counting stories with ``annotate(Count(...))`` over every tag. The sitemaps are
Django's sitemaps framework as its documentation shows it: GenericSitemap with
``i18n``, ``alternates`` and ``x_default``, its views and Paginator (``?p=N``).

Only the benchmark routes here (bench/urls.py); the site never does.
"""

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.contrib.sitemaps import GenericSitemap, Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation

from articles.models import TAGS_ALL, TAGS_ANY, Article, Tag, language_codes
from articles.views import alternates, same_page_everywhere


def in_language(view):
    """Serve ``view`` in the language named by the URL (these URLs have no i18n prefix)."""

    @wraps(view)
    def wrapper(request, language, **kwargs):
        if language not in language_codes():
            raise Http404("No such language.")
        # Querysets and templates both read the active language (modeltranslation columns).
        with translation.override(language):
            return view(request, **kwargs)

    return wrapper


def published_stories():
    """Stories a reader of the active language may see, the rule written out."""
    return Article.objects.filter(
        status=Article.Status.PUBLISHED,
        published_at__lte=timezone.now(),
        **{f"state_{translation.get_language()}__in": ["source", "ready", "outdated"]},
    )


def paginate(request, queryset, per_page=None):
    paginator = Paginator(queryset, per_page or settings.ARTICLES_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


@in_language
def article_list(request):
    page = paginate(request, published_stories().order_by("-published_at", "-pk"))
    lead_stories = []
    if page.number == 1:
        lead_stories = list(
            published_stories()
            .filter(front_page_pins__front_page__language=translation.get_language())
            .order_by("front_page_pins__position", "front_page_pins__pk")
        )
        page.object_list = [story for story in page.object_list if story not in lead_stories]
    return render(
        request,
        "bench/article_list.html",
        {
            "page_obj": page,
            "lead_stories": lead_stories,
            "alternates": alternates(request, same_page_everywhere("articles:article-list")),
        },
    )


@in_language
def article_detail(request, slug):
    article = get_object_or_404(published_stories(), slug=slug)
    # Related stories: every published story sharing a tag, counted and sorted.
    related = (
        published_stories()
        .filter(tags__in=article.tags.all())
        .exclude(pk=article.pk)
        .annotate(shared=Count("tags"))
        .order_by("-shared", "-published_at", "-pk")[:4]
    )
    return render(
        request,
        "bench/article_detail.html",
        {
            "article": article,
            "corrections": article.corrections.filter(language=translation.get_language()),
            "related_stories": related,
            "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
            "alternates": alternates(request, dict(article.translations())),
        },
    )


@in_language
def tag_list(request):
    # modeltranslation picks the language's column only for the model queried, not
    # across a relation: the story's columns are named here.
    language = translation.get_language()
    story = "tagged_articles__content_object__"
    tags = (
        Tag.objects.filter(
            **{
                f"{story}status": Article.Status.PUBLISHED,
                f"{story}published_at__lte": timezone.now(),
                f"{story}state_{language}__in": ["source", "ready", "outdated"],
            }
        )
        .annotate(story_count=Count("tagged_articles"))
        .order_by("slug")
    )
    return render(
        request,
        "bench/tag_list.html",
        {
            "page_obj": paginate(request, tags, per_page=200),
            "alternates": alternates(request, same_page_everywhere("articles:tag-list")),
        },
    )


@in_language
def tag_detail(request, slugs):
    operator = TAGS_ANY if TAGS_ANY in slugs else TAGS_ALL
    tags = [get_object_or_404(Tag, slug=slug) for slug in slugs.split(operator)]
    stories = published_stories()
    if operator == TAGS_ANY:
        stories = stories.filter(tags__in=tags).distinct()
    else:
        for tag in tags:
            stories = stories.filter(tags=tag)
    page = paginate(request, stories.order_by("-published_at", "-pk"))
    companions = []
    if len(tags) == 1:
        # The tags of the tag's stories, counted: every link of every one of its stories.
        language = translation.get_language()
        companions = (
            Tag.objects.filter(
                **{"tagged_articles__content_object__in": published_stories().filter(tags=tags[0])}
            )
            .exclude(pk=tags[0].pk)
            .annotate(story_count=Count("tagged_articles"))
            .order_by("-story_count", "pk")[: settings.TAG_COMPANIONS]
        )
        companions = [
            {"tag": other, "url": Tag.combination_url([tags[0], other], TAGS_ALL, language)}
            for other in companions
        ]
    return render(
        request,
        "bench/tag_detail.html",
        {
            "page_obj": page,
            "tags": tags,
            "description": getattr(tags[0], f"description_{translation.get_language()}")
            if len(tags) == 1
            else "",
            "companions": companions,
            "title": Tag.combination_name(tags, operator),
            "match_all": operator == TAGS_ALL,
            "alternates": alternates(
                request,
                {code: Tag.combination_url(tags, operator, code) for code in language_codes()},
            ),
        },
    )


# The textbook's configurations: the page's language's stemmer and stop words.
SEARCH_CONFIGS = {"fr": "french", "en": "english"}


@in_language
def search(request):
    """Django's documented full-text search: the document made on the fly for every story,
    ranked with SearchRank over all matches, headlines by SearchHeadline, a Paginator."""
    language = translation.get_language()
    config = SEARCH_CONFIGS[language]
    text = request.GET.get("q", "")
    vector = (
        SearchVector(f"title_{language}", weight="A", config=config)
        + SearchVector(f"standfirst_{language}", weight="B", config=config)
        + SearchVector(f"body_{language}", weight="C", config=config)
    )
    query = SearchQuery(text, config=config, search_type="websearch")
    stories = published_stories()
    if slug := request.GET.get("tag"):
        stories = stories.filter(tags=get_object_or_404(Tag, slug=slug))
    stories = (
        stories.annotate(
            document=vector,
            rank=SearchRank(vector, query),
            headline=SearchHeadline(
                f"body_{language}", query, config=config, start_sel="<mark>", stop_sel="</mark>"
            ),
        )
        .filter(document=query)
        .order_by("-rank", "-published_at", "-pk")
    )
    return render(
        request,
        "bench/search.html",
        {"page_obj": paginate(request, stories), "query": text, "searched": bool(text)},
    )


class TextbookFeed(Feed):
    """The site's feed the textbook way: the rule written out, each item's tags and
    byline read as the item is written (two queries a story)."""

    title = "The Newsroom"
    link = "/"
    description = "The newest stories."

    def get_object(self, request, slugs=None):
        if slugs is None:
            return None
        operator = TAGS_ANY if TAGS_ANY in slugs else TAGS_ALL
        return operator, [get_object_or_404(Tag, slug=slug) for slug in slugs.split(operator)]

    def items(self, obj):
        stories = published_stories()
        if obj is not None:
            operator, tags = obj
            if operator == TAGS_ANY:
                stories = stories.filter(tags__in=tags).distinct()
            else:
                for tag in tags:
                    stories = stories.filter(tags=tag)
        return stories.order_by("-published_at", "-pk")[:30]

    def item_title(self, story):
        return story.title

    def item_link(self, story):
        return story.get_absolute_url()

    def item_description(self, story):
        return story.standfirst

    def item_author_name(self, story):
        return ", ".join(a.get_full_name() or a.get_username() for a in story.authors.all())

    def item_categories(self, story):
        return [tag.name for tag in story.tags.all()]

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.updated_at


_textbook_feed = TextbookFeed()


@in_language
def feed(request, slugs=None):
    return _textbook_feed(request, slugs=slugs)


# Sitemaps: Django's framework. With i18n its paginator pages through the list of every
# (item, language) pair, made in memory on each request; the index counts each section.

LIVE = ["source", "ready", "outdated"]


def published_anywhere():
    """Published stories readable in some language, the rule written out."""
    return Article.objects.filter(
        Q(state_fr__in=LIVE) | Q(state_en__in=LIVE),
        status=Article.Status.PUBLISHED,
        published_at__lte=timezone.now(),
    )


class TextbookStorySitemap(GenericSitemap):
    i18n = True
    alternates = True
    x_default = True

    def __init__(self):
        # The texts are deferred: loading a million bodies on each request would take the
        # benchmark machine's memory, where the framework's cost is what is measured.
        stories = published_anywhere().only(
            "slug_fr", "slug_en", "state_fr", "state_en", "updated_at", "source_language"
        )
        super().__init__({"queryset": stories.order_by("pk"), "date_field": "updated_at"})
        self.limit = settings.SITEMAP_URLS_PER_FILE

    def get_languages_for_item(self, story):
        return story.public_languages()


class TextbookTagSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def __init__(self):
        self.limit = settings.SITEMAP_URLS_PER_FILE

    def items(self):
        now = timezone.now()
        readable = {
            f"in_{code}": Exists(
                Article.objects.filter(
                    tags=OuterRef("pk"),
                    status=Article.Status.PUBLISHED,
                    published_at__lte=now,
                    **{f"state_{code}__in": LIVE},
                )
            )
            for code in language_codes()
        }
        either = Q(in_fr=True) | Q(in_en=True)
        return Tag.objects.annotate(**readable).filter(either).order_by("pk")

    def get_languages_for_item(self, tag):
        return [code for code in language_codes() if getattr(tag, f"in_{code}")]

    def location(self, tag):
        return tag.get_absolute_url()


class TextbookPagesSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return ["articles:article-list", "articles:tag-list"]

    def location(self, name):
        return reverse(name)


class TextbookNewsSitemap(GenericSitemap):
    """Google News: the framework with a template of its own, the last 48 hours."""

    i18n = True
    alternates = True
    x_default = True
    limit = 1000

    def __init__(self):
        recent = published_anywhere().filter(published_at__gt=timezone.now() - timedelta(hours=48))
        super().__init__(
            {"queryset": recent.order_by("-published_at", "-pk"), "date_field": "updated_at"}
        )

    def get_languages_for_item(self, story):
        return story.public_languages()


TEXTBOOK_SITEMAPS = {
    "stories": TextbookStorySitemap,
    "tags": TextbookTagSitemap,
    "pages": TextbookPagesSitemap,
}


def sitemap_index(request):
    return sitemap_views.index(request, TEXTBOOK_SITEMAPS, sitemap_url_name="naive-sitemap-section")


def sitemap_section(request, section):
    return sitemap_views.sitemap(request, TEXTBOOK_SITEMAPS, section=section)


def news_sitemap(request):
    return sitemap_views.sitemap(
        request, {"news": TextbookNewsSitemap}, template_name="bench/sitemap_news.xml"
    )


def last_stories_page():
    """The number of the textbook stories sitemap's last page: its (story, language) pairs
    counted here rather than made, which its own paginator would do."""
    pairs = sum(
        published_anywhere().filter(**{f"state_{code}__in": LIVE}).count()
        for code in language_codes()
    )
    return max(1, -(-pairs // settings.SITEMAP_URLS_PER_FILE))
