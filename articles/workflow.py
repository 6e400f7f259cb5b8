"""Who may do what to a story: the newsroom's roles, statuses and transitions.

One place that the admin, the bulk actions and any other path ask. The roles are
groups (created by migration 0005) holding these permissions:

- **Journalist**: adds stories, edits their own until they are published,
  submits them for review. Cannot publish, schedule or unpublish, nor edit other
  people's stories (they see them read-only).
- **Editor**: everything on stories and tags: review, send back with a
  comment, publish, schedule, unpublish, reassign authors.
- **Translator into <language>**: edits only that language's title, slug,
  standfirst and body, and that language's tag names and slugs, and marks the
  translation ready (readers see it) or takes it back.
- **Editor-in-chief**: an editor who also manages accounts and roles, and unlocks
  accounts locked after too many failed sign-ins (articles/lockouts.py).

Editors also choose each language's front page (its pinned lead stories) and
append corrections to published stories; nobody changes or deletes a correction.

A superuser may do everything. Every refusal is a ``WorkflowError`` whose
message says, in the active language, what was refused and why.

Accounts and roles: nobody gives more than they hold. Someone who is not a superuser
may give an account or a role only permissions they hold themselves (or translating,
see ``grantable_permissions``), may make an account a member only of roles made of
such permissions, never makes anyone a superuser, and may change or delete only the
accounts and roles they could have made (not a superuser's account, not the account
of someone holding more than they do): otherwise they could set that account's
password and sign in as it.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

# The per-language story fields a translator writes.
TRANSLATABLE_FIELDS = ("title", "slug", "standfirst", "body")

PUBLISH = "articles.publish_article"
EDIT_OTHERS = "articles.change_others_article"
REASSIGN = "articles.reassign_article"


def translate_permission(language):
    """The codename of the permission to translate into ``language``."""
    return f"translate_article_into_{language}"


# Role names are data (the admin lists groups by name); one name readable in both languages.
JOURNALISTS = "Journalistes · Journalists"
EDITORS = "Éditeurs · Editors"
EDITORS_IN_CHIEF = "Rédaction en chef · Editors-in-chief"
TRANSLATOR_GROUP_NAMES = {
    "fr": "Traduction vers le français · Translators into French",
    "en": "Traduction vers l’anglais · Translators into English",
}

JOURNALIST_PERMISSIONS = [
    ("articles", "add_article"),
    ("articles", "change_article"),
    ("articles", "view_article"),
    ("articles", "add_taggedarticle"),
    ("articles", "change_taggedarticle"),
    ("articles", "delete_taggedarticle"),
    ("articles", "view_taggedarticle"),
    ("articles", "add_tag"),
    ("articles", "view_tag"),
    ("articles", "view_storyevent"),
    ("articles", "view_correction"),
    # The photo library (articles/images.py): journalists add pictures and describe them.
    ("articles", "add_image"),
    ("articles", "change_image"),
    ("articles", "view_image"),
]
EDITOR_PERMISSIONS = [
    *JOURNALIST_PERMISSIONS,
    ("articles", "delete_image"),
    # Corrections are appended, never changed nor deleted (articles.models.Correction).
    ("articles", "add_correction"),
    # The front pages' lead stories.
    ("articles", "view_frontpage"),
    ("articles", "change_frontpage"),
    *[("articles", f"{action}_frontpagepin") for action in ("add", "change", "delete", "view")],
    ("articles", "delete_article"),
    ("articles", "publish_article"),
    ("articles", "change_others_article"),
    ("articles", "reassign_article"),
    ("articles", "change_tag"),
    ("articles", "delete_tag"),
    # The byline's author picker searches the accounts.
    ("auth", "view_user"),
]
CHIEF_PERMISSIONS = [
    *EDITOR_PERMISSIONS,
    *[
        ("auth", f"{action}_{model}")
        for model in ("user", "group")
        for action in ("add", "change", "delete", "view")
    ],
    # Failed sign-ins (articles/lockouts.py): seeing them, and deleting them, which unlocks.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
]


def translator_permissions(code):
    return [
        ("articles", "change_article"),
        ("articles", "view_article"),
        ("articles", "view_tag"),
        ("articles", "change_tag"),
        ("articles", "view_storyevent"),
        ("articles", "view_correction"),
        # Translators write the pictures' alt texts and captions in their language.
        ("articles", "view_image"),
        ("articles", "change_image"),
        ("articles", f"translate_article_into_{code}"),
    ]


def translators(language):
    return TRANSLATOR_GROUP_NAMES.get(language, f"Translators into {language}")


def roles():
    """(group name, [(app label, permission codename), ...]) of every role."""
    yield JOURNALISTS, JOURNALIST_PERMISSIONS
    yield EDITORS, EDITOR_PERMISSIONS
    yield EDITORS_IN_CHIEF, CHIEF_PERMISSIONS
    for code, _name in settings.LANGUAGES:
        yield translators(code), translator_permissions(code)


def ensure_roles(group_model=None, permission_model=None):
    """Create the role groups with their permissions (migrations 0006 and 0014; tests, demo).

    Permissions that do not exist yet are created by ``migrate`` after migrations;
    the caller makes sure they exist. A migration (``group_model`` given) skips the
    permissions of models a later migration makes: that one gives them.
    """
    in_migration = group_model is not None
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    for name, permissions in roles():
        group, _created = group_model.objects.get_or_create(name=name)
        for app_label, codename in permissions:
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and in_migration:
                continue
            if found is None:
                raise permission_model.DoesNotExist(f"{app_label}.{codename}")
            group.permissions.add(found)


def grantable_permissions(user):
    """The permissions ("app_label.codename") ``user`` may give others: the ones they hold.

    And translating into any language: it lets one edit that language's text of every
    story, which whoever may edit everyone's stories already may. So an editor-in-chief
    can make someone a translator without being one.
    """
    if not user.is_active:
        return set()
    permissions = set(user.get_all_permissions())
    if user.has_perm(EDIT_OTHERS) and user.has_perm("articles.change_article"):
        permissions |= {
            f"articles.{translate_permission(code)}" for code, _name in settings.LANGUAGES
        }
    return permissions


def is_superuser(user):
    return user.is_active and user.is_superuser


def may_grant(user, permissions):
    """Whether ``user`` may give every one of ``permissions`` (a Permission queryset)."""
    if is_superuser(user):
        return True
    grantable = grantable_permissions(user)
    return all(
        f"{app_label}.{codename}" in grantable
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    )


def may_manage_account(user, account):
    """Whether ``user`` may change or delete ``account``: only if they could have made it.

    The account's permissions are read from the database, its roles' included, even
    for an inactive account (which Django's permission checks treat as holding none).
    """
    from django.contrib.auth.models import Permission

    if is_superuser(user):
        return True
    if account.is_superuser:
        return False
    held = Permission.objects.filter(Q(user=account) | Q(group__user=account))
    return may_grant(user, held)


def may_manage_role(user, group):
    """Whether ``user`` may change or delete the role ``group``: only if they could give it."""
    return may_grant(user, group.permissions.all())


class WorkflowError(PermissionDenied):
    """An action the user may not take on this story; the message says why."""


def _status():
    from articles.models import Article

    return Article.Status


def is_editor(user):
    return user.is_active and user.has_perm(PUBLISH)


def can_preview(user):
    """Whether ``user`` reads on the site what readers cannot yet (drafts, unready
    translations): staff who may read stories in the admin, not any staff account."""
    return user.is_active and user.is_staff and user.has_perm("articles.view_article")


def translation_languages(user):
    """The languages ``user`` translates into (none for editors: they edit everything)."""
    return [
        code
        for code, _name in settings.LANGUAGES
        if user.has_perm(f"articles.{translate_permission(code)}")
    ]


def is_author(user, story):
    return story.pk is not None and story.authors.filter(pk=user.pk).exists()


def can_edit_text(user, story):
    """Whether ``user`` may change the story's text (all languages) and tags."""
    if not user.is_active or not user.has_perm("articles.change_article"):
        return False
    if is_editor(user) or user.has_perm(EDIT_OTHERS):
        return True
    if story is None or story.pk is None:
        return user.has_perm("articles.add_article")
    Status = _status()
    return is_author(user, story) and story.status not in (
        Status.PUBLISHED,
        Status.UNPUBLISHED,
    )


def can_change(user, story):
    """Whether ``user`` may save anything on the story (a translator: their languages)."""
    return can_edit_text(user, story) or bool(translation_languages(user))


def editable_fields(user, story, all_fields):
    """The subset of the form's ``all_fields`` that ``user`` may change on ``story``."""
    if can_edit_text(user, story):
        fields = set(all_fields)
        if not is_editor(user):
            fields -= {"published_at"}
        if not (is_editor(user) or user.has_perm(REASSIGN)):
            fields -= {"authors"}
        return fields
    # A translator writes translations, never the original.
    source = story.source_language if story is not None else None
    languages = [code for code in translation_languages(user) if code != source]
    return {
        build_localized_fieldname(field, code)
        for field in TRANSLATABLE_FIELDS
        for code in languages
    } & set(all_fields)


def allowed_statuses(user, story):
    """The statuses ``user`` may give ``story`` (its current one included)."""
    Status = _status()
    current = story.status if story is not None and story.pk else Status.DRAFT
    if is_editor(user):
        return list(Status.values)
    allowed = {current}
    if can_edit_text(user, story):
        if current in (Status.DRAFT, Status.SENT_BACK):
            allowed |= {Status.REVIEW}
        if current == Status.REVIEW:
            allowed |= {Status.DRAFT}  # withdrawn, to work on it again
    return [status for status in Status.values if status in allowed]


def check_status_change(user, story, new_status):
    """Refuse (WorkflowError) a status ``user`` may not give ``story``."""
    if new_status in allowed_statuses(user, story):
        return
    Status = _status()
    if new_status in (Status.PUBLISHED, Status.UNPUBLISHED):
        raise WorkflowError(_("Only an editor may publish, schedule or unpublish a story."))
    if new_status == Status.SENT_BACK:
        raise WorkflowError(_("Only an editor may send a story back."))
    raise WorkflowError(
        _("You may not change this story’s status from “%(old)s” to “%(new)s”.")
        % {"old": Status(story.status).label, "new": Status(new_status).label}
    )


def can_mark_ready(user, story, language):
    """Whether ``user`` may mark the story's ``language`` translation ready, or take it back.

    Its translators and editors; never the original, which is published with the story.
    """
    if story is not None and language == story.source_language:
        return False
    if not user.is_active or not user.has_perm("articles.change_article"):
        return False
    return is_editor(user) or language in translation_languages(user)


def translation_states(story, language):
    """The states the ``language`` translation may be given from where it stands.

    The first is where it stands (a missing one counts as in progress). An
    outdated one stays outdated until someone marks it ready again or takes it
    offline: saving other changes does not clear the flag.
    """
    from articles.models import LanguageState

    current = story.state(language) if story is not None else LanguageState.MISSING
    if current == LanguageState.OUTDATED:
        return [LanguageState.OUTDATED, LanguageState.READY, LanguageState.IN_PROGRESS]
    if current == LanguageState.READY:
        return [LanguageState.READY, LanguageState.IN_PROGRESS]
    return [LanguageState.IN_PROGRESS, LanguageState.READY]


def check_translation_state(user, story, language, state, has_text):
    """Refuse (WorkflowError) a translation state ``user`` may not give, or that cannot be."""
    from articles.models import LanguageState

    if state == translation_states(story, language)[0]:
        return
    if not can_mark_ready(user, story, language):
        raise WorkflowError(
            _("Only an editor or a translator into this language may mark it ready.")
        )
    if state not in translation_states(story, language):
        raise WorkflowError(_("This translation cannot be given that state."))
    if state == LanguageState.READY and not has_text:
        raise WorkflowError(_("Only a translation with a title and a body can be marked ready."))


def record_translation(story, user, language, old_state):
    """Add the audit-trail event of a translation marked ready or taken offline."""
    from articles.models import LanguageState, StoryEvent

    new_state = story.state(language)
    if new_state == LanguageState.READY and old_state != LanguageState.READY:
        kind = StoryEvent.Kind.TRANSLATION_READY
    elif new_state == LanguageState.IN_PROGRESS and old_state in (
        LanguageState.READY,
        LanguageState.OUTDATED,
    ):
        kind = StoryEvent.Kind.TRANSLATION_WITHDRAWN
    else:
        return None
    return StoryEvent.objects.create(story=story, user=user, kind=kind, language=language)


# A queue's count stops there: "1000+" says enough, and counting further costs a scan.
QUEUE_COUNT_LIMIT = 1000


def queues(user):
    """The work waiting for ``user``, by role: [(key, label, filters, stories), ...].

    Editors: the review queue. Who writes stories: their own. Translators (and
    editors): per language, the stories to translate and the outdated ones.
    ``filters`` are the story list's, ``stories`` the queryset behind them.
    """
    from articles.models import Article

    stories = Article.objects.all()
    found = []
    if is_editor(user):
        found.append(
            ("review", _("Submitted for review"), {"queue": "review"}, stories.review_queue())
        )
    if user.has_perm("articles.add_article"):
        found.append(("mine", _("My stories"), {"queue": "mine"}, stories.by_author(user)))
    languages = (
        [code for code, _name in settings.LANGUAGES]
        if is_editor(user)
        else translation_languages(user)
    )
    names = dict(settings.LANGUAGES)
    for code in languages:
        found.append(
            (
                f"translate_{code}",
                _("To translate into %(language)s") % {"language": names[code]},
                {f"translation_{code}": "needed"},
                stories.needing_translation(code),
            )
        )
        found.append(
            (
                f"outdated_{code}",
                _("Translation outdated (%(language)s)") % {"language": names[code]},
                {f"translation_{code}": "outdated"},
                stories.outdated(code),
            )
        )
    return found


def queue_count(stories):
    """How many stories a queue holds, up to QUEUE_COUNT_LIMIT (then "1000+")."""
    count = stories.order_by()[: QUEUE_COUNT_LIMIT + 1].count()
    return f"{QUEUE_COUNT_LIMIT}+" if count > QUEUE_COUNT_LIMIT else str(count)


def can_correct(user, story):
    """Whether ``user`` may append a correction to ``story``: editors, once it is published."""
    return (
        is_editor(user)
        and user.has_perm("articles.add_correction")
        and story is not None
        and story.is_published()
    )


def check_correction(user, story):
    if not can_correct(user, story):
        raise WorkflowError(_("Only an editor may add a correction, to a published story."))


def can_pin(user):
    """Whether ``user`` may choose the front pages' lead stories: editors."""
    return is_editor(user) and user.has_perm("articles.change_frontpage")


def can_merge_tags(user):
    """Editors merge duplicate tags (it deletes tags and moves every story's links)."""
    return is_editor(user) and user.has_perm("articles.delete_tag")


def check_merge(user):
    if not can_merge_tags(user):
        raise WorkflowError(_("Only an editor may merge tags."))


def check_bulk(user):
    """Refuse a bulk publish or unpublish by someone who is not an editor."""
    if not is_editor(user):
        raise WorkflowError(_("Only an editor may publish, schedule or unpublish a story."))


def event_for(old_status, new_status, published_at=None):
    """The audit-trail event a status change is, or None when the status did not change."""
    from django.utils import timezone

    Status = _status()
    if old_status == new_status or (old_status is None and new_status == Status.DRAFT):
        return None
    if new_status == Status.PUBLISHED:
        if published_at is not None and published_at > timezone.now():
            return "scheduled"
        return "published"
    return {
        Status.REVIEW: "submitted",
        Status.SENT_BACK: "sent_back",
        Status.UNPUBLISHED: "unpublished",
        Status.DRAFT: "withdrawn" if old_status == Status.REVIEW else "reopened",
    }[new_status]


def record(story, user, old_status, comment=""):
    """Add the audit-trail event of ``story``'s status change, when it changed."""
    from articles.models import Article, StoryEvent

    kind = event_for(old_status, story.status, story.published_at)
    if kind is None:
        return None
    with transaction.atomic():
        event = StoryEvent.objects.create(story=story, user=user, kind=kind, comment=comment)
        # update(): the story's own save (and its revision) is done; this is its queue place.
        Article.objects.filter(pk=story.pk).update(
            status_changed_at=event.at, status_changed_by=user
        )
        story.status_changed_at, story.status_changed_by = event.at, user
    return event


def record_bulk(stories, user, kind):
    from django.utils import timezone

    from articles.models import Article, StoryEvent

    with transaction.atomic():
        events = StoryEvent.objects.bulk_create(
            [StoryEvent(story_id=pk, user=user, kind=kind) for pk in stories]
        )
        Article.objects.filter(pk__in=stories).update(
            status_changed_at=timezone.now(), status_changed_by=user
        )
    return events


def can_restore(user, story):
    """Whether ``user`` may bring back an earlier version of the story's text, tags and authors."""
    return is_editor(user) or can_edit_text(user, story)
