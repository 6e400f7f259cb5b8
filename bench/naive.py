"""The public pages written the textbook way, measured against the real ones.

Each view shows the same information as its counterpart in articles.views,
the way a first Django version of the site would get it: the publication rule
written out in the view, Django's Paginator with ``?page=N`` (so a COUNT and an
OFFSET), the tags and authors of each story read by the template
(``story.tags.all``, ``story.authors.all``) without prefetching, and the tag
index counting stories with ``annotate(Count(...))`` over every tag.

Only the benchmark routes here (bench/urls.py); the site never does.
"""

from functools import wraps

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
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
    return render(
        request,
        "bench/tag_detail.html",
        {
            "page_obj": page,
            "tags": tags,
            "title": Tag.combination_name(tags, operator),
            "match_all": operator == TAGS_ALL,
            "alternates": alternates(
                request,
                {code: Tag.combination_url(tags, operator, code) for code in language_codes()},
            ),
        },
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
