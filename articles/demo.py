"""The demo newsroom that ``make run`` loads into a database without stories.

The stories, tags and journalists are data, in ``data/demo_newsroom.json``.
A story's ``body`` is a list of HTML blocks per language, joined when saved;
its ``tags`` are French tag names; its ``authors`` are usernames, ``editor``
being the demo editor; ``hours_ago`` dates its publication, and a negative
value schedules it. Drafts and stories in review have no ``hours_ago``.

``images`` are freely licensed photographs in ``data/demo_photos/`` (their terms
in LICENSES.md there), put in the library with their credit and licence. A story's
``lead_image`` names one by its ``key``; a block ``{"image": key, "caption": ...}``
in a body puts one inside the text.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from articles import images as library
from articles import workflow
from articles.models import Article, Image, Tag
from articles.revisions import DEMO, new_revision, record

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_newsroom.json"
DEMO_PHOTOS = DEMO_FILE.parent / "demo_photos"

# A fixed login for trying the admin locally; load_demo prints it. An existing
# account keeps its password, so a changed one is never reset behind its owner.
DEMO_EDITOR_USERNAME = "editor"
DEMO_EDITOR_PASSWORD = "newsroom-demo"  # noqa: S105
DEMO_EDITOR_FIRST_NAME = "Claire"
DEMO_EDITOR_LAST_NAME = "Morel"

# One account per role of articles.workflow besides the editor, so that a newcomer can
# try each workplace: (username, first name, last name, role group).
DEMO_ROLE_ACCOUNTS = [
    ("chief", "Hélène", "Garnier", workflow.EDITORS_IN_CHIEF),
    ("journalist", "Yanis", "Haddad", workflow.JOURNALISTS),
    ("translator", "Emma", "Walsh", workflow.translators("en")),
]

TRANSLATED_FIELDS = ("title", "standfirst", "body")


class DemoDataError(Exception):
    """The demo file cannot be read, or a story in it is not valid."""


@dataclass(frozen=True)
class DemoNewsroom:
    """What loading did. The counts are of what was created, zero when already loaded."""

    editor: AbstractBaseUser
    editor_password_is_demo: bool
    already_loaded: bool = False
    stories: int = 0
    tags: int = 0
    journalists: int = 0
    images: int = 0


def load_demo_newsroom(path=None, *, dry_run=False):
    """Make sure the demo editor exists; load the demo stories if there are no stories yet.

    With ``dry_run`` everything is rolled back and the counts say what would be created.
    """
    with transaction.atomic():
        editor, editor_created = ensure_demo_editor()
        password_is_demo = editor_created or editor.check_password(DEMO_EDITOR_PASSWORD)
        if Article.objects.exists():
            demo = DemoNewsroom(editor, password_is_demo, already_loaded=True)
        else:
            path = path or DEMO_FILE
            counts = _load(read_demo_data(path), editor, path)
            demo = DemoNewsroom(editor, password_is_demo, **counts)
        if dry_run:
            transaction.set_rollback(True)
    return demo


def read_demo_data(path=None):
    path = path or DEMO_FILE
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise DemoDataError(
            _("%(file)s cannot be read: %(error)s") % {"file": path, "error": error}
        ) from error


def ensure_demo_editor():
    """The demo editor, staff but not superuser, in the editors' role; and whether it is new.

    The other roles' demo accounts are made alongside (see DEMO_ROLE_ACCOUNTS).
    """
    workflow.ensure_roles()  # made by migration 0006; again here after a test's flush
    editor, created = _demo_account(
        DEMO_EDITOR_USERNAME, DEMO_EDITOR_FIRST_NAME, DEMO_EDITOR_LAST_NAME, workflow.EDITORS
    )
    for username, first_name, last_name, role in DEMO_ROLE_ACCOUNTS:
        _demo_account(username, first_name, last_name, role)
    return editor, created


def _demo_account(username, first_name, last_name, role):
    """A staff account in ``role`` (a group made by migration 0006); and whether it is new."""
    group = Group.objects.get(name=role)
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.org",
            is_staff=True,
        )
        user.set_password(DEMO_EDITOR_PASSWORD)
        user.save()
    elif not user.is_staff or user.is_superuser:
        user.is_staff, user.is_superuser = True, False
        user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.add(group)
    return user, created


def _load(data, editor, path):
    people = {DEMO_EDITOR_USERNAME: editor}
    journalists = 0
    User = get_user_model()
    for person in data["journalists"]:
        user = User.objects.filter(username=person["username"]).first()
        if user is None:
            user = User(
                username=person["username"],
                first_name=person["first_name"],
                last_name=person["last_name"],
                email=f"{person['username']}@example.org",
            )
            # Journalists appear in bylines only; nobody logs in as them.
            user.set_unusable_password()
            user.save()
            journalists += 1
        people[user.username] = user

    tags, new_tags = {}, 0
    for names in data["tags"]:
        # Reuse a tag someone created in the admin before loading the demo.
        tag = Tag.objects.named(names["fr"], ["fr"])
        if tag is None:
            tag = Tag(name_fr=names["fr"], name_en=names.get("en"))
            tag.save()
            new_tags += 1
        tags[names["fr"]] = tag

    pictures, new_pictures = {}, 0
    for picture in data.get("images", []):
        pictures[picture["key"]], created = _demo_image(picture, path)
        new_pictures += created

    now = timezone.now()
    for story in data["stories"]:
        article = Article(status=story.get("status", Article.Status.DRAFT))
        if "hours_ago" in story:
            article.published_at = now - timedelta(hours=story["hours_ago"])
        name = next(iter(story.get("title", {}).values()), "")
        if "lead_image" in story:
            article.lead_image = _named(pictures, [story["lead_image"]], path, name)[0]
        for field in TRANSLATED_FIELDS:
            for language, value in story.get(field, {}).items():
                if field == "body":
                    value = "".join(
                        _body_figure(pictures, block, language, path, name)
                        if isinstance(block, dict)
                        else block
                        for block in value
                    )
                setattr(article, build_localized_fieldname(field, language), value)
        title = article.first_title()
        try:
            article.full_clean()
        except ValidationError as error:
            raise DemoDataError(
                _("%(file)s: the story “%(title)s” is not valid: %(errors)s")
                % {"file": path, "title": title, "errors": " ".join(error.messages)}
            ) from error
        for language in article.translation_languages():
            # Translations are ready unless the story says one is still being written.
            if article.has_language(language) and language not in story.get("in_progress", []):
                article.mark_translation_ready(language, None)
        with new_revision(editor, DEMO):
            article.save()
            article.authors.add(*_named(people, story["authors"], path, title))
            article.tags.add(*_named(tags, story["tags"], path, title))
            record(article)

    return {
        "stories": len(data["stories"]),
        "tags": new_tags,
        "journalists": journalists,
        "images": new_pictures,
    }


def _demo_image(picture, path):
    """The library's picture of the demo file's ``picture``, and whether it is new.

    One already in the library under the same title and credit is reused (loading again
    after the stories were deleted adds no second copy).
    """
    image = Image.objects.filter(title=picture["title"], credit=picture["credit"]).first()
    if image is not None:
        return image, False
    image = Image(
        title=picture["title"],
        credit=picture["credit"],
        licence=picture.get("licence", ""),
        source_url=picture.get("source_url", ""),
    )
    for field in ("alt", "caption"):
        name = "alt_text" if field == "alt" else field
        for language, value in picture.get(field, {}).items():
            setattr(image, build_localized_fieldname(name, language), value)
    photo = DEMO_PHOTOS / picture["file"]
    try:
        with open(photo, "rb") as file:
            image.file = File(file, name=photo.name)
            image.full_clean()
            image.save()
    except OSError as error:
        raise DemoDataError(
            _("%(file)s: the picture %(photo)s cannot be read: %(error)s")
            % {"file": path, "photo": photo, "error": error}
        ) from error
    except ValidationError as error:
        raise DemoDataError(
            _("%(file)s: the picture %(photo)s is not valid: %(errors)s")
            % {"file": path, "photo": photo, "errors": " ".join(error.messages)}
        ) from error
    return image, True


def _body_figure(pictures, block, language, path, title):
    """A library picture inside a body, as the editor's Figure extension writes it."""
    image = _named(pictures, [block["image"]], path, title)[0]
    rendition = image.rendition(library.PAGE_WIDTH)
    alt = getattr(image, build_localized_fieldname("alt_text", language)) or ""
    return format_html(
        '<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>',
        rendition.url,
        alt,
        block.get("caption", ""),
    )


def _named(known, names, path, title):
    """The objects ``known`` under ``names``; a name the demo file does not define is an error."""
    if unknown := [name for name in names if name not in known]:
        raise DemoDataError(
            _("%(file)s: the story “%(title)s” names an unknown tag or author: %(names)s")
            % {"file": path, "title": title, "names": ", ".join(unknown)}
        )
    return [known[name] for name in names]
