from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView
from modeltranslation.utils import build_localized_fieldname

from articles import cache, metadata, search, workflow
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


class Alternates(list):
    """The language switcher's entries, one per language, and the page's ``x-default``."""

    x_default = None


def alternates(request, urls, *, preferred=None):
    """The language switcher and hreflang links: one entry per language.

    ``urls`` maps a language code to the same page in that language, or to None
    when the page does not exist there with content; the switcher then leads to
    that language's home page, and no hreflang link announces it. ``x_default``,
    for readers of other languages, is the page in ``preferred`` (a story's
    original language) or else in the site's own language, where it exists.
    """
    current = translation.get_language()
    entries = Alternates()
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
    language = x_default_language([code for code in language_codes() if urls.get(code)], preferred)
    if language is not None:
        entries.x_default = absolute_url(request, urls[language])
    return entries


def x_default_language(languages, preferred=None):
    """Of the languages a page exists in, the one readers of other languages are sent to."""
    for code in (preferred, settings.LANGUAGE_CODE, *languages):
        if code in languages:
            return code
    return None


def page_address(path, page):
    """A keyset page's one address: the list's own for its first page, else ``?after=``."""
    if page.anchor is None:
        return path
    return f"{path}?{urlencode({'after': str(page.anchor)})}"


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
            return redirect(self.first_page_url())
        if self.page.is_first and cursor is not None:
            # Back at the newest: the list's own address, not a cursor near it.
            return redirect(self.first_page_url())
        return super().get(request, *args, **kwargs)

    def first_page_url(self):
        return self.request.path

    # Whether search engines are to list the page: then it has a canonical link,
    # hreflang alternates and a description (see page_links()).
    indexed = True

    def get_context_data(self, **kwargs):
        context = {"object_list": self.page.object_list, "page_obj": self.page}
        if self.indexed:
            context.update(self.page_links())
        return super().get_context_data(**(context | kwargs))

    def page_links(self):
        """The canonical link, the same page in other languages, and the description."""
        current = translation.get_language()
        own = page_address(self.request.path, self.page)
        urls = {current: own}
        for code in language_codes():
            if code != current and self.page_exists_in(code):
                with translation.override(code):
                    urls[code] = page_address(self.list_path(), self.page)
        canonical_url = absolute_url(self.request, own)
        entries = alternates(self.request, urls)
        return {
            "canonical_url": canonical_url,
            "alternates": entries,
            "meta": metadata.page(
                self.request,
                title=self.meta_title(),
                description=self.meta_description(),
                url=canonical_url,
                alternates=entries,
            ),
        }

    def list_path(self):
        """The list's own address in the active language."""
        raise NotImplementedError

    def page_exists_in(self, language):
        """Whether this page (the same ``?after=``) shows stories in ``language`` too."""
        raise NotImplementedError

    def meta_title(self):
        """The page's title for search engines and social networks, without the site's name."""
        raise NotImplementedError

    def meta_description(self):
        raise NotImplementedError


def list_continues(keys, cursor):
    """Whether the list of ``keys`` (published_at, id) has the page ``?after=cursor``:
    ``cursor`` names one of its rows and an older one follows. Without a cursor, whether
    it has a row at all. One read of at most two rows."""
    if cursor is None:
        return keys.exists()
    rows = list(seek_stories(keys, cursor)[:2])
    return len(rows) == 2 and StoryCursor(*rows[0]) == cursor


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
        stories = Article.objects.readable(language).select_related("lead_image")
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

    def list_path(self):
        return reverse("articles:article-list")

    def page_exists_in(self, language):
        return list_continues(
            Article.objects.readable(language).values_list("published_at", "pk"),
            self.page.anchor,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(lead_stories=self.lead_stories, **kwargs)

    def meta_title(self):
        return _("Latest stories")

    def meta_description(self):
        return _("The latest news from The Newsroom, in French and English.")


class ArticleDetailView(DetailView):
    """A story in the active language. Staff may preview what is not published yet."""

    template_name = "articles/article_detail.html"

    def get_queryset(self):
        # Staff preview any version written, ready or not; readers see what readable() says.
        if workflow.can_preview(self.request.user):
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
        story = self.object
        canonical_url = absolute_url(self.request, self.request.path)
        entries = alternates(
            self.request, dict(story.translations(self.preview)), preferred=story.source_language
        )
        meta = metadata.page(
            self.request,
            title=story.title,
            description=metadata.story_description(story),
            url=canonical_url,
            alternates=entries,
            kind="article",
            story=story,
        )
        return super().get_context_data(
            canonical_url=canonical_url,
            preview=self.preview,
            related_stories=self.related,
            alternates=entries,
            meta=meta,
            json_ld=None
            if self.preview
            else metadata.story_json_ld(
                story, lambda url: absolute_url(self.request, url), meta["image"]
            ),
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

    def list_path(self):
        return reverse("articles:tag-list")

    def page_exists_in(self, language):
        # Tags are listed by their slugs, which differ between languages: only the
        # first page has its match in another language.
        if self.page.anchor is not None:
            return False
        # In slug order, as the index reads them: the first tag in use answers.
        slug = build_localized_fieldname("slug", language)
        return bool(Tag.objects.in_use(language).order_by(slug).values_list("pk")[:1])

    def meta_title(self):
        return _("Tags")

    def meta_description(self):
        return _("Every subject The Newsroom covers, with its number of stories.")


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
    readable = TaggedArticle.objects.story_keys(tags, operator, limit=1).readable
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
        language = translation.get_language()
        found = TaggedArticle.objects.story_keys(
            self.tags,
            self.operator,
            cursor=cursor,
            backwards=backwards,
            limit=rows_to_read(size),
            # The hreflang alternates of the page ?after=cursor, in the same statement.
            also_in=[code for code in language_codes() if code != language],
        )
        self.continues = found.continues, cursor
        if len(found.readable[language]) < len(self.tags):
            raise Http404("No such tag.")
        self.readable_languages = [
            code for code in language_codes() if len(found.readable[code]) == len(self.tags)
        ]
        page = KeysetPage(
            found.keys, size=size, cursor=cursor, backwards=backwards, key=lambda k: StoryCursor(*k)
        )
        # Where the read stopped before a page was full: the page says so and goes on there.
        self.stopped_at = None
        if found.searched is not None and page.may_go_on(StoryCursor(*found.searched)):
            self.stopped_at = found.driver
        ids = [pk for _published_at, pk in page.object_list]
        page.object_list = list(Article.objects.filter(pk__in=ids).for_listing()) if ids else []
        self.companions = []
        if len(self.tags) == 1:
            self.companions = self.tags[0].frequent_companions(language)
        cache.depends_on(
            self.request,
            *[cache.tagged_key(tag.pk) for tag in self.tags],
            *[cache.tag_key(tag.pk) for tag in self.tags],
            # The narrowing links' names; their counts change with the stories of this tag.
            *[cache.tag_key(other.pk) for other in self.companions],
            *cache.story_card_keys(page),
        )
        return page

    def get_context_data(self, **kwargs):
        single = self.tags[0] if len(self.tags) == 1 else None
        return super().get_context_data(
            tags=self.tags,
            title=Tag.combination_name(self.tags, self.operator),
            heading=Tag.combination_html(self.tags, self.operator),
            description=single.description_in() if single else "",
            companions=[
                {
                    "tag": other,
                    "url": Tag.combination_url([single, other], TAGS_ALL),
                    "label": Tag.combination_html([single, other], TAGS_ALL, joined_by="+"),
                }
                for other in self.companions
            ],
            stopped_at=self.stopped_at,
            read_limit=settings.TAG_COMBINATION_READ,
            stopped_at_name=(
                Tag.combination_html([self.stopped_at], TAGS_ALL) if self.stopped_at else ""
            ),
            # The page's own spelling, for its feeds' addresses.
            feed_slugs=self.operator.join(tag.slug for tag in self.tags),
            match_all=self.operator == TAGS_ALL,
            **kwargs,
        )

    def list_path(self):
        return Tag.combination_url(self.tags, self.operator)

    def page_exists_in(self, language):
        if language not in self.readable_languages:
            return False
        anchor = self.page.anchor
        if anchor is None:
            return True
        continues, at = self.continues
        if language in continues and at == anchor:
            return continues[language]
        keys = TaggedArticle.objects.story_keys(
            self.tags, self.operator, cursor=anchor, limit=2, language=language
        ).keys
        return len(keys) == 2 and StoryCursor(*keys[0]) == anchor

    def meta_title(self):
        return Tag.combination_name(self.tags, self.operator)

    def meta_description(self):
        name = Tag.combination_name(self.tags, self.operator)
        if self.operator == TAGS_ALL and len(self.tags) > 1:
            return _("Stories from The Newsroom about all of these subjects: %(names)s.") % {
                "names": name
            }
        if len(self.tags) > 1:
            return _("Stories from The Newsroom about any of these subjects: %(names)s.") % {
                "names": name
            }
        return _("Stories from The Newsroom about %(name)s.") % {"name": name}


tag_detail = TagDetailView.as_view()


class SearchView(KeysetListView):
    """The readers' search (articles.search): ``?q=`` words, ``?tag=`` one tag's slug.

    Not kept by the page cache: a page per query would let anyone fill the cache with
    pages no one else asks for, and push out the pages every reader needs.
    """

    template_name = "articles/search.html"
    # Results pages are noindex (and left out by robots.txt): no canonical link or hreflang.
    indexed = False

    def get(self, request, *args, **kwargs):
        self.query = search.clean_query(request.GET.get("q", ""))
        self.tag = None
        if slug := request.GET.get("tag"):
            tags = Tag.objects.for_slugs([slug], translation.get_language())
            # A tag of embargoed stories only is no filter yet: its name would tell their topic.
            if tags is None or not getattr(tags[0], story_count_field(translation.get_language())):
                raise Http404("No such tag.")
            self.tag = tags[0]
        self.search = search.StorySearch(self.query, translation.get_language(), self.tag)
        self.lexemes = self.search.lexemes() if self.query else None
        response = super().get(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    def get_page(self, cursor, backwards, size):
        if not self.lexemes:
            if cursor is not None:
                raise StaleCursor(cursor)
            return KeysetPage([], size=size, cursor=None, backwards=False, key=None)
        page = self.search.page(cursor, backwards, size)
        ids = [hit.pk for hit in page.object_list]
        stories = {}
        if ids:
            found = (
                Article.objects.filter(pk__in=ids)
                .for_listing()
                .annotate(matched_words=self.search.matched_words(self.lexemes))
            )
            stories = {story.pk: story for story in found}
        hits, page.object_list = page.object_list, []
        for hit in hits:
            story = stories.get(hit.pk)
            if story is not None:
                story.search_title, story.search_snippet = search.result_texts(
                    story, story.matched_words
                )
                page.object_list.append(story)
        return page

    def first_page_url(self):
        return self.search_url(translation.get_language(), self.tag and self.tag.slug)

    def search_url(self, language, tag_slug=None):
        parameters = {"q": self.query} if self.query else {}
        if tag_slug:
            parameters["tag"] = tag_slug
        url = reverse_in(language, "articles:search")
        return f"{url}?{urlencode(parameters)}" if parameters else url

    def get_context_data(self, **kwargs):
        urls = {code: self.search_url(code) for code in language_codes()}
        if self.tag is not None:
            # Within the tag where it has stories; elsewhere the page is not there.
            urls = {
                code: self.search_url(code, self.tag.slug_in(code))
                if getattr(self.tag, story_count_field(code))
                else None
                for code in language_codes()
            }
        parameters = {"q": self.query} if self.query else {}
        if self.tag is not None:
            parameters["tag"] = self.tag.slug
        return super().get_context_data(
            query=self.query,
            searched=bool(self.query),
            has_words=bool(self.lexemes),
            tag=self.tag,
            ranked_window=search.RANKED_WINDOW,
            more_than_window=self.search.more_than_window,
            page_query=urlencode(parameters) + "&" if parameters else "",
            first_page_url=self.first_page_url(),
            without_tag_url=self.search_url(translation.get_language()),
            alternates=alternates(self.request, urls),
            **kwargs,
        )


search_view = SearchView.as_view()
# Readers type anything: the search removes NUL characters from its words (clean_query).
search_view.accepts_nul_in = ("q",)
