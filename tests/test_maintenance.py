"""The tables' care at scale: autovacuum settings of their own (migrations 0013, 0017), and
bulk operations leaving the tables they changed analysed (articles/maintenance.py).

PostgreSQL counts a table's changed rows since its last ANALYZE
(``pg_stat_user_tables.n_mod_since_analyze``) only once the writing transaction commits, so
these tests commit (``transaction=True``): inside a test's transaction the count never moves.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles import maintenance
from articles.models import Article, Tag, TaggedArticle, TagPair
from tests.factories import ArticleFactory, TagFactory
from tests.test_workflow import admin_url, signed_in

BULK_TABLES = (Article, TaggedArticle, TagPair, Tag)


def reloptions(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        return dict(option.split("=", 1) for option in cursor.fetchone()[0] or [])


def changed_since_analyze(*models):
    """{table: rows changed since its last ANALYZE}, with this connection's counts sent."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # Sent at the end of this statement; read afresh by the next.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        return dict(cursor.fetchall())


def settled(*models):
    """ANALYZE the tables, so that what is counted next is the operation's alone."""
    maintenance.analyze(*models)
    assert set(changed_since_analyze(*models).values()) == {0}


@pytest.mark.django_db
def test_the_story_table_has_autovacuum_settings_for_a_million_rows():
    assert reloptions("articles_article") == {
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_threshold": "1000",
        "autovacuum_vacuum_insert_scale_factor": "0.01",
        "autovacuum_vacuum_insert_threshold": "1000",
        "autovacuum_analyze_scale_factor": "0.005",
        "autovacuum_analyze_threshold": "1000",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["articles_taggedarticle", "articles_tagpair"])
def test_the_tag_tables_keep_their_autovacuum_settings(table):
    assert reloptions(table) == {
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_insert_scale_factor": "0.01",
        "autovacuum_analyze_scale_factor": "0.02",
    }


@pytest.mark.django_db(transaction=True)
def test_the_story_table_settings_are_undone_by_migrating_back():
    executor = MigrationExecutor(connection)
    executor.migrate([("articles", "0016_chiefs_unlock_accounts")])
    try:
        assert reloptions("articles_article") == {}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("articles"))
    assert reloptions("articles_article")["autovacuum_analyze_scale_factor"] == "0.005"


@pytest.mark.django_db(transaction=True)
def test_a_tag_merge_leaves_the_tag_tables_analysed(client, editor):
    kept, twin, other = TagFactory.create_batch(3)
    for number in range(6):
        ArticleFactory(tags=[twin if number % 2 else kept, other])
    settled(TaggedArticle, TagPair, Tag)
    signed_in(client, editor).post(
        admin_url("articles_tag_changelist"),
        {"action": "merge", ACTION_CHECKBOX_NAME: [kept.pk, twin.pk], "kept": kept.pk},
    )
    assert TaggedArticle.objects.filter(tag=kept).count() == 6
    assert changed_since_analyze(TaggedArticle, TagPair, Tag) == {
        "articles_taggedarticle": 0,
        "articles_tagpair": 0,
        "articles_tag": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_a_bulk_retag_leaves_the_tag_tables_analysed():
    old, new = TagFactory.create_batch(2)
    ArticleFactory.create_batch(3, tags=[old])
    settled(TaggedArticle, TagPair, Tag)
    assert len(TaggedArticle.objects.filter(tag=old).move_to(new)) == 3
    assert set(changed_since_analyze(TaggedArticle, TagPair, Tag).values()) == {0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "draft"), [("publish", True), ("unpublish", False)])
def test_publishing_or_unpublishing_in_bulk_leaves_the_tables_analysed(
    client, editor, action, draft
):
    stories = ArticleFactory.create_batch(3, draft=draft, tags=TagFactory.create_batch(2))
    settled(*BULK_TABLES)
    client = signed_in(client, editor)
    client.post(
        admin_url("articles_article_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [story.pk for story in stories]},
    )
    assert Article.objects.published().count() == (3 if draft else 0)
    assert set(changed_since_analyze(*BULK_TABLES).values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_an_import_leaves_the_tables_it_wrote_analysed(tmp_path):
    ArticleFactory()
    settled(*BULK_TABLES)
    paths = []
    for number in range(3):
        path = tmp_path / f"story-{number}.txt"
        path.write_text(f"Mots-clés\nImport {number}, Commun\n\n# Titre {number}\n\nTexte.\n")
        paths.append(str(path))
    call_command("import_articles", *paths, "--language=fr", "--publish", verbosity=0)
    assert Article.objects.filter(import_source__startswith="fr:story-").count() == 3
    assert set(changed_since_analyze(*BULK_TABLES).values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_import_analyses_nothing(tmp_path):
    settled(*BULK_TABLES)
    path = tmp_path / "story.txt"
    path.write_text("# Titre\n\nTexte.\n")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", ["articles_article"]
        )
        before = cursor.fetchone()[0]
    call_command("import_articles", str(path), "--language=fr", "--dry-run", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", ["articles_article"]
        )
        assert cursor.fetchone()[0] == before


@pytest.mark.django_db
def test_the_database_check_warns_when_the_server_does_not_vacuum():
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        (setting,) = cursor.fetchone()
    found = maintenance.autovacuum_is_on(databases=["default"])
    assert [warning.id for warning in found] == ([] if setting == "on" else ["articles.W001"])
    for warning in found:
        assert f"autovacuum is {setting}" in warning.msg


@pytest.mark.django_db
def test_the_check_is_run_by_manage_py_check_with_the_database(capsys):
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        (setting,) = cursor.fetchone()
    call_command("check", databases=["default"])
    output = capsys.readouterr()
    assert ("articles.W001" in output.out + output.err) == (setting != "on")
    # Without the database, database checks are not run.
    call_command("check")
    output = capsys.readouterr()
    assert "articles.W001" not in output.out + output.err
