"""`make bench-ops` (bench/operations.py) on a small corpus: it retags the biggest tag's links
and moves them back, leaving the corpus as it was, and reports each step.

Committed (``transaction=True``): the retag's ANALYZE runs when it commits. Timings are the
benchmark's business; nothing here looks at them.
"""

import pytest

from articles.models import Tag, TaggedArticle, TagPair
from bench import operations
from bench.measure import bench_settings
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def corpus():
    big, *others = TagFactory.create_batch(4)
    for number in range(9):
        ArticleFactory(tags=[big, others[number % 3]] if number % 4 else [others[number % 3], big])
    ArticleFactory(tags=others[:2])
    return big


def stored():
    return {
        "links": sorted(TaggedArticle.objects.values_list("pk", "tag", "content_object")),
        "tags": sorted(
            Tag.objects.values_list("pk", "name_fr", "story_count_fr", "story_count_en")
        ),
        "pairs": sorted(
            TagPair.objects.values_list("tag", "other", "story_count_fr", "story_count_en")
        ),
    }


def retag_and_back():
    with bench_settings():
        return operations.retag_and_back(repeat=2, budget=1, log=lambda message: None)


def test_the_biggest_tags_links_go_to_a_fresh_tag_and_back_leaving_the_corpus_as_it_was(corpus):
    before = stored()
    tag, steps = retag_and_back()
    assert tag == corpus
    assert [(step.name, step.links) for step in steps] == [
        ("before", 9),
        ("after the bulk retag", 9),
        ("after moving them back", 9),
    ]
    assert steps[1].url != steps[0].url == steps[2].url == corpus.url_for("fr")
    assert stored() == before


def test_each_retag_leaves_the_links_table_analysed(corpus):
    _tag, steps = retag_and_back()
    assert [step.changed_since_analyze for step in steps[1:]] == [0, 0]
    assert steps[1].last_analyze is not None


def test_the_report_is_a_markdown_table_of_the_three_steps(corpus):
    tag, steps = retag_and_back()
    text = operations.table(tag, steps)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| step | links | median ms |")
    assert [row.split(" | ")[0] for row in rows[1:]] == [
        "| before",
        "| after the bulk retag",
        "| after moving them back",
    ]
    assert all(row.split(" | ")[1] == "9" for row in rows[1:])


def test_a_run_killed_halfway_is_repaired_by_the_next(corpus):
    before = stored()
    label = operations.TEMPORARY_NAME.format(pk=corpus.pk)
    left = Tag.objects.create(name_fr=label, name_en=label)
    TaggedArticle.objects.filter(tag=corpus).move_to(left)
    operations.repair(log=lambda message: None)
    assert not Tag.objects.filter(pk=left.pk).exists()
    assert stored() == before


def test_once_measured_the_tables_it_changed_are_vacuumed(corpus):
    retag_and_back()
    assert operations.link_table_stats()[0] > 0  # dead rows: the moved links' old versions
    operations.vacuum_after(log=lambda message: None)
    dead_rows, changed_since_analyze, _analyzed, vacuumed = operations.link_table_stats()
    assert (dead_rows, changed_since_analyze) == (0, 0)
    assert vacuumed is not None
