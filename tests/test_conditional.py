"""Conditional requests: Last-Modified and ETag on public pages, answered with 304."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from articles.models import Article
from tests import test_cache
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

# The page cache on, as tests/test_cache.py sets it up.
page_cache = test_cache.page_cache
committed = test_cache.committed


@pytest.fixture
def newsroom(committed):
    with committed():
        tag = TagFactory(name_fr="Climat", name_en="Climate")
        story = ArticleFactory(tags=[tag], english=True)
        other = ArticleFactory(english=True)
    return {"tag": tag, "story": story, "other": other}


def public_pages(newsroom):
    tag, story = newsroom["tag"], newsroom["story"]
    return ["/fr/", "/en/", "/fr/etiquettes/", tag.url_for("en"), story.url_for("fr")]


def test_every_public_page_says_when_it_changed_and_has_an_etag(client, page_cache, newsroom):
    for url in public_pages(newsroom):
        response = client.get(url)
        assert response.status_code == 200, url
        assert parse_http_date(response["Last-Modified"]) <= timezone.now().timestamp() + 1, url
        assert response["ETag"].startswith('"'), url


def test_a_client_with_the_page_gets_304_by_etag(client, page_cache, newsroom):
    for url in public_pages(newsroom):
        etag = client.get(url)["ETag"]
        again = client.get(url, headers={"if-none-match": etag})
        assert again.status_code == 304, url
        assert again.content == b""


def test_a_client_with_the_page_gets_304_by_date(client, page_cache, newsroom):
    for url in public_pages(newsroom):
        modified = client.get(url)["Last-Modified"]
        assert client.get(url, headers={"if-modified-since": modified}).status_code == 304, url


def test_a_page_served_from_the_cache_answers_304_too(client, page_cache, newsroom):
    client.get("/fr/")
    first = client.get("/fr/")
    assert first["X-Page-Cache"] == "hit"
    again = client.get("/fr/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304


def test_publishing_a_story_makes_the_home_page_newer(client, page_cache, newsroom, committed):
    before = client.get("/fr/")
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        with committed():
            ArticleFactory(title_fr="Dernière minute", published_at=timezone.now())
        after = client.get(
            "/fr/",
            headers={
                "if-modified-since": before["Last-Modified"],
                "if-none-match": before["ETag"],
            },
        )
        by_date = client.get("/fr/", headers={"if-modified-since": before["Last-Modified"]})
    assert after.status_code == 200
    assert "Dernière minute" in after.content.decode()
    assert parse_http_date(after["Last-Modified"]) > parse_http_date(before["Last-Modified"])
    assert by_date.status_code == 200


def test_unpublishing_a_story_makes_the_lists_newer(client, page_cache, newsroom, committed):
    before = client.get("/fr/")
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        with committed():
            Article.objects.filter(pk=newsroom["other"].pk).unpublish()
        after = client.get("/fr/", headers={"if-modified-since": before["Last-Modified"]})
    assert after.status_code == 200


def test_editing_another_story_leaves_a_story_page_unchanged(
    client,
    page_cache,
    newsroom,
    committed,
):
    url = newsroom["story"].url_for("fr")
    before = client.get(url)
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        with committed():
            other = newsroom["other"]
            other.title_fr = "Autre titre"
            other.save()
        again = client.get(url, headers={"if-modified-since": before["Last-Modified"]})
    assert again.status_code == 304


# Redis keeps its own clock, which time-machine cannot move: its entries would not expire.
@pytest.mark.parametrize("page_cache", ["locmem"], indirect=True)
def test_a_scheduled_story_going_online_makes_the_home_page_newer(
    client,
    page_cache,
    newsroom,
    committed,
):
    now = timezone.now()
    with committed():
        ArticleFactory(title_fr="À l’heure dite", published_at=now + timedelta(minutes=10))
    before = client.get("/fr/")
    assert "À l’heure dite" not in before.content.decode()
    with time_machine.travel(now + timedelta(minutes=11)):
        after = client.get("/fr/", headers={"if-modified-since": before["Last-Modified"]})
        assert after.status_code == 200
        assert "À l’heure dite" in after.content.decode()
        assert parse_http_date(after["Last-Modified"]) >= (now + timedelta(minutes=10)).timestamp()


def test_without_the_page_cache_pages_still_carry_an_etag(client, newsroom):
    response = client.get("/fr/")
    assert "Last-Modified" not in response
    assert client.get("/fr/", headers={"if-none-match": response["ETag"]}).status_code == 304


def test_an_older_copy_by_date_gets_the_page(client, page_cache, newsroom):
    modified = parse_http_date(client.get("/fr/")["Last-Modified"])
    older = http_date(modified - 3600)
    assert client.get("/fr/", headers={"if-modified-since": older}).status_code == 200
