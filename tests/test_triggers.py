"""The triggers of migration 0004 under concurrent writes, through two real connections."""

import threading

import pytest

from articles.models import Article, TaggedArticle
from tests.factories import ArticleFactory, TagFactory
from tests.servers import connect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tag_added_while_the_story_is_published_is_counted():
    """Tagging (not committed yet) and publishing at once: neither may miss the other."""
    tag = TagFactory()
    story = ArticleFactory(draft=True)
    with connect() as tagging, connect() as publishing:
        tagging.execute(
            "INSERT INTO articles_taggedarticle (tag_id, content_object_id) VALUES (%s, %s)",
            [tag.pk, story.pk],
        )

        def publish():
            publishing.execute(
                "UPDATE articles_article SET status = 'published', published_at = now()"
                " WHERE id = %s",
                [story.pk],
            )
            publishing.commit()

        thread = threading.Thread(target=publish)
        thread.start()
        thread.join(timeout=1)  # publishing waits for the tagging transaction
        tagging.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
    tag.refresh_from_db()
    link = TaggedArticle.objects.get(content_object=story)
    assert tag.story_count_fr == 1
    assert link.published_at == Article.objects.get(pk=story.pk).published_at


def test_moving_a_link_to_another_tag_moves_the_count():
    first, second = TagFactory(), TagFactory()
    story = ArticleFactory(tags=[first])
    TaggedArticle.objects.filter(content_object=story).update(tag=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.story_count_fr, second.story_count_fr) == (0, 1)
