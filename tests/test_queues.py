"""Where each role starts: the queues on the admin's home page and the lists behind them."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article
from tests.factories import ArticleFactory
from tests.test_workflow import admin_url, save, signed_in

pytestmark = pytest.mark.django_db


def queue_links(response):
    """{queue key: (label, url, count)} from the page's "Your work" panel."""
    found = {}
    pattern = (
        r'<li class="queue-([\w-]+)"><a href="([^"]+)">([^<]+)</a> '
        r'<span class="queue-count">\(([^)]+)\)'
    )
    for key, url, label, count in re.findall(pattern, response.content.decode()):
        found[key] = (label, url.replace("&amp;", "&"), count)
    return found


def listed(client, url):
    return [story.pk for story in client.get(url).context["cl"].result_list]


def submitted(journalist, client, **fields):
    story = ArticleFactory(draft=True, **fields)
    story.authors.add(journalist)
    save(signed_in(client, journalist), story, status=Article.Status.REVIEW)
    return Article.objects.get(pk=story.pk)


def test_an_editor_starts_from_the_review_queue_oldest_first_with_who_and_when(
    client, journalist, editor
):
    first = submitted(journalist, client, title_fr="Premier soumis")
    second = submitted(journalist, client, title_fr="Second soumis")
    Article.objects.filter(pk=second.pk).update(
        status_changed_at=first.status_changed_at - timedelta(hours=1)
    )
    ArticleFactory(draft=True)  # not submitted
    client = signed_in(client, editor)
    home = queue_links(client.get(admin_url("index")))
    label, url, count = home["review"]
    assert (label, count) == ("Submitted for review", "2")
    assert listed(client, url) == [second.pk, first.pk]
    page = client.get(url).content.decode()
    assert "Yanis Haddad" in page  # who submitted it


def test_a_submission_records_who_and_when_on_the_story(client, journalist):
    story = submitted(journalist, client)
    assert story.status_changed_by == journalist
    assert timezone.now() - story.status_changed_at < timedelta(minutes=1)


def test_a_journalist_starts_from_their_own_stories(client, journalist):
    mine = ArticleFactory(draft=True)
    mine.authors.add(journalist)
    ArticleFactory(draft=True)  # someone else's
    client = signed_in(client, journalist)
    home = queue_links(client.get(admin_url("index")))
    assert "review" not in home
    label, url, count = home["mine"]
    assert (label, count) == ("My stories", "1")
    assert listed(client, url) == [mine.pk]


def test_a_translator_starts_from_what_to_translate_and_what_is_outdated(client, translator):
    to_translate = ArticleFactory()
    in_progress = ArticleFactory(title_en="Being written", body_en="<p>Text.</p>")
    ArticleFactory(draft=True)  # not worth translating yet
    outdated = ArticleFactory(english=True)
    outdated.title_fr = "Titre corrigé"
    outdated.save()
    ArticleFactory(english=True)  # done
    client = signed_in(client, translator)
    home = queue_links(client.get(admin_url("index")))
    assert set(home) == {"translate_en", "outdated_en"}
    label, url, count = home["translate_en"]
    assert (label, count) == ("To translate into English", "2")
    assert listed(client, url) == [to_translate.pk, in_progress.pk]
    label, url, count = home["outdated_en"]
    assert (label, count) == ("Translation outdated (English)", "1")
    assert listed(client, url) == [outdated.pk]


def test_queue_counts_stop_at_the_limit(monkeypatch):
    monkeypatch.setattr(workflow, "QUEUE_COUNT_LIMIT", 2)
    ArticleFactory.create_batch(3)
    assert workflow.queue_count(Article.objects.needing_translation("en")) == "2+"
    assert workflow.queue_count(Article.objects.outdated("en")) == "0"


def test_the_queues_are_in_french_for_a_french_admin(client, translator):
    client = signed_in(client, translator)
    home = queue_links(client.get(admin_url("index", language="fr")))
    assert home["translate_en"][0] == "À traduire (Anglais)"


def test_the_home_page_runs_a_fixed_number_of_queries(
    client, editor, django_assert_max_num_queries
):
    ArticleFactory.create_batch(20)
    client = signed_in(client, editor)
    with django_assert_max_num_queries(12):
        response = client.get(admin_url("index"))
    assert len(queue_links(response)) == 2 + 2 * 2


def test_an_unknown_queue_in_the_address_is_refused(client, editor):
    response = signed_in(client, editor).get(
        admin_url("articles_article_changelist"), {"queue": "nonsense"}
    )
    assert response.status_code in (302, 400)
