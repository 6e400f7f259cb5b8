from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import timezone, translation

from articles.importers import (
    DERIVED_TITLE_LENGTH,
    Outcome,
    Story,
    StoryFileError,
    decode_story_file,
    import_file,
    import_story,
    parse_story,
)
from articles.models import Article, Tag
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "import"
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _english_reasons(_french_by_default):
    """The reasons are asserted in English; the French catalog has its own test."""
    with translation.override("en"):
        yield


class _Paragraphs(HTMLParser):
    """The text a reader sees in each <p>, one string per line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.paragraphs.append([""])
        elif tag == "br":
            self.paragraphs[-1].append("")

    def handle_data(self, data):
        self.paragraphs[-1][-1] += data


def read_paragraphs(html):
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    return [tuple(lines) for lines in parser.paragraphs]


def write(tmp_path, text, name="story.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


STORY = "Tags\nRussie, Ukraine\n\n# Le front bouge\n\nPremier paragraphe.\n\nSecond paragraphe.\n"


# Parsing


@pytest.mark.parametrize("label", ["Tags", "tags", "Étiquettes", "MOTS-CLÉS", "Mots-clés :"])
def test_tag_block_label_is_recognised_whatever_its_case(label):
    story = parse_story(f"{label}\nRussie, Corée du Nord\n# Titre\n\nTexte.")
    assert story.tags == ("Russie", "Corée du Nord")
    assert story.title == "Titre"
    assert story.paragraphs == (("Texte.",),)


def test_tag_label_in_decomposed_unicode_is_recognised():
    story = parse_story("Mots-cle\u0301s\nRussie\n\nTexte.")
    assert story.tags == ("Russie",)


def test_file_without_tag_block_has_no_tags():
    story = parse_story("# Titre\n\nTexte.")
    assert story.tags == ()
    assert story.paragraphs == (("Texte.",),)


def test_title_line_gives_the_title():
    story = parse_story("# Le front bouge  \n\nTexte.")
    assert story.title == "Le front bouge"
    assert not story.title_derived


def test_paragraphs_are_split_on_blank_lines_and_keep_their_line_breaks():
    story = parse_story("# T\n\nUn,\ndeux.\n\n\n   \nTrois.\n")
    assert story.paragraphs == (("Un,", "deux."), ("Trois.",))


def test_body_html_has_one_p_per_paragraph_and_br_for_line_breaks():
    story = Story(title="T", paragraphs=(("Un,", "deux."), ("Trois.",)))
    assert story.body == "<p>Un,<br>deux.</p><p>Trois.</p>"


def test_body_html_escapes_the_text():
    story = Story(title="T", paragraphs=(("<script>alert('x')</script> & {0}",),))
    assert "<script>" not in story.body
    assert read_paragraphs(story.body) == [("<script>alert('x')</script> & {0}",)]


def test_crlf_line_ends_and_byte_order_mark_are_normalised():
    story = parse_story("\ufeffTags\r\nRussie\r\n\r\n# Titre\r\n\r\nUn\r\ndeux\r\n")
    assert story.tags == ("Russie",)
    assert story.title == "Titre"
    assert story.paragraphs == (("Un", "deux"),)


def test_typographic_characters_are_kept_exactly():
    line = f"« L’été\u202fà Montréal{NBSP}», dit-elle{NBSP}: «{NBSP}Œuvre{NBSP}»."
    story = parse_story(f"# {line}\n\n{line}")
    assert story.title == line
    assert story.paragraphs == ((line,),)


def test_title_is_derived_from_the_body_when_missing():
    story = parse_story("Le conseil a voté.\n\nSecond paragraphe.")
    assert story.title == "Le conseil a voté."
    assert story.title_derived


def test_derived_title_is_cut_at_a_word_boundary_with_an_ellipsis():
    body = (
        "Le conseil municipal de Lyon a voté mardi soir la fermeture de trois écoles "
        "du quartier de la Croix-Rousse."
    )
    story = parse_story(body)
    assert story.title.endswith("…")
    assert len(story.title) <= DERIVED_TITLE_LENGTH
    kept = story.title.removesuffix("…")
    assert body.startswith(kept)
    assert body[len(kept)] == " "


def test_derived_title_does_not_break_at_a_no_break_space():
    words = ["mot"] * 15 + [f"Montréal{NBSP}!", "suite"]
    story = parse_story(" ".join(words))
    assert story.title == " ".join(["mot"] * 15) + "…"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Tags\n\n# Titre\n\nTexte.", "not followed by a line of tags"),
        ("Étiquettes\n# Titre\n\nTexte.", "not followed by a line of tags"),
        ("Tags\n , ,\n\nTexte.", "no tag names"),
        ("# \n\nTexte.", "no title"),
        ("#\n\nTexte.", "no title"),
        ("# Titre\n\n", "no body"),
        ("Tags\nRussie\n# Titre", "no body"),
        (f"# {'x' * 256}\n\nTexte.", "longer than 255"),
        ("# …\n\nTexte.", "no letters or digits"),
    ],
)
def test_broken_structure_is_refused_with_a_reason(text, reason):
    with pytest.raises(StoryFileError, match=reason):
        parse_story(text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \n\t\r\n", "empty"),
        ("\ufeff\n".encode(), "empty"),
        ("# Été\n\nÀ Montréal".encode("latin-1"), r"not UTF-8 \(invalid byte 0xc9 at position 2\)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
        (b"# Titre\n\nLigne\x07 sonore", r"not text \(control character U\+0007 on line 3\)"),
    ],
)
def test_file_contents_that_are_not_utf8_text_are_refused(data, reason):
    with pytest.raises(StoryFileError, match=reason):
        decode_story_file(data)


# Importing


def test_import_creates_a_draft_story_in_the_language():
    result = import_file(DATA / "koursk.txt", "fr")
    assert result.outcome == Outcome.CREATED
    article = Article.objects.get()
    assert article.title_fr == "À Koursk, l’armée avance « pas à pas »"
    assert article.slug_fr == "a-koursk-l-armee-avance-pas-a-pas"
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None


def test_imported_characters_reach_the_reader_unchanged_after_sanitising():
    import_file(DATA / "koursk.txt", "fr")
    article = Article.objects.get()
    assert read_paragraphs(article.body_fr) == [
        (
            f"Le front s’est déplacé de quelques kilomètres{NBSP}: "
            "les habitants l’ont appris à la radio.",
            "D’autres l’ont su par leurs voisins.",
        ),
        (f"« Nous restons{NBSP}», dit Olena, 67{NBSP}ans.",),
    ]


def test_second_import_of_the_same_file_changes_nothing():
    import_file(DATA / "koursk.txt", "fr")
    before = Article.objects.get()
    result = import_file(DATA / "koursk.txt", "fr")
    assert result.outcome == Outcome.UNCHANGED
    after = Article.objects.get()
    assert after.updated_at == before.updated_at
    assert after.body_fr == before.body_fr
    assert Tag.objects.count() == 2


def test_reimport_with_changed_body_updates_the_same_story(tmp_path):
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    before = Article.objects.get()
    path.write_text(STORY.replace("Second paragraphe.", "Paragraphe corrigé."), encoding="utf-8")

    result = import_file(path, "fr")

    assert result.outcome == Outcome.UPDATED
    after = Article.objects.get()
    assert after.pk == before.pk
    assert read_paragraphs(after.body_fr)[-1] == ("Paragraphe corrigé.",)
    assert after.updated_at > before.updated_at


def test_reimport_keeps_the_standfirst_an_editor_wrote(tmp_path):
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    Article.objects.update(standfirst_fr="Le chapô de la rédaction.")
    path.write_text(STORY.replace("Second paragraphe.", "Paragraphe corrigé."), encoding="utf-8")

    assert import_file(path, "fr").outcome == Outcome.UPDATED
    assert Article.objects.get().standfirst_fr == "Le chapô de la rédaction."


def test_reimport_with_changed_tags_replaces_the_tags(tmp_path):
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    path.write_text(STORY.replace("Russie, Ukraine", "Ukraine, Kyiv"), encoding="utf-8")

    result = import_file(path, "fr")

    assert result.outcome == Outcome.UPDATED
    assert sorted(tag.name_fr for tag in Article.objects.get().tags.all()) == ["Kyiv", "Ukraine"]


def test_tags_are_attached_to_the_story():
    import_file(DATA / "koursk.txt", "fr")
    names = sorted(tag.name_fr for tag in Article.objects.get().tags.all())
    assert names == ["Guerre en Ukraine", "Russie"]


def test_existing_tags_are_reused_whatever_the_case(tmp_path):
    russie = TagFactory(name_fr="Russie", name_en="Russia")
    ukraine = TagFactory(name_fr="Ukraine", name_en="Ukraine")
    path = write(tmp_path, "Tags\nRUSSIE, ukraine\n\n# Titre\n\nTexte.")

    import_file(path, "fr")

    assert set(Article.objects.get().tags.all()) == {russie, ukraine}
    assert Tag.objects.count() == 2


def test_tags_are_found_by_their_name_in_the_other_language(tmp_path):
    russie = TagFactory(name_fr="Russie", name_en="Russia")
    path = write(tmp_path, "Tags\nrussia\n\n# Title\n\nText.")

    import_file(path, "fr")

    assert list(Article.objects.get().tags.all()) == [russie]


def test_publish_publishes_the_story():
    import_file(DATA / "koursk.txt", "fr", publish=True)
    article = Article.objects.get()
    assert article.status == Article.Status.PUBLISHED
    assert article.is_published()


def test_reimport_with_publish_publishes_an_imported_draft():
    import_file(DATA / "koursk.txt", "fr")
    result = import_file(DATA / "koursk.txt", "fr", publish=True)
    assert result.outcome == Outcome.UPDATED
    assert Article.objects.get().is_published()


def test_reimport_without_publish_does_not_unpublish():
    import_file(DATA / "koursk.txt", "fr", publish=True)
    result = import_file(DATA / "koursk.txt", "fr")
    assert result.outcome == Outcome.UNCHANGED
    assert Article.objects.get().is_published()


def test_story_without_title_line_stays_a_draft_even_with_publish():
    result = import_file(DATA / "sans-titre.txt", "fr", publish=True)
    assert result.title_derived
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert article.title_fr.startswith("Le conseil municipal de Lyon")


def test_story_without_title_line_is_unchanged_on_reimport():
    import_file(DATA / "sans-titre.txt", "fr")
    result = import_file(DATA / "sans-titre.txt", "fr")
    assert result.outcome == Outcome.UNCHANGED
    assert Article.objects.count() == 1


def test_english_import_fills_only_the_english_columns():
    import_file(DATA / "budget.txt", "en")
    article = Article.objects.get()
    assert article.title_en == "Parliament votes on the budget"
    assert article.slug_en == "parliament-votes-on-the-budget"
    assert read_paragraphs(article.body_en) == [
        ("The vote came late at night.",),
        ("The opposition walked out.",),
    ]
    assert not article.title_fr
    assert not article.slug_fr
    assert not article.body_fr
    assert article.languages() == ["en"]


def test_two_english_stories_can_be_imported(tmp_path):
    import_file(write(tmp_path, "# One\n\nText.", "one.txt"), "en")
    import_file(write(tmp_path, "# Two\n\nText.", "two.txt"), "en")
    assert Article.objects.count() == 2


def test_story_with_the_same_slug_in_the_other_language_is_not_matched(tmp_path):
    ArticleFactory(title_fr="Autre", title_en="Le front bouge", english=True)
    result = import_file(write(tmp_path, STORY), "fr")
    assert result.outcome == Outcome.CREATED
    assert Article.objects.count() == 2


# Which story a file updates


def test_imported_story_records_its_language_and_file_name():
    import_file(DATA / "koursk.txt", "fr")
    assert Article.objects.get().import_source == "fr:koursk.txt"


def test_two_files_whose_titles_make_the_same_slug_are_two_stories(tmp_path):
    first = import_file(write(tmp_path, "# Les élections\n\nPremier texte.", "a.txt"), "fr")
    second = import_file(write(tmp_path, "# Les Élections !\n\nSecond texte.", "b.txt"), "fr")

    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.CREATED)
    stories = {a.slug_fr: read_paragraphs(a.body_fr) for a in Article.objects.all()}
    assert stories == {
        "les-elections": [("Premier texte.",)],
        "les-elections-2": [("Second texte.",)],
    }


def test_story_written_in_the_admin_is_not_overwritten_by_a_file_with_its_title(tmp_path):
    written = ArticleFactory(title_fr="Budget", body_fr="<p>Notre enquête.</p>", draft=True)

    result = import_file(write(tmp_path, "# Budget\n\nDépêche."), "fr", publish=True)

    assert result.outcome == Outcome.CREATED
    written.refresh_from_db()
    assert written.body_fr == "<p>Notre enquête.</p>"
    assert written.status == Article.Status.DRAFT
    assert written.import_source == ""
    imported = Article.objects.exclude(pk=written.pk).get()
    assert imported.slug_fr == "budget-2"
    assert imported.is_published()


def test_story_written_in_the_admin_is_never_matched_on_reimport(tmp_path):
    written = ArticleFactory(title_fr="Le front bouge", body_fr="<p>Notre texte.</p>")
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    path.write_text(STORY.replace("Second paragraphe.", "Paragraphe corrigé."), encoding="utf-8")

    assert import_file(path, "fr").outcome == Outcome.UPDATED
    written.refresh_from_db()
    assert written.body_fr == "<p>Notre texte.</p>"
    assert Article.objects.count() == 2


def test_two_files_without_title_whose_derived_titles_match_are_two_stories(tmp_path):
    import_file(write(tmp_path, "Le conseil a voté.\n\nÀ Lyon.", "lyon.txt"), "fr")
    result = import_file(write(tmp_path, "Le conseil a voté.\n\nÀ Nantes.", "nantes.txt"), "fr")

    assert result.outcome == Outcome.CREATED
    bodies = sorted(read_paragraphs(a.body_fr)[-1] for a in Article.objects.all())
    assert bodies == [("À Lyon.",), ("À Nantes.",)]


def test_file_with_the_same_name_elsewhere_updates_the_story(tmp_path):
    import_file(write(tmp_path, STORY), "fr")
    (tmp_path / "copie").mkdir()
    changed = STORY.replace("Second paragraphe.", "Paragraphe corrigé.")

    result = import_file(write(tmp_path / "copie", changed), "fr")

    assert result.outcome == Outcome.UPDATED
    assert Article.objects.count() == 1


def test_same_file_imported_in_the_other_language_is_another_story(tmp_path):
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    assert import_file(path, "en").outcome == Outcome.CREATED
    assert sorted(Article.objects.values_list("import_source", flat=True)) == [
        "en:story.txt",
        "fr:story.txt",
    ]


def test_reimport_with_changed_title_updates_the_title_and_keeps_the_address(tmp_path):
    path = write(tmp_path, STORY)
    import_file(path, "fr")
    path.write_text(STORY.replace("Le front bouge", "Le front recule"), encoding="utf-8")

    assert import_file(path, "fr").outcome == Outcome.UPDATED
    article = Article.objects.get()
    assert article.title_fr == "Le front recule"
    assert article.slug_fr == "le-front-bouge"


def test_overlong_file_name_is_refused(tmp_path):
    story = parse_story("# Titre\n\nTexte.")
    with pytest.raises(StoryFileError, match="file name is longer than 252 characters"):
        import_story(story, "fr", "x" * 253)
    assert not Article.objects.exists()


# Files without a title line


def test_reimport_of_file_without_title_keeps_the_title_an_editor_gave(tmp_path):
    path = write(tmp_path, "Le conseil a voté.\n\nÀ Lyon.")
    import_file(path, "fr")
    Article.objects.update(title_fr="Lyon ferme trois écoles")

    result = import_file(path, "fr")

    assert result.outcome == Outcome.UNCHANGED
    assert result.title == "Lyon ferme trois écoles"
    assert result.title_kept
    assert Article.objects.get().title_fr == "Lyon ferme trois écoles"


def test_reimport_of_changed_file_without_title_updates_only_the_body(tmp_path):
    path = write(tmp_path, "Le conseil a voté.\n\nÀ Lyon.")
    import_file(path, "fr")
    Article.objects.update(title_fr="Lyon ferme trois écoles")
    path.write_text("Le conseil a voté hier.\n\nÀ Lyon.", encoding="utf-8")

    result = import_file(path, "fr")

    assert result.outcome == Outcome.UPDATED
    article = Article.objects.get()
    assert article.title_fr == "Lyon ferme trois écoles"
    assert read_paragraphs(article.body_fr)[0] == ("Le conseil a voté hier.",)


def test_file_without_title_is_not_published_even_after_an_editor_titled_it(tmp_path):
    path = write(tmp_path, "Le conseil a voté.\n\nÀ Lyon.")
    import_file(path, "fr")
    Article.objects.update(title_fr="Lyon ferme trois écoles")

    result = import_file(path, "fr", publish=True)

    assert result.outcome == Outcome.UNCHANGED
    assert not result.published
    assert Article.objects.get().status == Article.Status.DRAFT


def test_file_without_title_does_not_unpublish_a_story_an_editor_published(tmp_path):
    path = write(tmp_path, "Le conseil a voté.\n\nÀ Lyon.")
    import_file(path, "fr")
    Article.objects.update(
        title_fr="Lyon ferme trois écoles",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    path.write_text("Le conseil a voté hier.\n\nÀ Lyon.", encoding="utf-8")

    result = import_file(path, "fr", publish=True)

    assert result.outcome == Outcome.UPDATED
    assert result.published
    assert Article.objects.get().is_published()


def test_dry_run_writes_nothing_but_reports_the_outcome():
    result = import_file(DATA / "koursk.txt", "fr", dry_run=True)
    assert result.outcome == Outcome.CREATED
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_refused_file_leaves_nothing_in_the_database(tmp_path):
    path = write(tmp_path, "Tags\nRussie, Ukraine\n\n# Titre\n")
    with pytest.raises(StoryFileError, match="no body"):
        import_file(path, "fr")
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(StoryFileError, match="file not found"):
        import_file(tmp_path / "absent.txt", "fr")


def test_directory_is_refused_as_not_readable(tmp_path):
    with pytest.raises(StoryFileError, match="not readable"):
        import_file(tmp_path, "fr")


def test_reimport_replaces_a_tag_whose_name_in_another_language_matches(tmp_path):
    # taggit's tags.set() compares the untranslated name column and would keep "Kiev".
    kyiv = TagFactory(name_fr="Kyiv", name_en="Kyiv city")
    with translation.override("en"):
        kiev = TagFactory(name_fr="Kiev", name_en="Kyiv")
    path = write(tmp_path, "Tags\nKiev\n\n# Titre\n\nTexte.")
    import_file(path, "fr")
    assert list(Article.objects.get().tags.all()) == [kiev]
    path.write_text("Tags\nKyiv\n\n# Titre\n\nTexte.", encoding="utf-8")

    import_file(path, "fr")

    assert list(Article.objects.get().tags.all()) == [kyiv]
