"""The public page cache (articles.cache): hits, and precise invalidation."""

import os
import socket
import time
import uuid
from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from articles import cache as cache_keys
from articles import workflow
from articles.models import Article, LanguageState, PageCacheChange, PreviewLink
from tests.factories import ArticleFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

MIDDLEWARE = "articles.cache.PageCacheMiddleware"


def redis_is_running():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request, settings):
    if request.param == "redis":
        if not redis_is_running():
            if os.environ.get("REQUIRE_REDIS"):
                pytest.fail("Redis is required on 127.0.0.1:6379 (REQUIRE_REDIS is set)")
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": uuid.uuid4().hex,
            }
        }
    settings.PAGE_CACHE_SECONDS = 600
    assert MIDDLEWARE in settings.MIDDLEWARE
    yield request.param
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes inside it act as committed: the cache hears of them."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def state(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get("X-Page-Cache")


@pytest.fixture
def newsroom(committed):
    with committed():
        russia, korea = TagFactory(name_fr="Russie", name_en="Russia"), TagFactory()
        old = ArticleFactory(tags=[russia], english=True)
        other = ArticleFactory(tags=[korea], english=True)
    return {"russia": russia, "korea": korea, "old": old, "other": other}


def warm(client, urls):
    for url in urls:
        assert state(client, url) == "miss"
        assert state(client, url) == "hit"


def test_a_cached_page_is_served_without_a_query(
    client, page_cache, newsroom, django_assert_num_queries, settings
):
    settings.PAGE_CACHE_CHECK_SECONDS = 60  # no look for kept changes in between
    state(client, "/fr/")
    with django_assert_num_queries(0):
        response = client.get("/fr/")
    assert response["X-Page-Cache"] == "hit"
    assert newsroom["old"].title_fr in response.content.decode()


def test_publishing_refreshes_home_and_tag_pages_in_both_languages_only(
    client, page_cache, newsroom, committed
):
    russia, korea = newsroom["russia"], newsroom["korea"]
    refreshed = ["/fr/", "/en/", russia.url_for("fr"), russia.url_for("en"), "/fr/etiquettes/"]
    kept = [korea.url_for("fr"), korea.url_for("en"), newsroom["other"].url_for("fr")]
    warm(client, refreshed + kept)
    with committed():
        story = ArticleFactory(tags=[russia], english=True, draft=True, title_en="Breaking")
    assert [state(client, url) for url in refreshed + kept] == ["hit"] * 8
    with committed():
        Article.objects.filter(pk=story.pk).publish()
    assert [state(client, url) for url in refreshed] == ["miss"] * 5
    assert [state(client, url) for url in kept] == ["hit"] * 3
    assert "Breaking" in client.get("/en/").content.decode()
    assert "Breaking" in client.get(russia.url_for("en")).content.decode()


def test_editing_a_published_story_refreshes_its_page_and_the_lists_showing_it(
    client, page_cache, newsroom, committed
):
    old = newsroom["old"]
    warm(client, ["/fr/", old.url_for("fr"), newsroom["other"].url_for("fr")])
    with committed():
        old.title_fr = "Titre corrigé"
        old.save()
    assert "Titre corrigé" in client.get("/fr/").content.decode()
    assert state(client, newsroom["other"].url_for("fr")) == "hit"


def test_renaming_a_tag_refreshes_the_pages_that_show_it(client, page_cache, newsroom, committed):
    russia, old, other = newsroom["russia"], newsroom["old"], newsroom["other"]
    warm(client, [old.url_for("fr"), other.url_for("fr"), "/fr/etiquettes/"])
    with committed():
        russia.name_fr = "Fédération de Russie"
        russia.save()
    assert "Fédération de Russie" in client.get(old.url_for("fr")).content.decode()
    assert "Fédération de Russie" in client.get("/fr/etiquettes/").content.decode()
    assert state(client, other.url_for("fr")) == "hit"


def test_tagging_a_story_refreshes_the_tag_page(client, page_cache, newsroom, committed):
    korea, old = newsroom["korea"], newsroom["old"]
    warm(client, [korea.url_for("fr")])
    with committed():
        old.tags.add(korea)
    assert old.title_fr in client.get(korea.url_for("fr")).content.decode()


def test_unpublishing_removes_the_story_from_cached_lists(client, page_cache, newsroom, committed):
    old = newsroom["old"]
    warm(client, ["/fr/"])
    with committed():
        Article.objects.filter(pk=old.pk).unpublish()
    assert old.title_fr not in client.get("/fr/").content.decode()


def test_staff_always_get_fresh_pages(staff_client, page_cache, newsroom):
    staff_client.get("/fr/")
    assert "X-Page-Cache" not in staff_client.get("/fr/")


def test_a_page_is_not_kept_past_the_next_scheduled_publication(client, page_cache, committed):
    with committed():
        ArticleFactory(title_fr="Déjà là")
        ArticleFactory(title_fr="Programmé", published_at=timezone.now() + timedelta(seconds=2))
    warm(client, ["/fr/"])
    time.sleep(2.5)
    assert "Programmé" in client.get("/fr/").content.decode()


def test_a_cache_that_is_down_costs_speed_not_pages(client, settings, newsroom, committed):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens there: every cache call fails.
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.PAGE_CACHE_SECONDS = 600
    assert MIDDLEWARE in settings.MIDDLEWARE
    response = client.get("/fr/")
    assert response.status_code == 200
    assert newsroom["old"].title_fr in response.content.decode()
    with committed():
        Article.objects.filter(pk=newsroom["old"].pk).unpublish()
    assert newsroom["old"].title_fr not in client.get("/fr/").content.decode()


UNREACHABLE_REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
    "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
}


@pytest.mark.parametrize("change", ["edit", "unpublish"])
def test_a_change_made_while_redis_is_unreachable_is_not_served_stale_when_it_returns(
    client, page_cache, settings, newsroom, committed, change
):
    """Redis cut off (or restarted from its snapshot) comes back with the pages and
    versions of before: what was written meanwhile was kept in the database, and is
    marked changed before any page is served again."""
    if page_cache != "redis":
        pytest.skip("a local-memory cache is never out of reach")
    old, russia = newsroom["old"], newsroom["russia"]
    urls = [old.url_for("fr"), "/fr/", russia.url_for("fr")]
    warm(client, urls)
    reachable = settings.CACHES
    settings.CACHES = {"default": UNREACHABLE_REDIS}
    with committed():
        if change == "edit":
            story = Article.objects.get(pk=old.pk)
            story.title_fr = "Titre écrit pendant la panne"
            story.save()
        else:
            Article.objects.filter(pk=old.pk).unpublish()
    assert PageCacheChange.objects.exists()
    assert client.get("/fr/").status_code == 200  # served from the database meanwhile
    settings.CACHES = reachable
    for url in urls if change == "edit" else urls[1:]:  # an unpublished story has no page
        page = client.get(url).content.decode()
        assert old.title_fr not in page, url
        if change == "edit":
            assert "Titre écrit pendant la panne" in page, url
    assert not PageCacheChange.objects.exists()


def test_changes_another_process_kept_are_replayed_by_one_that_saw_no_outage(
    client, page_cache, settings, newsroom
):
    """A process idle while Redis was away never found it out of reach: it still looks
    for the changes others kept meanwhile, PAGE_CACHE_CHECK_SECONDS apart."""
    if page_cache != "redis":
        pytest.skip("a local-memory cache is never out of reach")
    settings.PAGE_CACHE_CHECK_SECONDS = 1
    old = newsroom["old"]
    warm(client, [old.url_for("fr")])
    # What another process leaves when its write could not reach Redis: the row changed
    # (no signal heard here) and the key kept in the database.
    Article.objects.filter(pk=old.pk).update(title_fr="Titre écrit ailleurs pendant la panne")
    PageCacheChange.objects.create(keys=[cache_keys.story_key(old.pk)])
    time.sleep(1.1)
    page = client.get(old.url_for("fr")).content.decode()
    assert "Titre écrit ailleurs pendant la panne" in page
    assert old.title_fr not in page
    assert not PageCacheChange.objects.exists()


def test_nothing_is_kept_while_the_cache_answers(client, page_cache, newsroom, committed):
    with committed():
        Article.objects.filter(pk=newsroom["old"].pk).unpublish()
    assert not PageCacheChange.objects.exists()


def test_a_page_is_kept_per_host_and_shared_by_unknown_parameters(client, page_cache, newsroom):
    warm(client, ["/fr/"])
    assert state(client, "/fr/?utm_source=newsletter") == "hit"
    other_host = client.get("/fr/", HTTP_HOST="localhost")
    assert other_host.get("X-Page-Cache") == "miss"
    assert "http://localhost/" in other_host.content.decode()


def test_deleting_a_published_story_refreshes_its_tag_page(client, page_cache, newsroom, committed):
    russia, old = newsroom["russia"], newsroom["old"]
    warm(client, [russia.url_for("fr")])
    with committed():
        Article.objects.get(pk=old.pk).delete()
    assert old.title_fr not in client.get(russia.url_for("fr")).content.decode()


def test_untagging_through_taggit_refreshes_the_tag_page(client, page_cache, newsroom, committed):
    russia, old = newsroom["russia"], newsroom["old"]
    warm(client, [russia.url_for("fr")])
    with committed():
        Article.objects.get(pk=old.pk).tags.remove(russia)
    assert old.title_fr not in client.get(russia.url_for("fr")).content.decode()


def test_retagging_in_order_refreshes_both_tag_pages(client, page_cache, newsroom, committed):
    russia, korea, old = newsroom["russia"], newsroom["korea"], newsroom["old"]
    warm(client, [russia.url_for("fr"), korea.url_for("fr")])
    with committed():
        Article.objects.get(pk=old.pk).set_tags([korea])
    assert old.title_fr not in client.get(russia.url_for("fr")).content.decode()
    assert old.title_fr in client.get(korea.url_for("fr")).content.decode()


def test_changing_the_authors_refreshes_the_byline(client, page_cache, newsroom, committed):
    old = newsroom["old"]
    warm(client, [old.url_for("fr")])
    with committed():
        old.authors.add(UserFactory(first_name="Léa", last_name="Dubois"))
    assert "Léa Dubois" in client.get(old.url_for("fr")).content.decode()


def test_pages_are_cached_again_once_a_scheduled_story_is_out(client, page_cache, committed):
    with committed():
        ArticleFactory(published_at=timezone.now() + timedelta(seconds=1))
    time.sleep(1.5)
    warm(client, ["/fr/"])


# No client can skip the cache or fill it at will.


def page_entries():
    """The keys of the pages kept in the cache, whichever backend holds them."""
    pattern = cache.make_key("pages:page:*")
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):  # Redis
        return set(cache._cache.get_client().keys(pattern))
    return {key for key in cache._cache if ":pages:page:" in key}


def test_a_made_up_session_cookie_is_served_from_the_cache(client, page_cache, newsroom):
    warm(client, ["/fr/"])
    client.cookies["sessionid"] = "junk" * 8
    assert client.get("/fr/")["X-Page-Cache"] == "hit"


def test_a_signed_out_session_is_served_from_the_cache(client, page_cache, newsroom, staff):
    warm(client, ["/fr/"])
    client.force_login(staff)
    client.logout()
    client.cookies["sessionid"] = "abcdefghijklmnopqrstuvwxyz012345"
    assert client.get("/fr/")["X-Page-Cache"] == "hit"


def test_pages_are_kept_under_the_public_address_whatever_host_is_sent(
    client, page_cache, newsroom, settings
):
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = ["news.example.org", "127.0.0.1", "testserver"]
    warm(client, ["/fr/"])
    for host in ("127.0.0.1:8000", "127.0.0.1:65535", "news.example.org"):
        response = client.get("/fr/", HTTP_HOST=host)
        assert response["X-Page-Cache"] == "hit"
        content = response.content.decode()
        assert 'href="https://news.example.org/en/"' in content
        assert "127.0.0.1" not in content


def test_one_clients_junk_requests_add_no_page_to_the_cache(client, page_cache, newsroom, settings):
    settings.SITE_URL = "http://testserver"
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    story = newsroom["old"]
    real_cursor = f"{story.published_at.astimezone(UTC):%Y%m%d%H%M%S%f}-{story.pk}"
    client.get("/fr/")
    kept = page_entries()
    assert len(kept) == 1
    for number in range(60):
        client.cookies["sessionid"] = f"junk{number:04d}" * 4
        client.get("/fr/")
        del client.cookies["sessionid"]
        client.get(f"/fr/?after=20990101000000000000-{number}")
        client.get(f"/fr/?before=2024010100000000000{number % 10}-{number}")
        client.get(f"/fr/?after={real_cursor.replace('-', '-0' * (1 + number % 5))}")
        client.get(f"/fr/?utm_source=n{number}&after=&x={number}")
        client.get(f"/fr/?after=a&after=b{number}")
        client.get("/fr/", HTTP_HOST=f"127.0.0.1:{10000 + number}")
    assert page_entries() == kept


# Leaks: what staff see (drafts, previews, unready translations, the admin) never reaches
# the shared cache, and what readers were served never reaches staff.


@pytest.fixture
def reader():
    return Client()


@pytest.fixture
def editor_client(roles):
    editor = UserFactory(is_staff=True, username="editrice")
    editor.groups.add(Group.objects.get(name=workflow.EDITORS))
    client = Client()
    client.force_login(editor)
    return client


def test_a_draft_seen_by_staff_is_not_kept_for_readers(editor_client, reader, page_cache):
    draft = ArticleFactory(draft=True, title_fr="Brouillon secret")
    for _ in range(2):
        response = editor_client.get(draft.url_for("fr"))
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
    assert page_entries() == set()
    response = reader.get(draft.url_for("fr"))
    assert response.status_code == 404
    assert "Brouillon secret" not in response.content.decode()


def test_an_unready_translation_seen_by_staff_is_not_kept_for_readers(
    editor_client, reader, page_cache
):
    story = ArticleFactory(
        title_en="Unready translation",
        body_en="<p>Not yet.</p>",
        state_en=LanguageState.IN_PROGRESS,
    )
    assert editor_client.get(story.url_for("en")).status_code == 200
    assert page_entries() == set()
    response = reader.get(story.url_for("en"))
    assert response.status_code in (302, 404)
    assert "Unready translation" not in response.content.decode()


def test_a_published_page_seen_by_staff_is_made_afresh_for_readers(
    editor_client, reader, page_cache, newsroom
):
    url = newsroom["old"].url_for("fr")
    editor_client.get(url)
    editor_client.get(url)
    assert page_entries() == set()
    assert state(reader, url) == "miss"
    assert state(reader, url) == "hit"


def test_staff_never_get_the_readers_copy(editor_client, reader, page_cache, newsroom):
    story = newsroom["old"]
    warm(reader, [story.url_for("fr")])
    response = editor_client.get(story.url_for("fr"))
    assert "X-Page-Cache" not in response
    # The staff page is their own (their session, the preview bar), not the readers' bytes.
    assert response.wsgi_request.user.is_staff


@pytest.mark.parametrize("page", ["login", "index", "articles_article_changelist"])
def test_admin_pages_are_never_kept(reader, editor_client, page_cache, page):
    with translation.override("fr"):
        url = reverse(f"admin:{page}")
    for client in (reader, editor_client, reader):
        response = client.get(url)
        assert response.status_code in (200, 302)
        assert response.get("X-Page-Cache") is None
    assert page_entries() == set()


def test_a_preview_link_is_never_kept(reader, page_cache):
    link = PreviewLink.objects.create(
        story=ArticleFactory(draft=True), language="fr", expires_at=timezone.now() + timedelta(1)
    )
    for _ in range(2):
        response = reader.get(link.get_absolute_url())
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
    assert page_entries() == set()


def test_a_preview_link_seen_before_stops_at_once_when_revoked(reader, page_cache, committed):
    with committed():
        link = PreviewLink.objects.create(
            story=ArticleFactory(draft=True, title_fr="Brouillon partagé"),
            language="fr",
            expires_at=timezone.now() + timedelta(1),
        )
    address = link.get_absolute_url()
    assert reader.get(address).status_code == 200
    with committed():
        link.delete()
    response = reader.get(address)
    assert response.status_code == 404
    assert "Brouillon partagé" not in response.content.decode()


def test_a_preview_link_seen_before_stops_once_expired(reader, page_cache, committed):
    with committed():
        link = PreviewLink.objects.create(
            story=ArticleFactory(draft=True, title_fr="Brouillon partagé"),
            language="fr",
            expires_at=timezone.now() + timedelta(1),
        )
    address = link.get_absolute_url()
    assert reader.get(address).status_code == 200
    with committed():
        PreviewLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    response = reader.get(address)
    assert response.status_code == 404
    assert "Brouillon partagé" not in response.content.decode()


def test_a_published_storys_preview_link_does_not_fill_its_page(reader, page_cache, newsroom):
    story = newsroom["old"]
    link = PreviewLink.objects.create(
        story=story, language="fr", expires_at=timezone.now() + timedelta(1)
    )
    reader.get(link.get_absolute_url())
    assert page_entries() == set()
    assert state(reader, story.url_for("fr")) == "miss"
