"""Editors merge duplicate tags: stories keep their tags, counts stay right, addresses lead on."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import DEFAULT_DB_ALIAS, connections

from articles.models import Article, Tag, TaggedArticle
from tests.factories import ArticleFactory, TagFactory
from tests.test_workflow import admin_url, signed_in

pytestmark = pytest.mark.django_db


def counts(tag):
    tag.refresh_from_db()
    return tag.story_count_fr, tag.story_count_en


@pytest.fixture
def duplicates():
    kept = TagFactory(name_fr="Corée du Nord", name_en="North Korea")
    twin = TagFactory(name_fr="Coree du nord", name_en="N. Korea")
    other = TagFactory(name_fr="Russie", name_en="Russia")
    only_twin, both, only_kept = ArticleFactory(english=True), ArticleFactory(), ArticleFactory()
    only_twin.set_tags([other, twin])
    both.set_tags([twin, other, kept])
    only_kept.set_tags([kept])
    return kept, twin, other, (only_twin, both, only_kept)


def test_merging_moves_every_story_to_the_kept_tag_in_its_place(duplicates):
    kept, twin, other, (only_twin, both, only_kept) = duplicates
    stories = kept.absorb([twin])
    assert set(stories) == {only_twin.pk, both.pk}
    assert not Tag.objects.filter(pk=twin.pk).exists()
    assert Article.objects.for_listing().get(pk=only_twin.pk).tag_list() == [other, kept]
    # The twin came first on this story: the kept tag takes its place, once.
    assert Article.objects.for_listing().get(pk=both.pk).tag_list() == [kept, other]
    assert TaggedArticle.objects.filter(tag=kept).count() == 3


def test_a_story_with_two_of_the_merged_tags_keeps_one_link_in_the_first_ones_place(duplicates):
    kept, twin, other, (only_twin, both, only_kept) = duplicates
    third = TagFactory(name_fr="Coree-du-Nord", name_en="Korea, North")
    only_twin.set_tags([other, twin, third])
    stories = kept.absorb([twin, third])
    assert set(stories) == {only_twin.pk, both.pk}
    assert Article.objects.for_listing().get(pk=only_twin.pk).tag_list() == [other, kept]
    assert Article.objects.for_listing().get(pk=only_kept.pk).tag_list() == [kept]
    assert TaggedArticle.objects.filter(tag=kept).count() == 3
    assert counts(kept) == (3, 1)


def test_merging_keeps_the_counts_right(duplicates):
    kept, twin, _other, _stories = duplicates
    kept.absorb([twin])
    assert counts(kept) == (3, 1)
    Tag.objects.filter(pk=kept.pk).refresh_story_counts()
    assert counts(kept) == (3, 1)


def test_the_merged_tags_addresses_lead_to_the_kept_tag_in_both_languages(client, duplicates):
    kept, twin, _other, _stories = duplicates
    kept.absorb([twin])
    response = client.get(f"/fr/etiquettes/{twin.slug_fr}/")
    assert response.status_code == 301
    assert response["Location"] == kept.url_for("fr")
    response = client.get(f"/en/tags/{twin.slug_en}/")
    assert response.status_code == 301
    assert response["Location"] == kept.url_for("en")


def test_an_editor_merges_from_the_tag_list_choosing_the_tag_to_keep(client, editor, duplicates):
    kept, twin, _other, _stories = duplicates
    client = signed_in(client, editor)
    url = admin_url("articles_tag_changelist")
    selection = {"action": "merge", ACTION_CHECKBOX_NAME: [str(kept.pk), str(twin.pk)]}
    confirm = client.post(url, selection)
    assert confirm.status_code == 200
    assert "Tag to keep" in confirm.content.decode()
    assert Tag.objects.filter(pk=twin.pk).exists()  # nothing merged before confirming
    done = client.post(url, selection | {"kept": str(kept.pk)})
    assert done.status_code == 302
    assert not Tag.objects.filter(pk=twin.pk).exists()
    assert counts(kept) == (3, 1)


@pytest.mark.parametrize("role", ["journalist", "translator"])
def test_only_an_editor_may_merge_tags_even_by_hand(client, request, role, duplicates):
    kept, twin, _other, _stories = duplicates
    client = signed_in(client, request.getfixturevalue(role))
    url = admin_url("articles_tag_changelist")
    page = client.get(url)
    assert 'value="merge"' not in page.content.decode()
    client.post(
        url,
        {"action": "merge", ACTION_CHECKBOX_NAME: [str(kept.pk), str(twin.pk)], "kept": kept.pk},
    )
    assert Tag.objects.filter(pk=twin.pk).exists()


def test_a_kept_tag_outside_the_selection_is_refused(client, editor, duplicates):
    kept, twin, other, _stories = duplicates
    client = signed_in(client, editor)
    client.post(
        admin_url("articles_tag_changelist"),
        {"action": "merge", ACTION_CHECKBOX_NAME: [str(kept.pk), str(twin.pk)], "kept": other.pk},
    )
    assert Tag.objects.filter(pk__in=[kept.pk, twin.pk]).count() == 2


class ReadsOnAReplica:
    """newsroom.db_routers' rule, with a replica that is not there: reads outside a
    transaction on the primary go to it."""

    def db_for_read(self, model, **hints):
        return DEFAULT_DB_ALIAS if connections[DEFAULT_DB_ALIAS].in_atomic_block else "replica"

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_bulk_retag_works_on_the_primary_when_reads_go_to_a_replica(duplicates, settings):
    kept, twin, _other, (only_twin, both, _only_kept) = duplicates
    settings.DATABASE_ROUTERS = [f"{__name__}.ReadsOnAReplica"]
    # Outside any transaction, as make bench-ops runs it.
    assert set(TaggedArticle.objects.filter(tag=twin).move_to(kept)) == {only_twin.pk, both.pk}
    settings.DATABASE_ROUTERS = []
    assert TaggedArticle.objects.filter(tag=kept).count() == 3
    assert not TaggedArticle.objects.filter(tag=twin).exists()
