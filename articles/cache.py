"""The public page cache: whole pages for readers, thrown away precisely.

A view says what its page shows with ``depends_on(request, *keys)``:

- ``"stories"``: which stories are published, in which order (home pages, feeds);
- ``story_key(pk)``: one story's text and tags (its page, its card in lists);
- ``tagged_key(pk)``: which stories carry a tag (that tag's pages);
- ``tag_key(pk)``: a tag's names and slugs (every page that shows the tag);
- ``"tags"``: the tag index (names and counts).

Each key has a version in the cache: the time it last changed. A cached page
keeps the versions it was rendered with and is served only while they are all
current, so publishing a story renews the home pages, its tag pages and its own
page in every language and leaves every other page cached. Versions and pages
live in Django's default cache: with Redis every app server sees a change at
once; with the local-memory cache only the process that made it does, so
pages there are kept for ``PAGE_CACHE_SECONDS`` at most (see the README).

A page is also kept no later than the next scheduled publication, since that
changes lists without any write.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone

from articles.models import Article, Tag, TaggedArticle

logger = logging.getLogger(__name__)

STORIES = "stories"
TAGS = "tags"
NEXT_SCHEDULED = "pages:next-scheduled"
NO_SCHEDULED = "none"
# What a cached page keeps of its response headers.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "Vary")


def story_key(pk):
    return f"story:{pk}"


def tagged_key(pk):
    return f"tagged:{pk}"


def tag_key(pk):
    return f"tag:{pk}"


def _namespace():
    # Two sites (or a benchmark) on one Redis must not serve each other's pages.
    database = settings.DATABASES["default"]
    return f"{database.get('HOST') or ''}:{database.get('PORT') or ''}/{database['NAME']}"


def _version_key(key):
    return f"pages:v:{_namespace()}:{key}"


def _page_key(request):
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"pages:page:{_namespace()}:{path}"


def enabled():
    return settings.PAGE_CACHE_SECONDS > 0


def depends_on(request, *keys):
    """Record that the page being made for ``request`` shows what ``keys`` name."""
    if not hasattr(request, "page_cache_keys"):
        request.page_cache_keys = set()
    request.page_cache_keys.update(keys)


def story_card_keys(stories):
    """What a list of story cards shows: each story and each of its tags."""
    keys = []
    for story in stories:
        keys.append(story_key(story.pk))
        keys.extend(tag_key(tag.pk) for tag in story.tag_list())
    return keys


def changed(*keys):
    """Mark ``keys`` as changed once the current transaction commits."""
    if not enabled() or not keys:
        return
    keys = set(keys)
    # robust: the write has committed; a cache that is down must not turn it into an error.
    transaction.on_commit(lambda: _bump(keys), robust=True)


def _bump(keys):
    now = time.time_ns()
    cache.set_many({_version_key(key): now for key in keys}, timeout=None)


def forget_stories(pks):
    """Stories published, unpublished or rescheduled in bulk (QuerySet.update)."""
    pks = list(pks)
    if not pks:
        return
    tags = TaggedArticle.objects.filter(content_object__in=pks).values_list("tag", flat=True)
    changed(STORIES, TAGS, *map(story_key, pks), *map(tagged_key, set(tags)))
    forget_schedule()


def forget_schedule():
    transaction.on_commit(lambda: cache.delete(NEXT_SCHEDULED), robust=True)


def _seconds_to_next_scheduled():
    """Seconds until the next scheduled story is published, or None."""
    value = cache.get(NEXT_SCHEDULED)
    if value is None:
        moment = (
            Article.objects.scheduled()
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        value = moment.timestamp() if moment else NO_SCHEDULED
        cache.set(NEXT_SCHEDULED, value, timeout=settings.PAGE_CACHE_SECONDS)
    if value == NO_SCHEDULED:
        return None
    return value - timezone.now().timestamp()


def cached_response(request):
    """The page for ``request`` if it is cached and still current, else None."""
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
    """Keep ``response`` if its view said what it shows and nothing changed meanwhile."""
    keys = getattr(request, "page_cache_keys", None)
    if not keys or response.status_code != 200 or response.streaming:
        return
    if response.has_header("Set-Cookie") or "private" in response.get("Cache-Control", ""):
        return
    version_keys = [_version_key(key) for key in keys]
    # A key never changed has no version yet: give it one, so that losing it
    # (eviction, restart) makes the page stale instead of current.
    cache.set_many(
        {key: 0 for key in version_keys if key not in cache.get_many(version_keys)},
        timeout=None,
    )
    versions = cache.get_many(version_keys)
    # Changed while the page was being made (or so recently that a replica may not
    # have the change yet): the next request makes it again.
    lag = int(getattr(settings, "PAGE_CACHE_REPLICA_LAG", 0) * 1e9)
    if len(versions) != len(version_keys) or max(versions.values()) > started - lag:
        return
    timeout = settings.PAGE_CACHE_SECONDS
    seconds = _seconds_to_next_scheduled()
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

    Readers never have a session cookie and staff always do, so checking for
    the cookie tells them apart without reading the session.
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
            logger.exception("Page cache unavailable; serving %s uncached", request.path)
            return self.get_response(request)
        if response is not None:
            return response
        started = time.time_ns()
        response = self.get_response(request)
        try:
            store(request, response, started)
        except Exception:
            logger.exception("Page cache unavailable; %s not kept", request.path)
        return response

    @staticmethod
    def cacheable(request):
        return (
            enabled()
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )


# What invalidates which pages. Writes that bypass these signals
# (QuerySet.update) call forget_stories() themselves.


@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def _story_changed(sender, instance, **kwargs):
    keys = [story_key(instance.pk)]
    if instance.status == Article.Status.PUBLISHED or instance.was_published:
        links = TaggedArticle.objects.filter(content_object=instance.pk)
        keys += [STORIES, TAGS, *map(tagged_key, links.values_list("tag", flat=True))]
    changed(*keys)
    forget_schedule()


@receiver(post_save, sender=TaggedArticle)
@receiver(post_delete, sender=TaggedArticle)
def _story_tags_changed(sender, instance, **kwargs):
    keys = [story_key(instance.content_object_id)]
    # A draft's tags are on no public page but its preview.
    if Article.objects.filter(pk=instance.content_object_id).published().exists():
        keys += [tagged_key(instance.tag_id), TAGS]
    changed(*keys)


@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def _tag_changed(sender, instance, **kwargs):
    changed(tag_key(instance.pk), tagged_key(instance.pk), TAGS)
