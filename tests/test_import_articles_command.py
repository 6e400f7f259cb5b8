from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from articles.models import Article, Tag

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "import"
GOOD = "Tags\nRussie\n\n# Le front bouge\n\nPremier paragraphe.\n"


@pytest.fixture(autouse=True)
def _english_output():
    """The assertions read the English messages, whatever translations exist."""
    with translation.override("en"):
        yield


def run(*args, verbosity=1):
    out, err = StringIO(), StringIO()
    error = None
    try:
        call_command(
            "import_articles", *map(str, args), verbosity=verbosity, stdout=out, stderr=err
        )
    except CommandError as raised:
        error = raised
    return out.getvalue().splitlines(), err.getvalue().splitlines(), error


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_created_story_gets_one_line_with_its_title(tmp_path):
    path = write(tmp_path, "front.txt", GOOD)
    out, err, error = run(path, "--language", "fr")
    assert error is None
    assert err == []
    assert out[0] == f"created: {path} — Le front bouge"
    assert Article.objects.get().title_fr == "Le front bouge"


def test_each_file_gets_one_line_with_its_outcome(tmp_path):
    unchanged = write(tmp_path, "unchanged.txt", GOOD)
    updated = write(tmp_path, "updated.txt", "# Deuxième\n\nAvant.")
    run(unchanged, updated, "--language", "fr")
    updated.write_text("# Deuxième\n\nAprès.", encoding="utf-8")
    created = write(tmp_path, "created.txt", "# Troisième\n\nTexte.")

    out, _err, error = run(unchanged, updated, created, "--language", "fr")

    assert error is None
    assert [line.split(":")[0] for line in out[:3]] == ["unchanged", "updated", "created"]
    assert out[3] == "1 created, 1 updated, 1 unchanged, 0 failed."


def test_file_without_title_says_its_title_comes_from_the_body():
    out, _err, _error = run(DATA / "sans-titre.txt", "--language", "fr", "--publish")
    assert out[0].startswith(f"created: {DATA / 'sans-titre.txt'} — Le conseil municipal")
    assert out[0].endswith("(no title line: title taken from the body, not published)")
    assert Article.objects.get().status == Article.Status.DRAFT


def test_file_without_title_says_when_the_story_keeps_an_editors_title(tmp_path):
    path = write(tmp_path, "lyon.txt", "Le conseil a voté.\n\nÀ Lyon.")
    run(path, "--language", "fr")
    Article.objects.update(title_fr="Lyon ferme trois écoles")

    out, _err, _error = run(path, "--language", "fr", "--publish")

    assert out[0] == (
        f"unchanged: {path} — Lyon ferme trois écoles "
        "(no title line: the story’s title is kept, not published)"
    )


def test_importing_two_files_with_the_same_title_creates_two_stories(tmp_path):
    first = write(tmp_path, "a.txt", "# Les élections\n\nPremier texte.")
    second = write(tmp_path, "b.txt", "# Les Élections !\n\nSecond texte.")

    out, _err, error = run(first, second, "--language", "fr")

    assert error is None
    assert out[-1] == "2 created, 0 updated, 0 unchanged, 0 failed."
    assert Article.objects.count() == 2


def test_importing_again_changes_nothing_and_creates_no_duplicate(tmp_path):
    path = write(tmp_path, "front.txt", GOOD)
    run(path, "--language", "fr", "--publish")
    out, _err, _error = run(path, "--language", "fr", "--publish")
    assert out[-1] == "0 created, 0 updated, 1 unchanged, 0 failed."
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n\t\n", "empty file (only whitespace)"),
        ("# Été\n\nDéjà".encode("latin-1"), "not UTF-8 (invalid byte 0xc9 at position 2)"),
        (b"GIF89a\x01\x00\x01\x00\x00\xff\x00,", "not text (contains NUL bytes)"),
        (b"Tags\nRussie\n\n# Titre\n", "no body text"),
    ],
)
def test_bad_file_fails_with_one_line_while_good_files_still_import(tmp_path, content, reason):
    before = write(tmp_path, "before.txt", GOOD)
    bad = write(tmp_path, "bad.txt", content)
    after = write(tmp_path, "after.txt", "# Autre histoire\n\nTexte.")

    out, err, error = run(before, bad, after, "--language", "fr")

    assert err == [f"failed: {bad}: {reason}"]
    assert [line.split(":")[0] for line in out[:2]] == ["created", "created"]
    assert out[2] == "2 created, 0 updated, 0 unchanged, 1 failed."
    assert isinstance(error, CommandError)
    assert set(Article.objects.values_list("title_fr", flat=True)) == {
        "Le front bouge",
        "Autre histoire",
    }


def test_missing_file_fails_with_one_line_naming_it(tmp_path):
    good = write(tmp_path, "good.txt", GOOD)
    missing = tmp_path / "absent.txt"

    out, err, error = run(missing, good, "--language", "fr")

    assert err == [f"failed: {missing}: file not found"]
    assert out[0].startswith("created:")
    assert "1 of 2 files could not be imported" in str(error)
    assert Article.objects.count() == 1


def test_failed_file_leaves_no_trace_in_the_database(tmp_path):
    bad = write(tmp_path, "bad.txt", "Mots-clés\nTag neuf\n\n# Titre sans texte\n")
    _out, err, error = run(bad, "--language", "fr")
    assert error is not None
    assert len(err) == 1
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_command_fails_when_any_file_failed(tmp_path):
    bad = write(tmp_path, "bad.txt", b"\x00\x01")
    with pytest.raises(CommandError):
        call_command(
            "import_articles", str(bad), language="fr", stdout=StringIO(), stderr=StringIO()
        )


def test_dry_run_reports_but_writes_nothing(tmp_path):
    path = write(tmp_path, "front.txt", GOOD)
    out, _err, error = run(path, "--language", "fr", "--dry-run")
    assert error is None
    assert out[0] == f"created: {path} — Le front bouge"
    assert out[-1].endswith("Dry run: nothing was written.")
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_dry_run_of_an_imported_file_reports_it_unchanged(tmp_path):
    path = write(tmp_path, "front.txt", GOOD)
    run(path, "--language", "fr")
    out, _err, _error = run(path, "--language", "fr", "--dry-run")
    assert out[0].startswith("unchanged:")


def test_publish_option_publishes(tmp_path):
    run(write(tmp_path, "front.txt", GOOD), "--language", "fr", "--publish")
    assert Article.objects.get().is_published()


def test_english_option_imports_into_english_columns():
    run(DATA / "budget.txt", "--language", "en")
    article = Article.objects.get()
    assert article.title_en == "Parliament votes on the budget"
    assert not article.title_fr


def test_verbosity_zero_prints_only_failures(tmp_path):
    good = write(tmp_path, "good.txt", GOOD)
    bad = write(tmp_path, "bad.txt", b"")
    out, err, error = run(good, bad, "--language", "fr", verbosity=0)
    assert out == []
    assert err == [f"failed: {bad}: empty file"]
    assert error is not None
    assert Article.objects.count() == 1


def test_unknown_language_is_rejected(tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_articles", str(write(tmp_path, "a.txt", GOOD)), "--language", "de")


def test_help_text_can_be_shown():
    from articles.management.commands.import_articles import Command

    help_text = Command().create_parser("manage.py", "import_articles").format_help()
    assert "--dry-run" in help_text
    assert "paragraphs separated by blank lines" in help_text
    assert "stories written in the admin are never changed" in " ".join(help_text.split())
