"""A scheduled story appears by itself at its time, on every public page, with no job run.

The clock is frozen (time-machine), then moved past the publication time: nothing
is written in between.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from articles.models import Article, Tag
from tests.factories import ArticleFactory, TagFactory
from tests.test_views import links, url_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AT = NOW + timedelta(hours=2)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scheduled(clock):
    tag = TagFactory(name_fr="Climat", name_en="Climate")
    ArticleFactory(tags=[tag], published_at=NOW - timedelta(days=1), title_fr="Déjà en ligne")
    story = ArticleFactory(
        tags=[tag], english=True, published_at=AT, title_fr="Plan climat", title_en="Climate plan"
    )
    return story, tag


def pages(client, story, tag):
    """What a reader finds of the story at this moment, page by page."""
    home = client.get(url_in("fr", "articles:article-list")).content.decode()
    english_home = client.get(url_in("en", "articles:article-list")).content.decode()
    return {
        "home": "Plan climat" in home,
        "english home": "Climate plan" in english_home,
        "story": client.get(story.url_for("fr")).status_code,
        "english story": client.get(story.url_for("en")).status_code,
        "tag page": "Plan climat" in client.get(tag.url_for("fr")).content.decode(),
        "english tag page": client.get(tag.url_for("en")).status_code,
        "tag index count": Tag.with_story_counts([Tag.objects.get(pk=tag.pk)], "fr")[0].story_count,
    }


def test_a_scheduled_story_is_nowhere_before_its_time(client, scheduled):
    story, tag = scheduled
    assert story.is_scheduled()
    assert pages(client, story, tag) == {
        "home": False,
        "english home": False,
        "story": 404,
        "english story": 404,
        "tag page": False,
        "english tag page": 404,  # the tag's only English story is the scheduled one
        "tag index count": 1,
    }


def test_a_scheduled_story_appears_everywhere_at_its_time_with_nothing_written(
    client, scheduled, clock, django_assert_max_num_queries
):
    story, tag = scheduled
    updated = Article.objects.get(pk=story.pk).updated_at
    clock.move_to(AT + timedelta(seconds=1))
    assert pages(client, story, tag) == {
        "home": True,
        "english home": True,
        "story": 200,
        "english story": 200,
        "tag page": True,
        "english tag page": 200,
        "tag index count": 2,
    }
    assert Article.objects.get(pk=story.pk).updated_at == updated
    assert set(links(client.get(story.url_for("fr"))).alternates) == {"fr", "en"}


def test_the_page_cache_keeps_a_page_no_longer_than_the_next_publication(
    client, scheduled, clock, settings
):
    story, _tag = scheduled
    settings.PAGE_CACHE_SECONDS = 86400  # a day: longer than the wait
    # A cache of its own: versions other tests left, at the real time, are newer than this clock.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"scheduling-{uuid.uuid4().hex}",
        }
    }
    home = url_in("fr", "articles:article-list")
    first = client.get(home)
    assert first["X-Page-Cache"] == "miss"  # made, and kept
    assert client.get(home)["X-Page-Cache"] == "hit"
    assert "Plan climat" not in first.content.decode()
    clock.move_to(AT + timedelta(seconds=1))
    assert "Plan climat" in client.get(home).content.decode()
