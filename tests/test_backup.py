"""Backups (newsroom/backups.py): a corpus backed up and restored into an empty database
comes back row for row and byte for byte; a tampered archive or a database that is not
empty is refused before anything is written.

pg_dump and pg_restore work in connections of their own, so these tests commit
(transaction=True) and restore into a database of their own on the same server.
"""

import hashlib
import io
import re
import tarfile
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from articles import revisions, workflow
from articles.models import Correction, FrontPage, FrontPagePin, LanguageState
from newsroom import backups
from tests.factories import ArticleFactory, ImageFactory, StaffFactory, TagFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_on_server(statement):
    server = {**connection.settings_dict, "NAME": "postgres"}
    with backups.connect(server, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def empty_database():
    """The settings of a new, empty database on the test database's server, dropped after."""
    target = {**connection.settings_dict, "NAME": f"{connection.settings_dict['NAME']}_restored"}
    name = sql.Identifier(target["NAME"])
    run_on_server(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    run_on_server(sql.SQL("CREATE DATABASE {}").format(name))
    yield target
    run_on_server(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


@pytest.fixture
def empty_storage(tmp_path):
    return FileSystemStorage(location=tmp_path / "restored-media")


@pytest.fixture
def corpus():
    """Stories in both languages with tags, authors, revisions, corrections, a front-page
    pin and a picture with its renditions."""
    workflow.ensure_roles()
    FrontPage.ensure_all()
    chief = StaffFactory(username="chef")
    tags = [TagFactory() for _ in range(3)]
    image = ImageFactory()
    stories = [
        ArticleFactory(english=True, tags=tags[:2], authors=[chief], lead_image=image),
        ArticleFactory(tags=tags[1:], title_en="Not ready", state_en=LanguageState.IN_PROGRESS),
        ArticleFactory(draft=True, tags=[tags[0]]),
    ]
    for number, story in enumerate(stories):
        with revisions.new_revision(chief, "Première version"):
            story.save()
            revisions.record(story)
        story.body_fr += f"<p>Ajout {number}.</p>"
        with revisions.new_revision(chief, "Un ajout"):
            story.save()
            revisions.record(story)
    Correction.objects.create(story=stories[0], language="fr", text="Une erreur.", by=chief)
    Correction.objects.create(story=stories[0], language="en", text="A mistake.", by=chief)
    FrontPagePin.objects.create(
        front_page=FrontPage.objects.get(language="fr"), story=stories[0], position=1
    )
    return stories


def contents(database):
    """Every row of every table as text, every sequence's state, every index and trigger."""
    with backups.connect(database) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        rows = {
            table: conn.execute(
                sql.SQL("SELECT t::text FROM {} t ORDER BY 1").format(sql.Identifier(table))
            ).fetchall()
            for table in tables
        }
        sequences = {
            name: conn.execute(
                sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(name))
            ).fetchone()
            for (name,) in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        }
        # A partial index's condition reads back differently once restored (PostgreSQL
        # prints `x = ANY ((ARRAY['a'::varchar])::text[])` and parses it back as
        # `ARRAY[('a'::varchar)::text]`): compared up to its WHERE, see partial_index_plans.
        indexes = [
            definition.split(" WHERE ")[0]
            for (definition,) in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        triggers = conn.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal "
            "ORDER BY 1, 2"
        ).fetchall()
    return rows, sequences, indexes, triggers


def partial_index_plans(database, conditions):
    """The indexes PostgreSQL reads to answer a query on each (table, condition),
    sequential scans switched off."""
    used = []
    with backups.connect(database) as conn:
        conn.execute("SET enable_seqscan = off")
        for table, condition in conditions:
            # The table and condition are the catalog's own.
            query = f"EXPLAIN (COSTS OFF) SELECT 1 FROM {table} WHERE {condition}"  # noqa: S608
            plan = conn.execute(query)
            text = "\n".join(line for (line,) in plan)
            used.append(sorted(re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", text)))
    return used


def partial_index_conditions(database):
    with backups.connect(database) as conn:
        return conn.execute(
            "SELECT tablename, split_part(indexdef, ' WHERE ', 2) FROM pg_indexes "
            "WHERE schemaname = 'public' AND indexdef LIKE '% WHERE %' ORDER BY indexname"
        ).fetchall()


def media_checksums(storage):
    return {
        name: hashlib.sha256(storage.open(name).read()).hexdigest()
        for name in backups.media_names(storage)
    }


def test_a_restored_backup_holds_every_row_and_every_media_file_again(
    corpus, tmp_path, empty_database, empty_storage
):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    backups.restore(archive, database=empty_database, storage=empty_storage)

    rows, sequences, indexes, triggers = contents(connection.settings_dict)
    # The comparison below is worth something only if the corpus is all there.
    for table in [
        "articles_article",
        "articles_tag",
        "articles_taggedarticle",
        "articles_article_authors",
        "articles_correction",
        "articles_frontpagepin",
        "articles_image",
        "reversion_revision",
        "reversion_version",
        "auth_user",
        "auth_group_permissions",
        "django_migrations",
    ]:
        assert rows[table], table
    assert any("Story number" in row for (row,) in rows["articles_article"])
    assert (rows, sequences, indexes, triggers) == contents(empty_database)
    # The restored partial indexes answer the queries the original ones answer.
    conditions = partial_index_conditions(connection.settings_dict)
    assert conditions
    plans = partial_index_plans(connection.settings_dict, conditions)
    assert all(plans)
    assert partial_index_plans(empty_database, conditions) == plans

    media = media_checksums(default_storage)
    assert any("/originals/" in name for name in media)
    assert any("/renditions/" in name for name in media)
    assert media_checksums(empty_storage) == media


def test_the_manifest_records_the_applied_migrations(corpus, tmp_path):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    with tarfile.open(archive) as tar:
        manifest = backups.read_manifest(tar, archive)
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = set(cursor.fetchall())
    recorded = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    assert recorded == applied


def tampered(archive, name):
    """A copy of ``archive`` with one byte of its file ``name`` changed, manifest kept."""
    copy = archive.with_name("tampered.tar")
    with tarfile.open(archive) as source, tarfile.open(copy, "w") as target:
        for member in source.getmembers():
            data = bytearray(source.extractfile(member).read())
            if member.name == name:
                data[len(data) // 2] ^= 0xFF
            target.addfile(member, io.BytesIO(bytes(data)))
    return copy


def a_media_file(archive):
    with tarfile.open(archive) as tar:
        return next(name for name in tar.getnames() if name.startswith("media/"))


@pytest.mark.parametrize("altered", ["database.dump", "a media file"])
def test_restore_refuses_a_tampered_archive_naming_the_file_and_writes_nothing(
    altered, corpus, tmp_path, empty_database, empty_storage
):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    name = a_media_file(archive) if altered == "a media file" else altered

    with pytest.raises(backups.BackupError) as refused:
        backups.restore(tampered(archive, name), database=empty_database, storage=empty_storage)

    assert name in str(refused.value)
    assert "somme de contrôle" in str(refused.value)
    assert backups.tables(empty_database) == []
    assert list(backups.media_names(empty_storage)) == []


def test_restore_refuses_a_database_that_is_not_empty_and_leaves_it_unchanged(
    corpus, tmp_path, empty_database, empty_storage
):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    with backups.connect(empty_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (text text)")
        conn.execute("INSERT INTO notes VALUES ('à garder')")
    before = contents(empty_database)

    with pytest.raises(backups.BackupError) as refused:
        backups.restore(archive, database=empty_database, storage=empty_storage)

    assert "n’est pas vide" in str(refused.value)
    assert "--force" in str(refused.value)
    assert contents(empty_database) == before
    assert list(backups.media_names(empty_storage)) == []


def test_a_forced_restore_puts_back_what_the_backup_holds(
    corpus, tmp_path, empty_database, empty_storage
):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    backups.restore(archive, database=empty_database, storage=empty_storage)
    with backups.connect(empty_database, autocommit=True) as conn:
        conn.execute("UPDATE articles_article SET title_fr = 'Changé depuis'")
        conn.execute("DELETE FROM articles_correction")
    for name in backups.media_names(empty_storage):
        empty_storage.delete(name)
        break

    backups.restore(archive, database=empty_database, storage=empty_storage, force=True)

    assert contents(empty_database) == contents(connection.settings_dict)
    assert media_checksums(empty_storage) == media_checksums(default_storage)


def test_the_restore_command_refuses_the_sites_own_database_in_one_line(corpus, tmp_path):
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), verbosity=0)
    with pytest.raises(CommandError, match="n’est pas vide"):
        call_command("restore", str(archive), verbosity=0)
    assert Path(archive).is_file()


def test_the_programs_chosen_are_of_the_servers_version_or_newer():
    major, _version = backups.server_version(connection.settings_dict)
    for name in ["pg_dump", "pg_restore"]:
        path, found = backups.program(name, major)
        assert found >= major
        assert path.name == name


def test_a_missing_program_is_named_with_the_version_needed():
    with pytest.raises(backups.BackupError, match="pg_dump de PostgreSQL 99 ou plus récent"):
        backups.program("pg_dump", 99)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, empty_database, empty_storage):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file")
    with pytest.raises(backups.BackupError, match="junk.tar n’est pas une sauvegarde"):
        backups.restore(junk, database=empty_database, storage=empty_storage)
    assert backups.tables(empty_database) == []


def test_a_dry_run_checks_everything_and_restores_nothing(
    corpus, tmp_path, empty_database, empty_storage
):
    archive = tmp_path / "backup.tar"
    backups.create(archive)
    summary = backups.restore(archive, database=empty_database, storage=empty_storage, dry_run=True)
    assert summary.media_files > 0
    assert summary.unknown_migrations == summary.pending_migrations == []
    assert backups.tables(empty_database) == []
    assert list(backups.media_names(empty_storage)) == []
