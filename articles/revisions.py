"""A story's history: what each save keeps, how two revisions compare, how one is restored.

Revisions are django-reversion's: every save of a story through the admin, the bulk
actions, a restore or the importer makes one revision holding the story (its text in
every language, status, publication time, authors) and its tag links. One revision
holds one story, so a story's tags in a revision are the tag links of that revision.

A *snapshot* is what a revision says about a story, in one shape for a stored version
and for the story as it is now: ``{field name: value}`` for the recorded fields, plus
``"tags"`` and ``"authors"``, lists of ids in the story's order.
"""

import difflib
import html
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.text import capfirst, format_lazy, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from modeltranslation.utils import build_localized_fieldname
from reversion.models import Version

from articles import workflow
from articles.models import Article, LanguageState, Tag, TaggedArticle, language_codes, state_field

# What a restore copies back: the text in every language. Never the status, the
# publication time or the per-language workflow states.
CONTENT_FIELDS = [
    build_localized_fieldname(name, code)
    for code in language_codes()
    for name in workflow.TRANSLATABLE_FIELDS
]
# Also recorded (and compared, never restored): the original's language and each
# language version's state (articles.models.LanguageState).
STATE_FIELDS = ["source_language", *[state_field(code) for code in language_codes()]]
RECORDED_FIELDS = [*CONTENT_FIELDS, "status", "published_at", *STATE_FIELDS, "authors"]
# Compared and restored besides the fields, from the tag links of the same revision.
TAGS = "tags"
COMPARED = [*RECORDED_FIELDS, TAGS]

reversion.register(TaggedArticle, fields=["content_object", "tag"])
reversion.register(Article, fields=RECORDED_FIELDS, follow=["tagged_items"])


def label(name):
    """ "Titre (fr)", "Statut", "Étiquettes": a compared field as people read it."""
    if name == TAGS:
        return capfirst(Article._meta.get_field("tags").verbose_name)
    model_field = Article._meta.get_field(name)
    base = getattr(model_field, "translated_field", None)
    if base is None:
        return capfirst(model_field.verbose_name)
    return format_lazy("{} ({})", capfirst(base.verbose_name), model_field.language)


def versions_of(story):
    """The story's versions, newest first, with who saved them."""
    return (
        Version.objects.get_for_object(story)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def live_snapshot(story):
    snapshot = {name: getattr(story, name) for name in RECORDED_FIELDS if name != "authors"}
    snapshot["authors"] = list(
        story.authors.order_by("last_name", "username").values_list("pk", flat=True)
    )
    snapshot[TAGS] = list(story.tagged_items.order_by("pk").values_list("tag_id", flat=True))
    return snapshot


def snapshots(story, versions):
    """{version pk: snapshot} for ``versions`` of ``story``, in one query for all their tags."""
    versions = list(versions)
    link_type = ContentType.objects.get_for_model(TaggedArticle)
    links = Version.objects.filter(
        revision__in=[version.revision_id for version in versions], content_type=link_type
    )
    tags_of = {}
    for link in sorted(links, key=lambda link: int(link.object_id)):
        data = link.field_dict
        if data["content_object_id"] == story.pk:
            tags_of.setdefault(link.revision_id, []).append(data["tag_id"])
    result = {}
    for version in versions:
        data = version.field_dict
        snapshot = {name: data.get(name) for name in RECORDED_FIELDS if name != "authors"}
        snapshot["authors"] = list(data.get("authors", []))
        snapshot[TAGS] = tags_of.get(version.revision_id, [])
        result[version.pk] = snapshot
    return result


def changed(old, new):
    """The names of the compared fields that differ between two snapshots."""
    return [
        name for name in COMPARED if _normal(name, old.get(name)) != _normal(name, new.get(name))
    ]


def _normal(name, value):
    if name == "authors":
        return sorted(value or [])
    if isinstance(value, str):
        # Browsers post a textarea's line ends as CRLF.
        value = value.replace("\r\n", "\n").strip()
    if value in (None, ""):
        return None
    if name == "published_at":
        return value.replace(microsecond=0)  # the form's time has seconds at most
    return value


# Comments that the code writes are kept untranslated and shown in the reader's language.
BULK_PUBLISHED = gettext_noop("Published with the story list’s action.")
BULK_UNPUBLISHED = gettext_noop("Taken offline with the story list’s action.")
DEMO = gettext_noop("Demo story.")


def comment_of(revision):
    """The revision's comment: what the person wrote, or the code's, in the active language."""
    return _(revision.comment) if revision.comment else ""


def saved_by(revision):
    """Who saved a revision: no one for an import or a script, or an account since removed."""
    user = revision.user
    if user is None:
        return _("someone")
    return user.get_full_name() or user.get_username()


# Comparing


@dataclass
class Row:
    name: str
    label: str
    old: str
    new: str
    changed: bool


class Names:
    """Tag and author names for the ids in some snapshots, in two queries."""

    def __init__(self, *snapshots):
        tag_ids = {pk for snapshot in snapshots for pk in snapshot.get(TAGS, [])}
        author_ids = {pk for snapshot in snapshots for pk in snapshot.get("authors", [])}
        self.tags = {tag.pk: str(tag) for tag in Tag.objects.filter(pk__in=tag_ids)}
        self.authors = {
            user.pk: user.get_full_name() or user.get_username()
            for user in get_user_model().objects.filter(pk__in=author_ids)
        }

    def of(self, name, ids):
        known = self.tags if name == TAGS else self.authors
        return [known.get(pk) or _("(deleted, #%(id)s)") % {"id": pk} for pk in ids]


def compare(old, new, names=None, only_changed=False):
    """Rows of the compared fields, each with both values and their differences marked."""
    names = names or Names(old, new)
    rows = []
    differing = set(changed(old, new))
    for name in COMPARED:
        if only_changed and name not in differing:
            continue
        if name in (TAGS, "authors"):
            old_html, new_html = _diff_lists(
                names.of(name, old.get(name) or []), names.of(name, new.get(name) or [])
            )
        else:
            old_html, new_html = _diff_text(_text(name, old.get(name)), _text(name, new.get(name)))
        rows.append(Row(name, label(name), old_html, new_html, name in differing))
    return rows


_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>|<hr\s*/?>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORDS = re.compile(r"\s+|[^\s]+")


def _text(name, value):
    """The value as a reader reads it: a body without its markup, a label for a status."""
    if value in (None, ""):
        return ""
    if name == "status":
        return str(Article.Status(value).label)
    if name == "published_at":
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if name == "source_language":
        return str(dict(settings.LANGUAGES).get(value, value))
    if name.startswith("state_"):
        return str(LanguageState(value).label)
    if name.startswith("body_"):
        text = _LINE_BREAK.sub("\n", _BLOCK_END.sub("\n\n", value))
        return re.sub(r"\n{3,}", "\n\n", html.unescape(strip_tags(text))).strip()
    return str(value)


def _marked(pieces, tag):
    """HTML of (text, marked) pieces, the marked ones in ``<tag>``."""
    template = f"<{tag}>{{}}</{tag}>"
    return format_html_join(
        "", "{}", ((format_html(template, text) if marked else text,) for text, marked in pieces)
    )


def _diff(old_items, new_items):
    old_pieces, new_pieces = [], []
    matcher = difflib.SequenceMatcher(None, old_items, new_items, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        same = operation == "equal"
        old_pieces += [(item, not same) for item in old_items[i1:i2]]
        new_pieces += [(item, not same) for item in new_items[j1:j2]]
    return old_pieces, new_pieces


def _diff_text(old, new):
    """Both texts, the words taken out marked ``<del>``, the words put in ``<ins>``."""
    old_pieces, new_pieces = _diff(_WORDS.findall(old), _WORDS.findall(new))
    # Changed spaces are not worth a mark.
    old_pieces = [(text, marked and not text.isspace()) for text, marked in old_pieces]
    new_pieces = [(text, marked and not text.isspace()) for text, marked in new_pieces]
    return _marked(old_pieces, "del") or "—", _marked(new_pieces, "ins") or "—"


def _diff_lists(old, new):
    old_pieces, new_pieces = _diff(old, new)

    def joined(pieces, tag):
        if not pieces:
            return "—"
        separated = []
        for index, piece in enumerate(pieces):
            if index:
                separated.append((", ", False))
            separated.append(piece)
        return _marked(separated, tag)

    return joined(old_pieces, "del"), joined(new_pieces, "ins")


# Recording


@contextmanager
def new_revision(user=None, comment=""):
    """Stories saved inside make a revision by ``user``, when the block ends without error."""
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(comment)
        yield


def record(story, comment=None):
    """Put the story as it is now (fields, authors, tag links) into the open revision.

    Saving a story adds it when it is saved, before its authors and tags are; this
    adds it again once they are. ``comment``, when given, is the revision's.
    """
    if reversion.is_active():
        reversion.add_to_revision(story)
        if comment:
            reversion.set_comment(comment)


def record_bulk(pks, user, comment):
    """One revision per story changed by a bulk action (which bypasses ``save()``)."""
    for story in Article.objects.filter(pk__in=pks).prefetch_related("tagged_items__tag"):
        with new_revision(user, comment):
            record(story)


# Restoring


@dataclass
class Restored:
    story: Article
    kept_slugs: list = field(default_factory=list)
    missing_tags: list = field(default_factory=list)
    kept_authors: bool = False


def restore(story, version, user):
    """Copy ``version``'s text, tags and authors onto ``story`` and save it: a new revision.

    The status, publication time and workflow states are the story's own, never the
    version's. A slug another story has taken since is kept as it is now; tags deleted
    since are left out; the authors are restored only by someone who may change them.
    """
    if not workflow.can_restore(user, story):
        raise workflow.WorkflowError(
            _("Only an editor, or someone who may edit this story’s text, may restore a version.")
        )
    snapshot = snapshots(story, [version])[version.pk]
    with transaction.atomic(), new_revision(user):
        story = Article.objects.select_for_update().get(pk=story.pk)
        restored = Restored(story)
        for name in CONTENT_FIELDS:
            value = snapshot[name]
            taken = (
                name.startswith("slug_")
                and value
                and value != getattr(story, name)
                and Article.objects.exclude(pk=story.pk).filter(**{name: value}).exists()
            )
            if taken:
                restored.kept_slugs.append(name)
                continue
            setattr(story, name, value)
        # Saved before its tags change: the save renews the pages of the tags it had.
        story.save()
        _restore_tags(story, snapshot[TAGS], restored)
        if workflow.is_editor(user) or user.has_perm(workflow.REASSIGN):
            users = get_user_model().objects.filter(pk__in=snapshot["authors"])
            story.authors.set(users)
        else:
            restored.kept_authors = True
        reversion.set_comment(
            _("Restored the version of %(date)s by %(name)s")
            % {
                "date": date_format(
                    timezone.localtime(version.revision.date_created), "DATETIME_FORMAT"
                ),
                "name": saved_by(version.revision),
            }
        )
        record(story)
    return restored


def _restore_tags(story, tag_ids, restored):
    """Make the story's tag links those of ``tag_ids``, in that order (Article.set_tags)."""
    existing = Tag.objects.in_bulk(list(tag_ids))
    restored.missing_tags = [pk for pk in tag_ids if pk not in existing]
    story.set_tags([existing[pk] for pk in tag_ids if pk in existing])


# Edit conflicts


def opened_token(story):
    """What the change form carries to say which version of the story it was opened on."""
    latest = Version.objects.get_for_object(story).order_by("-pk").values_list("pk", flat=True)
    return f"{latest.first() or 0}:{story.updated_at.isoformat()}"


def _parse_token(token):
    version_pk, _sep, updated_at = (token or "").partition(":")
    try:
        return int(version_pk), datetime.fromisoformat(updated_at)
    except ValueError:
        return None, None


@dataclass
class Conflict:
    """Someone saved the story after this form was opened."""

    token: str  # the version the form is on now
    people: list  # who saved since, in the order they did
    at: datetime  # when the story was last saved
    opened: dict | None  # the snapshot the form was opened on, if the history has it
    current: dict

    def message(self):
        who = capfirst(get_text_list(self.people, _("and")) if self.people else _("someone"))
        return ngettext(
            "%(who)s changed this story since you opened it (last saved %(when)s). "
            "Nothing was saved: your text is still in the form below. Check their changes, "
            "then save again.",
            "%(who)s changed this story since you opened it (last saved %(when)s). "
            "Nothing was saved: your text is still in the form below. Check their changes, "
            "then save again.",
            max(len(self.people), 1),
        ) % {"who": who, "when": date_format(timezone.localtime(self.at), "DATETIME_FORMAT")}


def check_conflict(story, token):
    """Lock the story's row and say whether it was saved since the form's ``token``.

    Call inside the transaction that saves the story: the lock is held until it ends,
    so two saves of one story are checked one after the other. A form without a
    token (a script's post) is not checked.
    """
    row = Article.objects.select_for_update().filter(pk=story.pk)
    updated_at = row.values_list("updated_at", flat=True).first()
    if not token or updated_at is None:
        return None
    opened_pk, opened_at = _parse_token(token)
    if opened_at is not None and opened_at == updated_at:
        return None
    current = Article.objects.get(pk=story.pk)
    newer = versions_of(current)
    if opened_pk:
        newer = newer.filter(pk__gt=opened_pk)
    people = list(dict.fromkeys(saved_by(version.revision) for version in list(newer)[::-1]))
    opened = None
    if opened_pk:
        version = Version.objects.get_for_object(current).filter(pk=opened_pk).first()
        if version is not None:
            opened = snapshots(current, [version])[version.pk]
    return Conflict(
        token=opened_token(current),
        people=people,
        at=updated_at,
        opened=opened,
        current=live_snapshot(current),
    )
