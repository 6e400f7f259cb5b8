"""Related stories at the end of a story: the most tags shared, the newest among equals."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import models
from articles.models import Article
from tests.factories import ArticleFactory, TagFactory
from tests.test_cache import committed, page_cache, state, warm  # noqa: F401
from tests.test_front_page import parsed

pytestmark = pytest.mark.django_db


def related(response):
    return [a.text for a in parsed(response).xpath("//aside[@class='related-stories']//li/a")]


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


@pytest.fixture
def tags():
    return TagFactory.create_batch(4)


def test_the_stories_sharing_the_most_tags_come_first_then_the_newest(client, tags):
    a, b, c, d = tags
    story = ArticleFactory(tags=[a, b, c], published_at=hours_ago(50))
    two_old = ArticleFactory(tags=[a, b], published_at=hours_ago(40), title_fr="Deux, ancien")
    two_new = ArticleFactory(tags=[b, c, d], published_at=hours_ago(2), title_fr="Deux, récent")
    three = ArticleFactory(tags=[a, b, c], published_at=hours_ago(30), title_fr="Trois")
    one = ArticleFactory(tags=[c], published_at=hours_ago(1), title_fr="Un")
    ArticleFactory(tags=[d], published_at=hours_ago(1), title_fr="Aucun")
    assert related(client.get(story.url_for("fr"))) == [
        three.title_fr,
        two_new.title_fr,
        two_old.title_fr,
        one.title_fr,
    ]


def test_a_handful_at_most_and_never_the_story_itself(client, tags):
    story = ArticleFactory(tags=tags)
    ArticleFactory.create_batch(6, tags=tags)
    shown = related(client.get(story.url_for("fr")))
    assert len(shown) == models.RELATED_STORIES
    assert story.title_fr not in shown


def test_only_stories_readable_in_the_pages_language(client, tags):
    story = ArticleFactory(tags=tags, english=True)
    translated = ArticleFactory(tags=tags[:1], english=True, title_fr="Traduit")
    ArticleFactory(tags=tags, title_fr="Seulement en français")
    ArticleFactory(tags=tags, draft=True, title_fr="Brouillon")
    ArticleFactory(
        tags=tags, published_at=timezone.now() + timedelta(hours=1), title_fr="Plus tard"
    )
    assert related(client.get(story.url_for("en"))) == [translated.title_en]
    assert sorted(related(client.get(story.url_for("fr")))) == ["Seulement en français", "Traduit"]


def test_a_story_without_tags_has_no_related_stories(client, tags):
    ArticleFactory.create_batch(2, tags=tags)
    story = ArticleFactory()
    assert not parsed(client.get(story.url_for("fr"))).xpath("//aside")


def test_only_each_tags_newest_links_are_read(client, tags, monkeypatch):
    """The bound: an old story sharing every tag, behind newer ones in each, is not found."""
    monkeypatch.setattr(models, "RELATED_CANDIDATES_PER_TAG", 3)
    story = ArticleFactory(tags=tags[:2], published_at=hours_ago(100))
    old = ArticleFactory(tags=tags[:2], published_at=hours_ago(90), title_fr="Ancien")
    for hours in range(3):
        ArticleFactory(tags=tags[:1], published_at=hours_ago(hours))
        ArticleFactory(tags=tags[1:2], published_at=hours_ago(hours))
    assert old.title_fr not in related(client.get(story.url_for("fr")))
    monkeypatch.setattr(models, "RELATED_CANDIDATES_PER_TAG", 40)
    assert related(client.get(story.url_for("fr")))[0] == old.title_fr


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_story_page_with_related_stories_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, language
):
    tags = TagFactory.create_batch(12)
    for index in range(60):
        ArticleFactory(tags=tags[index % 5 :][:8], english=True)
    story = ArticleFactory(tags=tags, english=True)
    with django_assert_max_num_queries(5):
        response = client.get(story.url_for(language))
    assert len(related(response)) == models.RELATED_STORIES


def test_related_stories_are_found_by_one_query_of_each_tags_index(client):
    tags = TagFactory.create_batch(models.RELATED_TAGS + 2)
    for _ in range(5):
        ArticleFactory(tags=tags)
    story = ArticleFactory(tags=tags)
    with CaptureQueriesContext(connection) as queries:
        client.get(story.url_for("fr"))
    (sql,) = [q["sql"] for q in queries.captured_queries if " UNION " in q["sql"]]
    with connection.cursor() as cursor:
        # As in tests/test_query_plans.py: the tiny test tables are otherwise scanned or sorted.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
    # Each of the first RELATED_TAGS tags' links, newest first, from the tag page's index.
    assert plan.count("tagged_article_published_idx") == models.RELATED_TAGS, plan
    assert "Seq Scan" not in plan, plan
    # Only the few related stories are sorted, by shared tags: not the tags' links.
    assert plan.count("Sort") <= 2, plan


# The page cache: the related stories change when the stories they are chosen from do.


def test_publishing_a_story_with_a_shared_tag_renews_the_story_page(client, page_cache, committed):  # noqa: F811
    with committed():
        shared, alone = TagFactory(), TagFactory()
        story = ArticleFactory(tags=[shared])
        unrelated = ArticleFactory(tags=[alone])
        fresh = ArticleFactory(tags=[shared], draft=True, title_fr="Tout frais")
    warm(client, [story.url_for("fr"), unrelated.url_for("fr")])
    with committed():
        Article.objects.filter(pk=fresh.pk).publish()
    assert related(client.get(story.url_for("fr"))) == ["Tout frais"]
    assert state(client, unrelated.url_for("fr")) == "hit"


def test_retitling_a_related_story_renews_the_pages_that_show_it(client, page_cache, committed):  # noqa: F811
    with committed():
        shared = TagFactory()
        story = ArticleFactory(tags=[shared])
        neighbour = ArticleFactory(tags=[shared])
    warm(client, [story.url_for("fr")])
    with committed():
        neighbour.title_fr = "Nouveau titre"
        neighbour.save()
    assert related(client.get(story.url_for("fr"))) == ["Nouveau titre"]


def test_unpublishing_a_related_story_takes_it_off(client, page_cache, committed):  # noqa: F811
    with committed():
        shared = TagFactory()
        story = ArticleFactory(tags=[shared])
        neighbour = ArticleFactory(tags=[shared])
    warm(client, [story.url_for("fr")])
    with committed():
        Article.objects.filter(pk=neighbour.pk).unpublish()
    assert related(client.get(story.url_for("fr"))) == []
