"""The public page cache: whole pages for readers, thrown away precisely.

A view says what its page shows with ``depends_on(request, *keys)``:

- ``"stories"``: which stories are published, in which order (home pages, feeds);
- ``story_key(pk)``: one story's text and tags (its page, its card in lists);
- ``tagged_key(pk)``: which stories carry a tag (that tag's pages);
- ``tag_key(pk)``: a tag's names and slugs (every page that shows the tag);
- ``"tags"``: the tag index (names and counts);
- ``front_page_key(language)``: the lead stories editors pinned to that home page.
- ``image_key(pk)``: a picture of the library (its renditions, alt text, caption, credit).

Each key has a version in the cache: the time it last changed. A cached page
keeps the versions it was rendered with and is served only while they are all
current, so publishing a story renews the home pages, its tag pages and its own
page in every language and leaves every other page cached. Versions and pages
live in Django's default cache: with Redis every app server sees a change at
once; with the local-memory cache only the process that made it does, so
pages there are kept for ``PAGE_CACHE_SECONDS`` at most (see the README).

A write that cannot reach the cache (Redis restarting, cut off) keeps the keys it
changed in the database (PageCacheChange); a process that has started, or found the
cache out of reach, marks them changed before it serves a cached page again, so Redis
back with its snapshot does not serve the pages of before the write. A process that
saw nothing of the outage (idle meanwhile, or only reading) looks for kept changes
too, at most ``PAGE_CACHE_CHECK_SECONDS`` apart: one small read, not one per page.

A page is also kept no later than the next scheduled publication, since that
changes lists without any write; once it has passed, the first request to see
it renews what the stories published since change, as a write would have.

The versions also tell when a page last changed: its ``Last-Modified`` is the
newest of them, and Django's ConditionalGetMiddleware (before this one) adds an
``ETag`` and answers ``If-None-Match`` and ``If-Modified-Since`` with 304. With
the page cache off (``PAGE_CACHE_SECONDS=0``) nothing keeps versions, so pages
carry an ``ETag`` only.
"""

import hashlib
import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.http import http_date

from articles.models import (
    Article,
    Correction,
    FrontPage,
    FrontPagePin,
    Image,
    PageCacheChange,
    Tag,
    TaggedArticle,
    language_codes,
)

logger = logging.getLogger(__name__)

STORIES = "stories"
TAGS = "tags"
NEXT_SCHEDULED = "pages:next-scheduled"
NO_SCHEDULED = "none"
# What a cached page keeps of its response headers.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "Vary", "Last-Modified")


def story_key(pk):
    return f"story:{pk}"


def tagged_key(pk):
    return f"tagged:{pk}"


def tag_key(pk):
    return f"tag:{pk}"


def front_page_key(language):
    return f"front-page:{language}"


def image_key(pk):
    return f"image:{pk}"


def _namespace():
    # Two sites (or a benchmark) on one Redis must not serve each other's pages.
    database = settings.DATABASES["default"]
    return f"{database.get('HOST') or ''}:{database.get('PORT') or ''}/{database['NAME']}"


def _version_key(key):
    return f"pages:v:{_namespace()}:{key}"


# The only query parameters a public page reads; others (utm_source=...) share its entry.
PAGE_PARAMETERS = ("after", "before")


def _page_key(request):
    # The public address (SITE_URL) pages link to, not the Host the client sent, which
    # anyone can vary; development without SITE_URL links to the request's host.
    site = settings.SITE_URL or f"{request.scheme}://{request.get_host()}"
    # The value the view reads (the last one given), so repeats share the page's entry.
    parameters = [(name, request.GET.get(name)) for name in PAGE_PARAMETERS]
    address = f"{site}{request.path}?{parameters}"
    return f"pages:page:{_namespace()}:{hashlib.sha256(address.encode()).hexdigest()}"


def enabled():
    return settings.PAGE_CACHE_SECONDS > 0


def depends_on(request, *keys):
    """Record that the page being made for ``request`` shows what ``keys`` name."""
    if not hasattr(request, "page_cache_keys"):
        request.page_cache_keys = set()
    request.page_cache_keys.update(keys)


def story_card_keys(stories):
    """What a list of story cards shows: each story, its lead image and each of its tags."""
    keys = []
    for story in stories:
        keys.append(story_key(story.pk))
        if story.lead_image_id is not None:
            keys.append(image_key(story.lead_image_id))
        keys.extend(tag_key(tag.pk) for tag in story.tag_list())
    return keys


def changed(*keys):
    """Mark ``keys`` as changed once the current transaction commits."""
    if not enabled() or not keys:
        return
    keys = set(keys)
    # robust: the write has committed; a cache that is down must not turn it into an error.
    transaction.on_commit(lambda: _bump_or_keep(keys), robust=True)


def _bump(keys):
    now = time.time_ns()
    cache.set_many({_version_key(key): now for key in keys}, timeout=None)


# Whether this process may have missed changes: it has just started, or the cache did not
# answer it. Before serving a cached page it then marks changed what writes kept in the
# database while the cache was out of reach (replay_missed_changes).
_may_have_missed_changes = True
# When this process is next to look for changes kept in the database (time.monotonic()),
# and how long it waits after that look (longer while the database does not answer).
_check_at = float("-inf")
_check_delay = None
# The longest wait between two looks while the database is out of reach: each one waits
# for the connection pool's timeout.
MAX_CHECK_DELAY = 30


def cache_unreachable():
    global _may_have_missed_changes
    _may_have_missed_changes = True


def _bump_or_keep(keys):
    """Mark ``keys`` changed; if the cache does not answer, keep them until it does.

    Redis restarted from its snapshot, or cut off for a while, would otherwise come back
    with the versions of before the write, and serve the pages of before it.
    """
    try:
        _bump(keys)
    except Exception:
        cache_unreachable()
        logger.warning("Page cache unavailable; %d changed keys kept for later", len(keys))
        PageCacheChange.objects.using(DEFAULT_DB_ALIAS).create(keys=sorted(keys))


def replay_missed_changes():
    """Mark changed the keys writes kept while the cache was out of reach, then drop them.

    Two processes may replay the same rows: marking a key changed twice costs one page.
    Raises if the cache still does not answer (the rows stay for the next try).
    """
    global _may_have_missed_changes
    kept = PageCacheChange.objects.using(DEFAULT_DB_ALIAS)
    rows = list(kept.values_list("pk", "keys"))
    if rows:
        keys = {key for _pk, row_keys in rows for key in row_keys}
        if NEXT_SCHEDULED in keys:
            keys.discard(NEXT_SCHEDULED)
            _schedule_changed()
        if keys:
            _bump(keys)
        kept.filter(pk__in=[pk for pk, _keys in rows]).delete()
        logger.info("Page cache back; %d kept changed keys marked", len(keys))
    _may_have_missed_changes = False


def forget_stories(pks):
    """Stories published, unpublished or rescheduled in bulk (QuerySet.update)."""
    pks = list(pks)
    if not pks:
        return
    if enabled():
        # Each tag once: a bulk retag of the biggest tag touches half a million stories.
        links = TaggedArticle.objects.filter(content_object__in=pks)
        tags = links.order_by().values_list("tag", flat=True).distinct()
        changed(STORIES, TAGS, *map(story_key, pks), *map(tagged_key, tags))
    forget_schedule()


def forget_schedule():
    transaction.on_commit(_schedule_changed_or_keep, robust=True)


def _schedule_changed_or_keep():
    try:
        _schedule_changed()
    except Exception:
        cache_unreachable()
        PageCacheChange.objects.using(DEFAULT_DB_ALIAS).create(keys=[NEXT_SCHEDULED])


# The next scheduled publication is looked up again at least this often, in case a
# schedule was saved while a lookup ran (forget_schedule() then came too early).
SCHEDULE_LOOKUP_SECONDS = 60


def _schedule_changed():
    # The moment is kept, only marked for a new lookup: should it pass first, its
    # stories' pages are still renewed (see _seconds_to_next_scheduled).
    entry = cache.get(NEXT_SCHEDULED)
    if isinstance(entry, tuple):
        cache.set(NEXT_SCHEDULED, (entry[0], 0), timeout=None)


def _seconds_to_next_scheduled():
    """Seconds until the next scheduled story is published, or None.

    Once the moment kept has passed, what its stories change is renewed first.
    """
    now = timezone.now().timestamp()
    entry = cache.get(NEXT_SCHEDULED)
    value, looked_up = entry if isinstance(entry, tuple) else (None, 0)
    if value not in (None, NO_SCHEDULED) and value <= now:
        _published_since(value)
    if (
        value is None
        or looked_up < now - SCHEDULE_LOOKUP_SECONDS
        or (value != NO_SCHEDULED and value <= now)
    ):
        # From the primary: a replica that has not replayed a new schedule would say
        # "none", and pages would outlive the publication.
        moment = (
            Article.objects.using(DEFAULT_DB_ALIAS)
            .scheduled()
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        value = moment.timestamp() if moment else NO_SCHEDULED
        cache.set(NEXT_SCHEDULED, (value, now), timeout=None)
    if value == NO_SCHEDULED:
        return None
    return value - now


def _published_since(moment):
    """Renew what the stories scheduled for ``moment`` and since, now published, change."""
    since = datetime.fromtimestamp(moment, tz=UTC)
    stories = Article.objects.using(DEFAULT_DB_ALIAS).published().filter(published_at__gte=since)
    pks = list(stories.values_list("pk", flat=True))
    if pks:
        tags = TaggedArticle.objects.using(DEFAULT_DB_ALIAS).filter(content_object__in=pks)
        keys = {STORIES, TAGS, *map(story_key, pks)}
        keys.update(map(tagged_key, tags.values_list("tag", flat=True)))
        _bump(keys)


def _look_for_kept_changes():
    """replay_missed_changes() when this process may have missed changes, or when it is
    time to look for those another process kept (PAGE_CACHE_CHECK_SECONDS)."""
    global _check_at, _check_delay
    now = time.monotonic()
    if not _may_have_missed_changes and now < _check_at:
        return
    try:
        replay_missed_changes()
    except DatabaseError:
        # The database is out of reach too: nothing can have been written meanwhile. Looked
        # at again next time if this process may have missed changes; else after a wait
        # that doubles while the database stays away.
        logger.warning("Kept page cache changes unreadable; checked again later")
        _check_delay = min(MAX_CHECK_DELAY, 2 * max(1, _check_delay or 0))
    else:
        _check_delay = settings.PAGE_CACHE_CHECK_SECONDS
    _check_at = time.monotonic() + _check_delay


def cached_response(request):
    """The page for ``request`` if it is cached and still current, else None."""
    _look_for_kept_changes()
    entry = cache.get(_page_key(request))
    if entry is None:
        return None
    versions = cache.get_many(list(entry["versions"]))
    if versions != entry["versions"]:
        return None
    response = HttpResponse(entry["content"], status=entry["status"])
    for header, value in entry["headers"].items():
        response[header] = value
    response["X-Page-Cache"] = "hit"
    return response


def store(request, response, started):
    """Keep ``response`` if its view said what it shows and nothing changed meanwhile.

    Also dates it: ``Last-Modified`` is when what it shows last changed.
    """
    keys = getattr(request, "page_cache_keys", None)
    if not keys or response.status_code != 200 or response.streaming:
        return
    if response.has_header("Set-Cookie") or "private" in response.get("Cache-Control", ""):
        return
    # A scheduled publication that has passed renews its pages' versions first.
    seconds = _seconds_to_next_scheduled()
    version_keys = [_version_key(key) for key in keys]
    lag = int(getattr(settings, "PAGE_CACHE_REPLICA_LAG", 0) * 1e9)
    versions = cache.get_many(version_keys)
    for key in version_keys:
        if key not in versions:
            # Never changed, or forgotten (eviction, restart): a version no page has
            # yet, older than this page. add() leaves a change made meanwhile alone.
            cache.add(key, started - lag - 1, timeout=None)
    if len(versions) != len(version_keys):
        versions = cache.get_many(version_keys)
    if versions:
        response["Last-Modified"] = http_date(max(versions.values()) // 10**9)
    # Changed while the page was being made (or so recently that a replica may not
    # have the change yet): the next request makes it again.
    if len(versions) != len(version_keys) or max(versions.values()) > started - lag:
        return
    timeout = settings.PAGE_CACHE_SECONDS
    if seconds is not None:
        timeout = min(timeout, int(seconds))
    if timeout <= 0:
        return
    entry = {
        "versions": versions,
        "content": response.content,
        "status": response.status_code,
        "headers": {h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
    }
    cache.set(_page_key(request), entry, timeout=timeout)
    response["X-Page-Cache"] = "miss"


class PageCacheMiddleware:
    """Serves readers' GET requests from the page cache; staff always get fresh pages.

    Readers have no session cookie, so most requests are told apart without
    reading a session; a request that sends one is checked against the session
    store, so that only a real staff session (who may see previews) skips the
    cache, not any cookie a client makes up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.cacheable(request):
            return self.get_response(request)
        try:
            response = cached_response(request)
        except Exception:
            # A cache that is down (Redis restarting) costs speed, not pages.
            cache_unreachable()
            logger.exception("Page cache unavailable; serving %s uncached", request.path)
            return self.get_response(request)
        if response is not None:
            return response
        started = time.time_ns()
        response = self.get_response(request)
        try:
            store(request, response, started)
        except Exception:
            cache_unreachable()
            logger.exception("Page cache unavailable; %s not kept", request.path)
        return response

    @staticmethod
    def cacheable(request):
        if not enabled() or request.method not in ("GET", "HEAD"):
            return False
        # Only pages under the active language's own prefix, spelled as in LANGUAGES.
        if not request.path_info.startswith(f"/{translation.get_language()}/"):
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return not request.user.is_staff
        return True


# What invalidates which pages. Writes that bypass these signals
# (QuerySet.update) call forget_stories() themselves.


@receiver(pre_delete, sender=Article)
def _story_deleting(sender, instance, **kwargs):
    # Its tag links are deleted before it, in one statement that sends no signal.
    instance.tag_ids_before_delete = list(
        TaggedArticle.objects.filter(content_object=instance.pk).values_list("tag", flat=True)
    )


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def _story_changed(sender, instance, **kwargs):
    keys = [story_key(instance.pk)]
    if instance.status == Article.Status.PUBLISHED or instance.was_published:
        tags = getattr(instance, "tag_ids_before_delete", None)
        if tags is None:
            links = TaggedArticle.objects.filter(content_object=instance.pk)
            tags = links.values_list("tag", flat=True)
        keys += [STORIES, TAGS, *map(tagged_key, tags)]
    changed(*keys)
    forget_schedule()


def _tags_of_story_changed(story_pk, tag_pks):
    keys = [story_key(story_pk)]
    # A draft's tags are on no public page but its preview.
    if Article.objects.filter(pk=story_pk).published().exists():
        keys += [*map(tagged_key, tag_pks), TAGS]
    changed(*keys)


# No post_delete receiver for tag links: it would make Django load and signal every
# link of a deleted tag (hundreds of thousands) instead of deleting them in one
# statement. Links are removed through taggit (m2m_changed), the story admin (whose
# story save comes first and renews its tags) or with their tag or story.
@receiver(post_save, sender=TaggedArticle)
def _story_tag_saved(sender, instance, **kwargs):
    _tags_of_story_changed(instance.content_object_id, [instance.tag_id])


@receiver(m2m_changed, sender=TaggedArticle)
def _story_tags_changed(sender, instance, action, pk_set, **kwargs):
    if not isinstance(instance, Article):
        return
    if action in ("post_add", "post_remove"):
        _tags_of_story_changed(instance.pk, pk_set or ())
    elif action == "pre_clear":
        links = TaggedArticle.objects.filter(content_object=instance.pk)
        _tags_of_story_changed(instance.pk, list(links.values_list("tag", flat=True)))


@receiver(m2m_changed, sender=Article.authors.through)
def _byline_changed(sender, instance, action, **kwargs):
    if action.startswith("post_") and isinstance(instance, Article):
        changed(story_key(instance.pk))


@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def _tag_changed(sender, instance, **kwargs):
    changed(tag_key(instance.pk), tagged_key(instance.pk), TAGS)


@receiver(post_save, sender=FrontPagePin)
@receiver(post_delete, sender=FrontPagePin)
def _front_page_changed(sender, instance, **kwargs):
    pages = FrontPage.objects.filter(pk=instance.front_page_id)
    language = pages.values_list("language", flat=True).first()
    # Deleted with its front page: any language may have shown it.
    changed(*[front_page_key(code) for code in ([language] if language else language_codes())])


@receiver(post_save, sender=Correction)
def _story_corrected(sender, instance, **kwargs):
    # Its page, its feeds' items (text and update time) and the related lists naming it.
    changed(story_key(instance.story_id))


@receiver(post_save, sender=Image)
@receiver(post_delete, sender=Image)
def _image_changed(sender, instance, **kwargs):
    changed(image_key(instance.pk))
