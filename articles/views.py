from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView, TemplateView
from modeltranslation.utils import build_localized_fieldname

from articles import cache
from articles.models import (
    TAGS_ALL,
    Article,
    Tag,
    TaggedArticle,
    language_codes,
    parse_tag_expression,
    prefetch_for_listing,
    story_count_field,
)
from articles.pagination import (
    BadCursor,
    KeysetPage,
    StaleCursor,
    StoryCursor,
    page_request,
    rows_to_read,
    seek_by,
    seek_stories,
)


def absolute_url(request, url):
    """``url`` on the site's public address (SITE_URL), or on the request's in development.

    With neither (no request at hand in development), the path itself.
    """
    if settings.SITE_URL:
        return settings.SITE_URL + url
    return request.build_absolute_uri(url) if request is not None else url


def alternates(request, urls):
    """The language switcher and hreflang links: one entry per language.

    ``urls`` maps a language code to the same page in that language, or to None
    when the page does not exist there; the switcher then leads to that
    language's home page.
    """
    current = translation.get_language()
    entries = []
    for code in language_codes():
        info = translation.get_language_info(code)
        url = urls.get(code)
        entries.append(
            {
                "code": code,
                "name": info["name_local"],
                "url": url,
                "absolute_url": absolute_url(request, url) if url else None,
                "home_url": reverse_in(code, "articles:article-list"),
                "current": code == current,
            }
        )
    return entries


def reverse_in(language, viewname, **kwargs):
    with translation.override(language):
        return reverse(viewname, kwargs=kwargs)


def same_page_everywhere(viewname):
    return {code: reverse_in(code, viewname) for code in language_codes()}


class KeysetListView(TemplateView):
    """A list paginated with ``?after=`` / ``?before=`` (see articles.pagination).

    Subclasses give ``get_page(cursor, backwards, size)``, returning a KeysetPage.
    """

    paginate_by = None  # settings.ARTICLES_PER_PAGE
    parse_cursor = staticmethod(StoryCursor.parse)

    def get(self, request, *args, **kwargs):
        try:
            cursor, backwards = page_request(request.GET, self.parse_cursor)
        except BadCursor as error:
            raise Http404(str(error)) from None
        try:
            self.page = self.get_page(
                cursor, backwards, self.paginate_by or settings.ARTICLES_PER_PAGE
            )
        except StaleCursor:
            # A story since unpublished, or a made-up address: the list from its start.
            return redirect(request.path)
        if self.page.is_first and cursor is not None:
            # Back at the newest: the list's own address, not a cursor near it.
            return redirect(request.path)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object_list=self.page.object_list, page_obj=self.page, **kwargs
        )


def story_page(cursor, backwards, size, queryset):
    """A page of ``queryset`` (stories, newest first) from one index-ordered read."""
    rows = seek_stories(queryset, cursor, backwards)[: rows_to_read(size)]
    return KeysetPage(
        rows,
        size=size,
        cursor=cursor,
        backwards=backwards,
        key=lambda story: StoryCursor(story.published_at, story.pk),
    )


class ArticleListView(KeysetListView):
    """The home page: the editors' lead stories (FrontPagePin), then the newest stories.

    The first page shows the lead stories readable here, then its page of the newest
    stories without them; the pages after it are the newest stories' pages, as if
    nothing were pinned.
    """

    template_name = "articles/article_list.html"
    lead_stories = ()

    def get_page(self, cursor, backwards, size):
        language = translation.get_language()
        stories = Article.objects.readable(language)
        page = story_page(cursor, backwards, size, stories.order_by("-published_at", "-pk"))
        if cursor is None:
            self.lead_stories = list(stories.pinned(language))
            pinned = {story.pk for story in self.lead_stories}
            page.object_list = [story for story in page.object_list if story.pk not in pinned]
        shown = [*self.lead_stories, *page.object_list]
        prefetch_for_listing(shown)
        cache.depends_on(
            self.request,
            cache.STORIES,
            cache.front_page_key(language),
            *cache.story_card_keys(shown),
        )
        return page

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            lead_stories=self.lead_stories,
            alternates=alternates(self.request, same_page_everywhere("articles:article-list")),
            **kwargs,
        )


class ArticleDetailView(DetailView):
    """A story in the active language. Staff may preview what is not published yet."""

    template_name = "articles/article_detail.html"

    def get_queryset(self):
        # Staff preview any version written, ready or not; readers see what readable() says.
        if self.request.user.is_staff:
            stories = Article.objects.written_in()
        else:
            stories = Article.objects.readable()
        return stories.for_listing().with_corrections()

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            moved = self.story_under_other_slug()
            if moved is None:
                raise
            # A preview's address may still change: only a page readers see moves for good.
            language = translation.get_language()
            return redirect(moved.url_for(language), permanent=moved.is_readable_in(language))
        self.preview = not self.object.is_readable_in(translation.get_language())
        self.related = list(Article.objects.related_to(self.object))
        response = self.render_to_response(self.get_context_data(object=self.object))
        if self.preview:
            add_never_cache_headers(response)
        else:
            cache.depends_on(
                request,
                *cache.story_card_keys([self.object]),
                # Related stories: a story published or unpublished with one of these tags
                # (which can change the choice), and the text of those chosen.
                *[cache.tagged_key(tag.pk) for tag in self.object.tag_list()],
                *[cache.story_key(story.pk) for story in self.related],
            )
        return response

    def story_under_other_slug(self):
        """The story, when the slug given is its slug in another language."""
        language = translation.get_language()
        slug = self.kwargs["slug"]
        for code in language_codes():
            if code == language:
                continue
            lookup = {build_localized_fieldname("slug", code): slug}
            story = self.get_queryset().filter(**lookup).first()
            if story is not None:
                return story
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            canonical_url=absolute_url(self.request, self.request.path),
            preview=self.preview,
            related_stories=self.related,
            alternates=alternates(self.request, dict(self.object.translations(self.preview))),
            **kwargs,
        )


article_detail = ArticleDetailView.as_view()


class TagListView(KeysetListView):
    """Tags in use in the page's language, alphabetical, 200 a page, with story counts."""

    template_name = "articles/tag_list.html"
    paginate_by = 200
    parse_cursor = staticmethod(str)

    def get_page(self, cursor, backwards, size):
        language = translation.get_language()
        slug = build_localized_fieldname("slug", language)
        tags = list(
            seek_by(Tag.objects.in_use(language), slug, cursor, backwards)[: rows_to_read(size)]
        )
        page = KeysetPage(
            tags, size=size, cursor=cursor, backwards=backwards, key=lambda t: getattr(t, slug)
        )
        # The cursor's tag must be readable too (not only scheduled), or the address
        # would tell whether an embargoed topic exists.
        named = [tags[0]] if cursor is not None else []
        counted = Tag.with_story_counts(page.object_list + named, language)
        if named and named[0] not in counted:
            raise StaleCursor(cursor)
        page.object_list = counted[: len(counted) - len(named)]
        cache.depends_on(self.request, cache.TAGS)
        return page

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            alternates=alternates(self.request, same_page_everywhere("articles:tag-list")), **kwargs
        )


def tags_named(expression):
    """(operator, tags) of a tag page's or feed's ``a``, ``a+b`` or ``a,b``; else Http404.

    A tag of drafts and scheduled stories only is no page yet: its name would tell
    an embargoed story's topic. Its maintained count rules most such tags out for
    free; the page's own read (TaggedArticle.story_keys) tells the rest.
    """
    parsed = parse_tag_expression(expression)
    if parsed is None:
        raise Http404("Tags are combined with “+” or “,”, not both, and at most five.")
    operator, slugs = parsed
    language = translation.get_language()
    tags = Tag.objects.for_slugs(slugs, language)
    if tags is None or not all(getattr(tag, story_count_field(language)) > 0 for tag in tags):
        raise Http404("No such tag.")
    return operator, tags


def redirect_to_readable(canonical, tags, operator):
    """A permanent redirect to ``canonical``, once every tag is known to be readable here:
    checked before redirecting, which would give an embargoed tag's slug away."""
    _keys, readable = TaggedArticle.objects.story_keys(tags, operator, limit=1)
    if len(readable[translation.get_language()]) < len(tags):
        raise Http404("No such tag.")
    return redirect(canonical, permanent=True)


class TagDetailView(KeysetListView):
    """Stories with one tag, all of several tags (a+b) or any of them (a,b)."""

    template_name = "articles/tag_detail.html"

    def get(self, request, *args, **kwargs):
        self.operator, self.tags = tags_named(kwargs["slugs"])
        # Another language's slug, or a tag named twice: one address per page.
        canonical = Tag.combination_url(self.tags, self.operator)
        if canonical != request.path:
            return redirect_to_readable(canonical, self.tags, self.operator)
        return super().get(request, *args, **kwargs)

    def get_page(self, cursor, backwards, size):
        keys, readable = TaggedArticle.objects.story_keys(
            self.tags, self.operator, cursor=cursor, backwards=backwards, limit=rows_to_read(size)
        )
        if len(readable[translation.get_language()]) < len(self.tags):
            raise Http404("No such tag.")
        self.readable_languages = [
            code for code in language_codes() if len(readable[code]) == len(self.tags)
        ]
        page = KeysetPage(
            keys, size=size, cursor=cursor, backwards=backwards, key=lambda k: StoryCursor(*k)
        )
        ids = [pk for _published_at, pk in page.object_list]
        page.object_list = list(Article.objects.filter(pk__in=ids).for_listing()) if ids else []
        cache.depends_on(
            self.request,
            *[cache.tagged_key(tag.pk) for tag in self.tags],
            *[cache.tag_key(tag.pk) for tag in self.tags],
            *cache.story_card_keys(page),
        )
        return page

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tags=self.tags,
            title=Tag.combination_name(self.tags, self.operator),
            # The page's own spelling, for its feeds' addresses.
            feed_slugs=self.operator.join(tag.slug for tag in self.tags),
            match_all=self.operator == TAGS_ALL,
            alternates=alternates(
                self.request,
                {
                    code: Tag.combination_url(self.tags, self.operator, code)
                    for code in language_codes()
                    if code in self.readable_languages
                },
            ),
            **kwargs,
        )


tag_detail = TagDetailView.as_view()
