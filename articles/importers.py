"""Import stories from the plain-text files that news sites' "save as text" exports write.

The format, all parts but the body optional::

    Mots-clés
    Russie, Ukraine

    # The title

    First paragraph,
    its second line.

    Second paragraph.

A file is read and checked completely before anything is written, and each
file is written inside its own transaction.

An imported story remembers where it came from: the import language and the
file's name, e.g. ``fr:koursk.txt`` (:attr:`Article.import_source`). Importing
a file again updates the story imported from a file of that name in that
language, wherever the file now lives; any other file makes a new story, even
with the same title (its slug then gets ``-2``). Stories written in the admin
are never matched, so never overwritten. A story's other language is not
imported into the same story: ``koursk.txt`` imported in French and
``kursk.txt`` in English are two stories, which an editor may merge by hand.

A file without a title line gets a title made up from its opening words. That
title is a placeholder, so such a file never changes a story's status
(``--publish`` leaves it a draft) and, on re-import, never replaces the title
the story has by then: an editor may have written a real one.
"""

import enum
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from articles import maintenance
from articles.models import Article, Tag, TaggedArticle, TagPair, ascii_slug
from articles.revisions import new_revision, record

TAG_LABELS = frozenset({"étiquettes", "tags", "mots-clés"})
TITLE_PREFIX = "# "
DERIVED_TITLE_LENGTH = 70
ELLIPSIS = "…"

# Tab, line feed, carriage return and form feed are text; other C0 controls, DEL
# and the C1 range (what Windows-1252 quotes become when mis-converted) are not.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Only ASCII whitespace separates words: no-break spaces (before « : ; ! ? »)
# hold their neighbours together.
_WORD_SEPARATOR = re.compile(r"[ \t\n\r\f\v]+")
_TAG_LABEL = re.compile(r"^(?P<label>.*?)\s*:?\s*$")


class StoryFileError(Exception):
    """A file that cannot be imported; the message says why, for the journalist."""


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[tuple[str, ...], ...]
    tags: tuple[str, ...] = ()
    title_derived: bool = False

    @property
    def body(self):
        """The paragraphs as HTML: ``<p>`` each, line breaks as ``<br>``, text escaped."""
        return format_html_join(
            "",
            "<p>{}</p>",
            ((format_html("<br>".join(["{}"] * len(lines)), *lines),) for lines in self.paragraphs),
        )


@dataclass(frozen=True)
class ImportResult:
    outcome: Outcome
    title: str
    """The story's title after the import: an editor's, if the file has no title line."""
    title_derived: bool
    """Whether the file has no title line."""
    title_kept: bool = False
    """Whether the file has no title line and the story keeps a title an editor gave it."""
    published: bool = False


def decode_story_file(data):
    """The text of a file's bytes; StoryFileError if it is empty, not UTF-8 or not text."""
    if not data:
        raise StoryFileError(_("empty file"))
    if b"\x00" in data:
        raise StoryFileError(_("not text (contains NUL bytes)"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StoryFileError(
            _("not UTF-8 (invalid byte 0x%(byte)02x at position %(position)d)")
            % {"byte": error.object[error.start], "position": error.start}
        ) from error
    text = _normalise(text)
    if match := _CONTROL_CHARACTERS.search(text):
        raise StoryFileError(
            _("not text (control character U+%(code)04X on line %(line)d)")
            % {"code": ord(match.group()), "line": text.count("\n", 0, match.start()) + 1}
        )
    if not text.strip():
        raise StoryFileError(_("empty file (only whitespace)"))
    return text


def read_story_file(path):
    """The checked text of the file at ``path``."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as error:
        raise StoryFileError(_("file not found")) from error
    except OSError as error:
        raise StoryFileError(
            _("not readable (%(error)s)") % {"error": error.strerror or error}
        ) from error
    return decode_story_file(data)


def _is_tag_label(line):
    label = _TAG_LABEL.match(unicodedata.normalize("NFC", line).strip()).group("label")
    return label.casefold() in TAG_LABELS


def _is_title_line(line):
    return line.startswith(TITLE_PREFIX) or line.rstrip() == TITLE_PREFIX.strip()


def _is_blank(line):
    return not line.strip()


def _normalise(text):
    """Without a byte order mark, with LF line ends."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def derive_title(paragraph, length=DERIVED_TITLE_LENGTH):
    """The opening words of ``paragraph``, cut at a word boundary to ``length`` characters."""
    words = [word for word in _WORD_SEPARATOR.split(" ".join(paragraph)) if word]
    text = " ".join(words)
    if len(text) <= length:
        return text
    room = length - len(ELLIPSIS)
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) > room:
            break
        kept = candidate
    # A first word longer than the whole title is cut where it must be.
    kept = kept.rstrip(" ,;:-–—") or words[0][:room]
    return kept + ELLIPSIS


def parse_story(text):
    """The :class:`Story` in ``text``; StoryFileError when its structure is broken."""
    lines = _normalise(text).split("\n")
    position = 0

    def skip_blank_lines():
        nonlocal position
        while position < len(lines) and _is_blank(lines[position]):
            position += 1

    skip_blank_lines()
    tags = ()
    if position < len(lines) and _is_tag_label(lines[position]):
        label = lines[position].strip()
        position += 1
        tag_line = lines[position] if position < len(lines) else ""
        if _is_blank(tag_line) or _is_title_line(tag_line):
            raise StoryFileError(
                _("the label “%(label)s” is not followed by a line of tags") % {"label": label}
            )
        tags = tuple(name.strip() for name in tag_line.split(",") if name.strip())
        if not tags:
            raise StoryFileError(_("the tag line has no tag names"))
        position += 1
        skip_blank_lines()

    title = ""
    if position < len(lines) and _is_title_line(lines[position]):
        title = lines[position][len(TITLE_PREFIX) :].strip()
        if not title:
            raise StoryFileError(_("the title line “#” has no title after it"))
        position += 1

    paragraphs, current = [], []
    for line in lines[position:]:
        if _is_blank(line):
            if current:
                paragraphs.append(tuple(current))
                current = []
        else:
            current.append(line)
    if current:
        paragraphs.append(tuple(current))
    if not paragraphs:
        raise StoryFileError(_("no body text"))

    story = Story(
        title=title or derive_title(paragraphs[0]),
        paragraphs=tuple(paragraphs),
        tags=tags,
        title_derived=not title,
    )
    _check_lengths(story)
    return story


def _check_lengths(story):
    title_length = Article._meta.get_field("title").max_length
    if len(story.title) > title_length:
        raise StoryFileError(
            _("the title is longer than %(count)d characters") % {"count": title_length}
        )
    if not ascii_slug(story.title):
        raise StoryFileError(_("the title has no letters or digits to make a web address from"))
    tag_length = Tag._meta.get_field("name").max_length
    for name in story.tags:
        if len(name) > tag_length:
            raise StoryFileError(
                _("the tag “%(name)s” is longer than %(count)d characters")
                % {"name": name, "count": tag_length}
            )


def import_source_key(language, file_name):
    """The :attr:`Article.import_source` of a story imported from ``file_name`` in ``language``."""
    source = f"{language}:{file_name}"
    length = Article._meta.get_field("import_source").max_length
    if len(source) > length:
        raise StoryFileError(
            _("the file name is longer than %(count)d characters")
            % {"count": length - len(language) - 1}
        )
    return source


def import_story(story, language, source, publish=False, dry_run=False):
    """Create or update the story imported from the file named ``source`` in ``language``.

    The file has no standfirst: one an editor wrote is kept on re-import.

    Nothing is written when the stored story already has this content. With
    ``dry_run`` the work is done and then rolled back, so the outcome is exact.
    """
    import_key = import_source_key(language, source)
    title_field = build_localized_fieldname("title", language)
    # A title made up from the body is a placeholder: an editor must see it first.
    status = Article.Status.PUBLISHED if publish and not story.title_derived else None

    with transaction.atomic():
        tags = Tag.objects.for_names(story.tags, language)
        article = Article.objects.filter(import_source=import_key).order_by("pk").first()
        fields = {build_localized_fieldname("body", language): story.body}
        # A placeholder title never replaces the one an editor may have written since.
        if not story.title_derived or article is None or not getattr(article, title_field):
            fields[title_field] = story.title
        if article is None:
            # Article.save() gives the new story a slug no other story has.
            article = Article(**fields, import_source=import_key)
            article.status = status or Article.Status.DRAFT
            outcome = Outcome.CREATED
        elif _has_content(article, fields, tags, language) and status in {None, article.status}:
            return _result(Outcome.UNCHANGED, story, article, title_field)
        else:
            for name, value in fields.items():
                setattr(article, name, value)
            if status:
                article.status = status
            outcome = Outcome.UPDATED
        with new_revision(comment=_("Imported from %(source)s") % {"source": import_key}):
            article.save()
            # taggit's tags.set() matches tags by their untranslated name column, which
            # holds whichever language was active when the tag was saved: go by key.
            TaggedArticle.objects.filter(content_object=article).exclude(tag__in=tags).delete()
            article.tags.add(*tags)
            record(article)
        if dry_run:
            transaction.set_rollback(True)
    return _result(outcome, story, article, title_field)


def _result(outcome, story, article, title_field):
    title = getattr(article, title_field)
    return ImportResult(
        outcome,
        title,
        story.title_derived,
        title_kept=story.title_derived and title != story.title,
        published=article.status == Article.Status.PUBLISHED,
    )


def _has_content(article, fields, tags, language):
    """Whether ``article`` already holds ``fields`` and exactly ``tags``."""
    body_field = build_localized_fieldname("body", language)
    for name, value in fields.items():
        if name == body_field:
            # Compare with what Article.save() would store.
            value = Article._meta.get_field(body_field).sanitize(value)
        if (getattr(article, name) or "") != value:
            return False
    stored_tags = set(article.tags.values_list("pk", flat=True))
    return stored_tags == {tag.pk for tag in tags}


def analyze_imported_tables():
    """ANALYZE what imports write, once after a run of them (not per file: a table of a
    million stories takes a good part of a second), see articles/maintenance.py."""
    maintenance.analyze(Article, TaggedArticle, TagPair, Tag)


def import_file(path, language, publish=False, dry_run=False):
    """Import one file; an :class:`ImportResult`, or StoryFileError saying why not."""
    story = parse_story(read_story_file(path))
    return import_story(story, language, Path(path).name, publish, dry_run)
