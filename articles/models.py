import functools
import re
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import connections, models, router, transaction
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Now, Replace, Upper
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.text import format_lazy, get_text_list, slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_prose_editor.fields import ProseEditorField, create_sanitizer
from modeltranslation.utils import build_localized_fieldname
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from articles import images, maintenance, search
from articles.images import Image  # noqa: F401  (a model of this app, in its own module)
from articles.pagination import StoryCursor, seek_stories

SLUG_MAX_LENGTH = 100
# A story is written in a language when it has these in that language.
REQUIRED_PER_LANGUAGE = ("title", "body")
# The original's fields a translation follows: when one changes, the translation is outdated.
TRANSLATED_FROM_SOURCE = ("title", "standfirst", "body")

# Characters that Unicode decomposition does not turn into ASCII, and
# apostrophes, which should separate words ("l’Ukraine" -> "l-ukraine").
_SLUG_TRANSLATION = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": " ", "'": " ", "‘": " "}
)


def language_codes():
    return [code for code, _name in settings.LANGUAGES]


def story_count_field(language):
    return build_localized_fieldname("story_count", language)


def ascii_slug(text, max_length=SLUG_MAX_LENGTH):
    """Lower-case ASCII slug: "région de Koursk" -> "region-de-koursk"."""
    slug = slugify(str(text).translate(_SLUG_TRANSLATION))
    return slug[:max_length].rstrip("-")


def unique_slug(queryset, field_name, text, max_length=SLUG_MAX_LENGTH):
    """The slug of ``text``, with -2, -3... appended while ``queryset`` has it."""
    base = ascii_slug(text, max_length) or "sans-titre"
    taken = set(
        queryset.filter(**{f"{field_name}__startswith": base}).values_list(field_name, flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
    return candidate


def fill_slug(instance, field_name, text):
    """Make a typed slug lower-case ASCII; with none, make a free one from ``text``."""
    slug = ascii_slug(getattr(instance, field_name) or "") or None
    if slug is None and text:
        others = type(instance).objects.exclude(pk=instance.pk)
        slug = unique_slug(others, field_name, text)
    setattr(instance, field_name, slug)


def unique_per_language(model_name, *field_names):
    """Constraints making each language's column unique: one per field and language.

    The base columns that modeltranslation keeps hold whichever language was
    active when saving, so uniqueness lives on the per-language columns.
    """
    constraints = []
    for field in field_names:
        for code in language_codes():
            column = build_localized_fieldname(field, code)
            name = f"{model_name}_unique_{field}_{code}"
            if field == "name":  # names are unique whatever their case
                constraints.append(models.UniqueConstraint(Upper(column), name=name))
            else:
                constraints.append(models.UniqueConstraint(fields=[column], name=name))
    return constraints


def readable_per_language(model_name):
    """Per language, an index of the published stories readable in it, newest first.

    The home page reads it in order and stops after one page. The condition is
    ``publication_filter`` without the time (which an index cannot hold), and
    ``language_filter``, so that PostgreSQL can prove the query matches it.
    """
    indexes = []
    for code in language_codes():
        # "published" spelled out: Article.Status does not exist yet while Article.Meta is made.
        condition = Q(status="published") & language_filter(code)
        indexes.append(
            models.Index(
                fields=["-published_at", "-id"],
                condition=condition,
                name=f"{model_name}_readable_{code}_idx",
            )
        )
    return indexes


def search_documents(model_name):
    """Per language, the GIN index of the search documents of the stories readable in it
    (the public search, articles.search); partial like readable_per_language's, and spelled
    the same, so that PostgreSQL can prove a search of readable stories matches it."""
    return [
        GinIndex(
            fields=[search.document_field(code)],
            condition=Q(status="published") & language_filter(code),
            name=f"{model_name}_search_{code}_idx",
        )
        for code in language_codes()
    ]


def translation_queues(model_name):
    """Per language, the translators' queues as indexes, newest first like the story list:
    the stories to translate (ArticleQuerySet.needing_translation) and the outdated ones."""
    indexes = []
    for code in language_codes():
        state = state_field(code)
        to_translate = Q(status__in=["published", "review"]) & Q(
            **{f"{state}__in": ["missing", "in_progress"]}
        )
        indexes.append(
            models.Index(
                fields=["-published_at", "-id"],
                condition=to_translate,
                name=f"{model_name}_to_translate_{code}_idx",
            )
        )
        indexes.append(
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(**{state: "outdated"}),
                name=f"{model_name}_outdated_{code}_idx",
            )
        )
    return indexes


@functools.lru_cache(maxsize=64)
def _name_and_slug_positions(field_names):
    """Where a tag's name and slug columns are in a row of ``field_names``, in the order of
    LANGUAGES: ([name positions], [slug positions]), or None when some are not read."""
    try:
        return tuple(
            [field_names.index(build_localized_fieldname(field, code)) for code in language_codes()]
            for field in ("name", "slug")
        )
    except ValueError:
        return None


@functools.lru_cache(maxsize=100_000)
def tag_path(script_prefix, language, slugs):
    """The tag page's path; remembered, since a list page shows a hundred tag links.

    The arguments are everything reverse() depends on here.
    """
    with translation.override(language):
        return reverse("articles:tag-detail", kwargs={"slugs": slugs})


@receiver(setting_changed)
def _forget_tag_paths(setting, **kwargs):
    if setting in ("ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE"):
        tag_path.cache_clear()


TAGS_ALL = "+"
TAGS_ANY = ","
# More tags than this on one page is no reader's request, and each costs the query work.
MAX_COMBINED_TAGS = 5


def parse_tag_expression(expression):
    """("+", ["a", "b"]) for "a+b", (",", ["a", "b"]) for "a,b".

    None when "+" and "," are mixed or more than MAX_COMBINED_TAGS are combined.
    """
    if TAGS_ALL in expression and TAGS_ANY in expression:
        return None
    operator = TAGS_ANY if TAGS_ANY in expression else TAGS_ALL
    slugs = list(dict.fromkeys(expression.split(operator)))
    if len(slugs) > MAX_COMBINED_TAGS:
        return None
    return operator, slugs


def tag_search_vector():
    """The words of a tag's slugs in every language: lower-case ASCII, so accent-free."""
    slugs_as_words = [
        Replace(build_localized_fieldname("slug", code), Value("-"), Value(" "))
        for code in language_codes()
    ]
    return SearchVector(*slugs_as_words, config="simple")


def publication_filter(prefix="", now=None):
    """The publication rule: published, and the publication time has come.

    ``prefix`` applies it through a relation ("content_object__"); ``now=False``
    leaves out the time, for counts that scheduled stories join in advance.
    """
    rule = Q(**{f"{prefix}status": Article.Status.PUBLISHED})
    if now is not False:
        rule &= Q(**{f"{prefix}published_at__lte": now or timezone.now()})
    return rule


class LanguageState(models.TextChoices):
    """Where a story's version in one language stands (``Article.state_<code>``)."""

    SOURCE = "source", _("Original")
    MISSING = "missing", _("Missing")
    IN_PROGRESS = "in_progress", _("In progress")
    READY = "ready", _("Ready")
    OUTDATED = "outdated", _("Outdated")


# The states in which readers see a language version (once the story is published): the
# original, and a translation marked ready, also after its original changed. Always in
# this order, so that PostgreSQL can match a query's list with the indexes' (migration 0007).
LIVE_STATES = (LanguageState.SOURCE, LanguageState.READY, LanguageState.OUTDATED)


def state_field(language):
    return build_localized_fieldname("state", language)


def language_filter(language=None, prefix=""):
    """Stories whose version in ``language`` (default: the active one) readers may see.

    The original language, or a translation marked ready; a check constraint
    makes sure such a version has a title and a body.
    """
    language = language or translation.get_language()
    return Q(**{f"{prefix}{state_field(language)}__in": [state.value for state in LIVE_STATES]})


def text_filter(language=None, prefix=""):
    """Stories that have a title and a body in ``language``, ready or not (staff previews)."""
    language = language or translation.get_language()
    # "> ''" is false for both NULL and the empty string.
    return Q(
        **{
            f"{prefix}{build_localized_fieldname(field, language)}__gt": ""
            for field in REQUIRED_PER_LANGUAGE
        }
    )


def live_needs_text(model_name):
    """Check constraints: a language version readers may see has a title and a body."""
    constraints = []
    for code in language_codes():
        has_text = Q()
        for field in REQUIRED_PER_LANGUAGE:
            column = build_localized_fieldname(field, code)
            has_text &= Q(**{f"{column}__isnull": False, f"{column}__gt": ""})
        live = Q(**{f"{state_field(code)}__in": [state.value for state in LIVE_STATES]})
        constraints.append(
            models.CheckConstraint(
                condition=~live | has_text, name=f"{model_name}_{code}_live_has_text"
            )
        )
    return constraints


class TagQuerySet(models.QuerySet):
    def search(self, text):
        """Tags with a word starting with each word of ``text``, in any language.

        "kours", "Koursk" and "région kou" all find "région de Koursk". Works on
        the slugs' words through a GIN index, so it stays fast with tens of
        thousands of tags and needs no PostgreSQL extension.
        """
        words = [word for word in re.split(r"[-_]", ascii_slug(text, max_length=200)) if word]
        if not words:
            return self.none()
        query = SearchQuery(
            " & ".join(f"{word}:*" for word in words), search_type="raw", config="simple"
        )
        return self.annotate(search_words=tag_search_vector()).filter(search_words=query)

    def in_use(self, language=None):
        """Tags of at least one published story in ``language``, alphabetical by slug.

        Reads the maintained ``story_count_<language>`` column: no story is counted
        on a request. Slugs are lower-case ASCII and always filled, so the order is
        alphabetical whatever the accents, case or database collation.
        """
        language = language or translation.get_language()
        slug = build_localized_fieldname("slug", language)
        return self.filter(**{f"{story_count_field(language)}__gt": 0}).order_by(slug)

    def refresh_story_counts(self):
        """Recount the published stories of these tags in each language.

        The database triggers of migration 0004 keep the counts up to date on
        every write; this repairs them after bulk loads that bypass the triggers.
        """
        counts = {}
        for code in language_codes():
            stories = TaggedArticle.objects.filter(
                publication_filter("content_object__", now=False),
                language_filter(code, "content_object__"),
                tag=OuterRef("pk"),
            )
            counts[story_count_field(code)] = Coalesce(
                Subquery(
                    stories.order_by().values("tag").annotate(n=models.Count("pk")).values("n")
                ),
                0,
            )
        return self.update(**counts)

    def with_latest_stories(self, now=None):
        """Each tag with ``latest_<language>``: when its newest story readable in that language
        was published, or None (the tag has no page there: no story, or scheduled ones only).

        One read of the tag-link index per tag and language, newest first, stopped at the
        first readable story; a language where the tag's maintained count is 0 is not read.
        """
        now = now or timezone.now()
        latest = {}
        for code in language_codes():
            newest = (
                TaggedArticle.objects.readable(code, now)
                .filter(tag=OuterRef("pk"))
                .order_by("-published_at")
                .values("published_at")[:1]
            )
            latest[f"latest_{code}"] = models.Case(
                models.When(Q(**{f"{story_count_field(code)}__gt": 0}), then=Subquery(newest)),
                default=None,
                output_field=models.DateTimeField(),
            )
        return self.annotate(**latest)

    def for_slugs(self, slugs, language):
        """The tags with these slugs, in the order given, without repeats; None if one is unknown.

        A slug is looked for in ``language`` first, then in the other languages,
        then among the slugs tags had before being renamed (TagSlug), so that a
        link using another language's slug or an old one can be redirected.
        """
        languages = [language, *[code for code in language_codes() if code != language]]
        match = Q()
        for code in languages:
            match |= Q(**{f"{build_localized_fieldname('slug', code)}__in": slugs})
        found = list(self.filter(match))
        by_slug = {}
        for code in languages:
            for tag in found:
                by_slug.setdefault(getattr(tag, build_localized_fieldname("slug", code)), tag)
        if unknown := [slug for slug in slugs if slug not in by_slug]:
            old = TagSlug.objects.filter(slug__in=unknown).select_related("tag")
            for code in languages:
                for former in old:
                    if former.language == code:
                        by_slug.setdefault(former.slug, former.tag)
        if not all(slug in by_slug for slug in slugs):
            return None
        return list(dict.fromkeys(by_slug[slug] for slug in slugs))

    def named(self, name, languages):
        """The tag called ``name`` (any case), looked for in ``languages`` in that order."""
        for code in languages:
            lookup = {f"{build_localized_fieldname('name', code)}__iexact": name}
            if tag := self.filter(**lookup).first():
                return tag
        return None

    def for_names(self, names, language):
        """The tags named ``names`` in ``language`` (or in any language), created if missing.

        A new tag gets the name in both languages until a translator sets the
        other one; the tag admin lists such tags.
        """
        tags = []
        languages = [language, *[code for code in language_codes() if code != language]]
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            tag = self.named(name, languages)
            if tag is None:
                tag = Tag(
                    **{build_localized_fieldname("name", code): name for code in language_codes()}
                )
                tag.save()
            tags.append(tag)
        return tags


class Tag(TagBase):
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("The tag as readers see it, with accents and capitals: “Corée du Nord”."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=SLUG_MAX_LENGTH,
        blank=True,
        help_text=_("The tag’s web address. Left empty, it is made from the name."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        # Rows written without it (the benchmark's COPY) have none.
        db_default="",
        help_text=_(
            "A sentence or two at the top of the tag’s page telling readers what the topic "
            "covers: “Our coverage of the war in Ukraine since 2022.” Left empty in a "
            "language, the page shows none there."
        ),
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = unique_per_language("tag", "name", "slug")
        indexes = [
            # The admin's tag search (see TagQuerySet.search) is answered by this index.
            GinIndex(tag_search_vector(), name="tag_search_idx"),
            # The tag index (TagQuerySet.in_use): a page is one read of this index in slug
            # order, at any depth, the tags of no readable story left out of it.
            *[
                models.Index(
                    fields=[build_localized_fieldname("slug", code)],
                    condition=Q(**{f"{story_count_field(code)}__gt": 0}),
                    name=f"tag_in_use_{code}_idx",
                )
                for code in language_codes()
            ],
        ]

    def __str__(self):
        return self.name or ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The names and slugs as loaded, for save() to see what changed; kept as they
        # are (a page loads a hundred tags and saves none).
        positions = _name_and_slug_positions(tuple(field_names))
        if positions is not None:  # not when some are deferred
            names, slugs = [values[i] for i in positions[0]], [values[i] for i in positions[1]]
            instance.stored_names_and_slugs = (names, slugs)
        return instance

    def names_and_slugs(self, names_and_slugs=None):
        """{language: (name readers see, slug)}: a slug made from its name follows a new name.

        Of ``names_and_slugs`` (names, slugs in the order of LANGUAGES) if given, else of
        the tag as it is now."""
        codes = language_codes()
        if names_and_slugs is None:
            names_and_slugs = (
                [getattr(self, build_localized_fieldname("name", code), None) for code in codes],
                [getattr(self, build_localized_fieldname("slug", code), None) for code in codes],
            )
        names, slugs = names_and_slugs
        first = next((name for name in names if name), "")
        return {
            code: (name or first, slug)
            for code, name, slug in zip(codes, names, slugs, strict=True)
        }

    def save(self, *args, **kwargs):
        loaded = getattr(self, "stored_names_and_slugs", None)
        stored = self.names_and_slugs(loaded) if loaded is not None else {}
        moved = []
        for code in language_codes():
            slug_field = build_localized_fieldname("slug", code)
            name = getattr(self, build_localized_fieldname("name", code)) or self.any_name()
            old_name, old_slug = stored.get(code, (None, None))
            # Renamed with its slug left as it was, and that slug the one its old name
            # made (not one set by hand): the slug follows the new name.
            follows = old_slug == ascii_slug(old_name or "") and name != old_name
            if old_slug and follows and getattr(self, slug_field) == old_slug:
                setattr(self, slug_field, None)
            fill_slug(self, slug_field, name)
            if old_slug and getattr(self, slug_field) != old_slug:
                moved.append((code, old_slug))
        with transaction.atomic():
            self._save_tag(*args, **kwargs)
            for code, slug in moved:
                # The old address leads to the new one (TagQuerySet.for_slugs).
                TagSlug.objects.update_or_create(language=code, slug=slug, defaults={"tag": self})
            if moved:
                for code in language_codes():
                    current = getattr(self, build_localized_fieldname("slug", code))
                    TagSlug.objects.filter(language=code, slug=current).delete()
        codes = language_codes()
        self.stored_names_and_slugs = (
            [getattr(self, build_localized_fieldname("name", code)) for code in codes],
            [getattr(self, build_localized_fieldname("slug", code)) for code in codes],
        )

    def _save_tag(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            # The counts are the database's (migration 0004); this copy may be stale.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and not field.name.startswith("story_count_")
            ]
        # TagBase.save() would make a Unicode slug from the active language only.
        models.Model.save(self, *args, **kwargs)

    def get_absolute_url(self):
        return tag_path(get_script_prefix(), translation.get_language(), self.slug)

    def absorb(self, others):
        """Merge the tags ``others`` into this one, for good: their stories carry this tag
        (where they had it, in the same place in their list), their addresses in every
        language redirect here, and they are deleted. The counts follow (the triggers of
        migration 0004); a story that had two of them keeps one link.

        Returns the ids of the stories whose tags changed.
        """
        others = [tag for tag in others if tag.pk != self.pk]
        if not others:
            return []
        merged = [tag.pk for tag in others]
        with transaction.atomic():
            stories = TaggedArticle.objects.filter(tag__in=merged).move_to(self)
            TagSlug.objects.filter(tag__in=merged).update(tag=self)
            for other in others:
                for code in language_codes():
                    slug = getattr(other, build_localized_fieldname("slug", code))
                    if slug and slug != getattr(self, build_localized_fieldname("slug", code)):
                        TagSlug.objects.update_or_create(
                            language=code, slug=slug, defaults={"tag": self}
                        )
            Tag.objects.filter(pk__in=merged).delete()
        return stories

    @staticmethod
    def combination_name(tags, operator):
        """ "Russie et Corée du Nord" for ``+``, "Russie ou Corée du Nord" for ``,``."""
        word = _("and") if operator == TAGS_ALL else _("or")
        return get_text_list([tag.name for tag in tags], str(word))

    @staticmethod
    def combination_html(tags, operator, joined_by=None):
        """combination_name() as HTML, a name borrowed from another language marked with its
        ``lang`` (see ``name_lang``); joined as django.utils.text.get_text_list() joins, or
        by ``joined_by`` ("Climat + Énergie")."""
        names = [
            format_html('<span lang="{}">{}</span>', tag.name_lang(), tag.name)
            if tag.name_lang()
            else format_html("{}", tag.name)
            for tag in tags
        ]
        if len(names) == 1:
            return names[0]
        if joined_by is not None:
            return format_html_join(f" {joined_by} ", "{}", ((name,) for name in names))
        word = _("and") if operator == TAGS_ALL else _("or")
        first = format_html_join(pgettext("list", ", "), "{}", ((name,) for name in names[:-1]))
        return format_html("{} {} {}", first, word, names[-1])

    @staticmethod
    def combination_url(tags, operator, language=None):
        """The page of stories with all (``+``) or any (``,``) of ``tags``."""
        with translation.override(language or translation.get_language()):
            slugs = operator.join(tag.slug for tag in tags)
            return reverse("articles:tag-detail", kwargs={"slugs": slugs})

    @staticmethod
    def with_story_counts(tags, language):
        """``tags`` that have readable stories in ``language``, each with its ``story_count``.

        The maintained counts include stories scheduled for later; the few
        scheduled stories are looked up and taken off.
        """
        scheduled = TaggedArticle.objects.scheduled_counts(tags, language)
        counted = []
        for tag in tags:
            tag.story_count = getattr(tag, story_count_field(language)) - scheduled.get(tag.pk, 0)
            if tag.story_count > 0:
                counted.append(tag)
        return counted

    def any_name(self):
        """The first name the tag has, in the order of LANGUAGES."""
        for code in language_codes():
            if value := getattr(self, build_localized_fieldname("name", code)):
                return value
        return ""

    def name_language(self, language=None):
        """The language of the name readers of ``language`` (default: the active one) see.

        Their own, or, for a tag not named in it yet, the language of the name shown
        instead (``name`` falls back in the order of LANGUAGES, see translation.py).
        """
        language = language or translation.get_language()
        if getattr(self, build_localized_fieldname("name", language), None):
            return language
        for code in language_codes():
            if getattr(self, build_localized_fieldname("name", code), None):
                return code
        return language

    def name_lang(self):
        """The ``lang`` attribute a tag's name needs on a page in the active language:
        the other language's code when the tag has no name in this one, else ""."""
        language = translation.get_language()
        code = self.name_language(language)
        return "" if code == language else code

    def untranslated_languages(self):
        """The languages the tag has no name in yet (the admin's "to translate")."""
        return [
            code
            for code in language_codes()
            if not getattr(self, build_localized_fieldname("name", code), None)
        ]

    def description_in(self, language=None):
        """The description in ``language`` only: never another language's."""
        language = language or translation.get_language()
        return getattr(self, build_localized_fieldname("description", language), None) or ""

    def frequent_companions(self, language=None, limit=None):
        """The tags most often carried with this one by stories readable in ``language``,
        each with ``story_count``: the stories readable now that carry both (TagPair)."""
        return TagPair.objects.companions(self, language or translation.get_language(), limit)

    def url_for(self, language):
        with translation.override(language):
            return self.get_absolute_url()

    def slug_in(self, language):
        return getattr(self, build_localized_fieldname("slug", language))


for _code in language_codes():
    Tag.add_to_class(
        story_count_field(_code),
        models.PositiveIntegerField(
            format_lazy("{} ({})", _("published stories"), _code),
            default=0,
            db_default=0,
            editable=False,
            help_text=_("Kept up to date by the database when stories change."),
        ),
    )


class TagSlug(models.Model):
    """A slug a tag had before it was renamed: its old address redirects to the new one."""

    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="old_slugs", verbose_name=_("tag")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH)

    class Meta:
        verbose_name = _("former tag address")
        verbose_name_plural = _("former tag addresses")
        constraints = [models.UniqueConstraint(fields=["language", "slug"], name="tag_slug_unique")]
        indexes = [models.Index(fields=["slug"], name="tag_slug_slug_idx")]

    def __str__(self):
        return f"{self.slug} ({self.language})"


class TagPairQuerySet(models.QuerySet):
    def companions(self, tag, language, limit=None):
        """The tags most often carried with ``tag`` by stories readable in ``language``, the
        most frequent first, each with ``story_count``: the stories readable now with both.

        One read of the pairs' index for the language (TagPair.Meta). The maintained
        counts include stories scheduled for later: those are counted per pair for the
        rows read (a few stories at most) and taken off, so a pair of embargoed stories
        only is never offered.
        """
        limit = limit or settings.TAG_COMPANIONS
        field = story_count_field(language)
        scheduled = Article.objects.scheduled().in_language(language)
        both = (
            scheduled.filter(
                Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag=tag)),
                Exists(
                    TaggedArticle.objects.filter(
                        content_object=OuterRef("pk"), tag=OuterRef(OuterRef("other"))
                    )
                ),
            )
            .order_by()
            .annotate(n=models.Func(models.F("pk"), function="COUNT"))
            .values("n")
        )
        # Twice as many as shown: scheduled stories may lower a few counts.
        rows = (
            self.filter(tag=tag, **{f"{field}__gt": 0})
            .select_related("other")
            .annotate(scheduled=Subquery(both, output_field=models.IntegerField()))
            .order_by(f"-{field}", "other")[: 2 * limit]
        )
        companions = []
        for pair in rows:
            pair.other.story_count = getattr(pair, field) - (pair.scheduled or 0)
            if pair.other.story_count > 0:
                companions.append(pair.other)
        companions.sort(key=lambda other: -other.story_count)
        return companions[:limit]

    def all_met(self, tags, language):
        """Whether stories readable in ``language`` (or scheduled in it) carry each pair of
        ``tags``: a condition PostgreSQL evaluates once, before reading anything else."""
        field = story_count_field(language)
        condition = Q()
        for index, tag in enumerate(tags):
            for other in tags[index + 1 :]:
                condition &= Exists(self.filter(tag=tag, other=other, **{f"{field}__gt": 0}))
        return condition

    def rebuild(self):
        """Count every pair again from the stories' tags (after a load bypassing the
        triggers, such as the benchmark's corpus): the database function of migration 0013."""
        with connections[self.db].cursor() as cursor:
            cursor.execute("SELECT articles_tagpair_rebuild()")


class TagPair(models.Model):
    """Two tags carried by the same stories, and how many such stories readers may see in
    each language: what a tag page offers to narrow it down with ("Climat + Énergie").

    Kept by database triggers on every write of stories and of their tags (migration
    0013); the pair is stored both ways round, so that a tag's most frequent companions
    are one read of an index. Rows at zero in every language are deleted.
    """

    pk = models.CompositePrimaryKey("tag", "other")
    # No foreign key constraint: the triggers delete a tag's pairs with its links, before
    # the tag itself goes.
    tag = models.ForeignKey(
        Tag,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the primary key's index starts with it
        related_name="pairs",
        verbose_name=_("tag"),
    )
    other = models.ForeignKey(
        Tag,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("other tag"),
    )

    objects = TagPairQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag pair")
        verbose_name_plural = _("tag pairs")
        indexes = [
            # A tag's most frequent companions in a language: one read, in order.
            *[
                models.Index(
                    fields=["tag", f"-{story_count_field(code)}", "other"],
                    condition=Q(**{f"{story_count_field(code)}__gt": 0}),
                    name=f"tag_pair_top_{code}_idx",
                )
                for code in language_codes()
            ],
            # The rows the triggers have just brought to zero, which they then delete.
            models.Index(
                fields=["tag", "other"],
                condition=Q(**{story_count_field(code): 0 for code in language_codes()}),
                name="tag_pair_zero_idx",
            ),
        ]

    def __str__(self):
        return f"{self.tag} + {self.other}"


for _code in language_codes():
    TagPair.add_to_class(
        story_count_field(_code),
        # Not "positive": the triggers add signed changes in one INSERT ... ON CONFLICT, and
        # the row proposed for insertion is checked before the conflict is found.
        models.IntegerField(
            format_lazy("{} ({})", _("published stories"), _code),
            default=0,
            editable=False,
            help_text=_("Kept up to date by the database when stories change."),
        ),
    )


# Related stories (ArticleQuerySet.related_to): how many a story page shows, and how
# much it reads to find them: the newest readable links of each of the story's first tags.
RELATED_STORIES = 4
RELATED_TAGS = 10
RELATED_CANDIDATES_PER_TAG = 40
# Lead stories a front page holds at most (FrontPagePin).
FRONT_PAGE_MAX_PINS = 10


def listing_prefetches():
    """What a list of story cards reads besides the stories: tags in order, and authors."""
    tags = TaggedArticle.objects.select_related("tag").order_by("pk")
    authors = get_user_model().objects.order_by("last_name", "username")
    return [Prefetch("tagged_items", queryset=tags), Prefetch("authors", queryset=authors)]


def prefetch_for_listing(stories):
    """``for_listing()``'s reads for stories already fetched (lists made of two reads)."""
    prefetch_related_objects(stories, *listing_prefetches())
    return stories


class TaggedArticleQuerySet(models.QuerySet):
    def move_to(self, tag):
        """Retag these links to ``tag`` in bulk, each in its place in its story's list of tags.

        A story left with two links to ``tag`` (it had it, or two of the moved ones) keeps
        the first in its order. Three statements whatever the number of links; the counts and
        pairs follow (the triggers of migrations 0004 and 0013), the pages of the stories are
        forgotten and the tables analysed once it commits (articles/maintenance.py).

        Returns the ids of the stories whose tags changed.
        """
        from articles.cache import forget_stories

        moving = self.exclude(tag=tag)
        # The primary's: with a read replica, a queryset reads from the replica by default.
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            stories = list(moving.values_list("content_object", flat=True).distinct())
            self._delete_second_links(moving, tag, using)
            moving.update(tag=tag)
            if stories:
                forget_stories(stories)
                maintenance.analyze_after_commit(TaggedArticle, TagPair, Tag)
        return stories

    def _delete_second_links(self, moving, tag, using):
        """Delete the links of ``moving`` that would make a story's second link to ``tag``:
        of each story's moved links and its link to ``tag``, the first in id order stays.

        One statement that reads each of the two sets once and ranks them by story. Written
        as SQL: the ORM's ``Q(pk__in=moving) | Q(tag=tag)`` with an ``Exists`` on itself is
        planned, at the size of the biggest tag, as a subquery run again for every link.
        """
        connection = connections[using]
        meta = TaggedArticle._meta
        table, pk, story, tag_column = map(
            connection.ops.quote_name,
            [
                meta.db_table,
                meta.pk.column,
                meta.get_field("content_object").column,
                meta.get_field("tag").column,
            ],
        )
        moved = moving.order_by().values_list("pk", "content_object").query
        moved_sql, moved_params = moved.get_compiler(connection=connection).as_sql()
        with connection.cursor() as cursor:
            # Only quoted names and the ORM's own SQL are formatted in; values are parameters.
            cursor.execute(
                f"""
                WITH story_links (link, story) AS (
                    {moved_sql}
                    UNION ALL
                    SELECT {pk}, {story} FROM {table} WHERE {tag_column} = %s
                ), ranked AS (
                    SELECT link, row_number() OVER (PARTITION BY story ORDER BY link) AS place
                    FROM story_links
                )
                DELETE FROM {table} WHERE {pk} IN (SELECT link FROM ranked WHERE place > 1)
                """,  # noqa: S608
                [*moved_params, tag.pk],
            )

    def readable(self, language=None, now=None):
        """Links to stories a reader of ``language`` may see.

        The link's own ``published_at`` (a copy kept by the database) is what the
        tag pages' index is ordered by; the story's columns decide the rest.
        """
        now = now or timezone.now()
        return self.filter(
            publication_filter("content_object__", now),
            language_filter(language, "content_object__"),
            published_at__lte=now,
        )

    def scheduled_counts(self, tags, language):
        """{tag id: number of stories in ``language`` scheduled for later} for ``tags``."""
        if not tags:
            return {}
        scheduled = Article.objects.scheduled().in_language(language)
        rows = (
            self.filter(tag__in=tags, content_object__in=scheduled)
            .values("tag")
            .annotate(n=models.Count("pk"))
            .values_list("tag", "n")
        )
        return dict(rows)

    def story_keys(
        self, tags, operator, *, cursor=None, backwards=False, limit, language=None, also_in=()
    ):
        """The newest readable stories with ``tags``, and the tags that have one (TaggedStories).

        ``keys`` are (published_at, story id), newest first (oldest first
        ``backwards``); ``readable`` maps each language to the ids of ``tags``
        that carry at least one story readable in it now, whatever the cursor: a
        tag of embargoed stories only has no page there, and is no alternate. Both
        come from one statement: each tag's newest readable link in each language
        (where its count is not 0) is read beside the page, one index entry each.

        With ``,`` each tag is read in index order and the results merged. With
        ``+`` the rarest tag (the driver) is read in index order and each story is
        checked for the other tags, at most ``TAG_COMBINATION_READ`` of its stories
        from the cursor on: tags that rarely meet would otherwise have all of the
        rarest tag's links read. ``searched`` is then the last story read (the
        cursor of a page that looks further), None when the read reached the end.
        Tags of which some pair has no story in common (TagPair) read nothing.
        The rows read depend on the page size and that limit, not on the number
        of stories.

        ``also_in`` names other languages whose list is to be checked, in the same
        statement, for the page ``?after=cursor`` (its hreflang alternate): it holds
        the cursor's story and an older one. ``continues`` maps each of them to
        whether it does; with ``+`` of several tags that check is a read of its own
        (where the other language's read stops), so ``also_in`` is ignored there.
        """
        language = language or translation.get_language()
        readable = self.readable(language)
        searched = driver = None
        if operator == TAGS_ALL and len(tags) > 1:
            driver = min(tags, key=lambda tag: getattr(tag, story_count_field(language)))
            met = TagPair.objects.all_met(tags, language)
            searched = self._reach(driver, met, cursor, backwards)
            links = readable.filter(tag=driver).filter(met)
            if searched is not None:
                at, pk = searched
                before, upto = ("lt", "lte") if backwards else ("gt", "gte")
                # As seek_stories() spells it: the first condition bounds the index read.
                links = links.filter(
                    Q(**{f"published_at__{upto}": at})
                    & (
                        Q(**{f"published_at__{before}": at})
                        | Q(published_at=at, **{f"content_object_id__{upto}": pk})
                    )
                )
            # One look-up per story read and other tag, in the (story, tag) index, the rarest
            # tag first: as subqueries, which PostgreSQL cannot turn into a join that would
            # read all of the other tags' links.
            match = Q()
            others = sorted(
                (other for other in tags if other != driver),
                key=lambda tag: getattr(tag, story_count_field(language)),
            )
            for number, other in enumerate(others):
                name = f"carries_{number}"
                links = links.alias(
                    **{
                        name: Subquery(
                            TaggedArticle.objects.filter(
                                content_object=OuterRef("content_object"), tag=other
                            ).values("tag")[:1]
                        )
                    }
                )
                match &= Q(**{f"{name}__isnull": False})
            if cursor is not None:
                # The cursor may be where the page before stopped reading, not a match.
                match |= Q(published_at=cursor.published_at, content_object_id=cursor.pk)
            parts = [links.filter(match)]
        else:
            parts = [readable.filter(tag=tag) for tag in tags]
        columns = ("published_at", "content_object_id", "probe", "probe_language")

        def marked(queryset, tag_pk, code):
            return queryset.annotate(
                probe=Value(tag_pk, output_field=models.BigIntegerField()),
                probe_language=Value(code, output_field=models.CharField()),
            ).values_list(*columns)

        page_parts = [
            marked(seek_stories(part, cursor, backwards, pk="content_object_id"), 0, "")[:limit]
            for part in parts
        ]
        probes = [
            marked(
                seek_stories(self.readable(code).filter(tag=tag), None, pk="content_object_id"),
                tag.pk,
                code,
            )[:1]
            for code in language_codes()
            for tag in tags
            if getattr(tag, story_count_field(code)) > 0
        ]
        # The other languages' lists from the cursor on, two rows of each tag's index.
        also_in = [] if driver is not None or cursor is None or backwards else also_in
        continuing = [
            marked(
                seek_stories(self.readable(code).filter(tag=tag), cursor, pk="content_object_id"),
                CONTINUES,
                code,
            )[:2]
            for code in also_in
            for tag in tags
        ]
        rows = list(page_parts[0].union(*page_parts[1:], *probes, *continuing))
        keys = sorted(
            {(published_at, pk) for published_at, pk, probe, _code in rows if probe == 0},
            reverse=not backwards,
        )
        found = {code: set() for code in language_codes()}
        after = {code: set() for code in also_in}
        for published_at, pk, probe, code in rows:
            if probe == CONTINUES:
                after[code].add((published_at, pk))
            elif probe:
                found[code].add(probe)
        continues = {}
        for code, there in after.items():
            first_two = sorted(there, reverse=True)[:2]
            continues[code] = len(first_two) == 2 and StoryCursor(*first_two[0]) == cursor
        return TaggedStories(keys[:limit], found, searched, driver, continues)

    def _reach(self, driver, met, cursor, backwards):
        """The key of the last of ``driver``'s stories a page of several tags reads (see
        story_keys), None when fewer remain or when the tags never ``met``: read from the
        tag's index alone."""
        reach = settings.TAG_COMBINATION_READ
        links = seek_stories(
            self.filter(met, tag=driver, published_at__lte=timezone.now()),
            cursor,
            backwards,
            pk="content_object_id",
        ).values_list("published_at", "content_object_id")
        return next(iter(links[reach - 1 : reach]), None)


# story_keys()'s mark on the rows of another language's list (``also_in``); tag ids are
# positive and 0 marks the page's own rows.
CONTINUES = -1


class TaggedStories(NamedTuple):
    """What TaggedArticleQuerySet.story_keys() found for a page of tags."""

    keys: list
    readable: dict
    searched: tuple | None = None  # (published_at, story id) where the read stopped
    driver: "Tag | None" = None  # the tag read, for a page of all of several tags
    continues: dict = {}  # language -> whether its list has the page ?after=cursor (also_in)


class TaggedArticle(TaggedItemBase):
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_items", verbose_name=_("story")
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="tagged_articles", verbose_name=_("tag")
    )
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        editable=False,
        help_text=_("The story’s publication time while it is published; set by the database."),
    )

    objects = TaggedArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("story tag")
        verbose_name_plural = _("story tags")
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_article_unique")
        ]
        indexes = [
            models.Index(fields=["tag", "content_object"], name="tagged_article_tag_idx"),
            # A tag page reads this index newest first and stops after one page.
            models.Index(
                fields=["tag", "-published_at", "-content_object"],
                condition=Q(published_at__isnull=False),
                name="tagged_article_published_idx",
            ),
        ]

    def __str__(self):
        return str(self.tag)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """The publication rule (see ``publication_filter``)."""
        return self.filter(publication_filter())

    def scheduled(self):
        """Published stories whose publication time has not come yet."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())

    def in_language(self, language=None):
        """Stories whose ``language`` version readers may see once they are published."""
        return self.filter(language_filter(language))

    def needing_translation(self, language):
        """Stories worth translating into ``language`` whose translation is missing or in
        progress: published (scheduled too) or submitted for review."""
        # As the index of translation_queues() spells it, so that PostgreSQL matches the two.
        return self.filter(
            status__in=[Article.Status.PUBLISHED.value, Article.Status.REVIEW.value],
            **{
                f"{state_field(language)}__in": [
                    LanguageState.MISSING.value,
                    LanguageState.IN_PROGRESS.value,
                ]
            },
        )

    def outdated(self, language):
        """Stories whose ``language`` translation is outdated: the original changed since."""
        return self.filter(**{state_field(language): LanguageState.OUTDATED.value})

    def review_queue(self):
        """Stories submitted for review, the longest waiting first."""
        return self.filter(status=Article.Status.REVIEW).order_by("status_changed_at", "pk")

    def by_author(self, user):
        return self.filter(authors=user)

    def written_in(self, language=None):
        """Stories with a title and a body in ``language``, translation ready or not."""
        return self.filter(text_filter(language))

    def readable(self, language=None):
        """Stories a reader of ``language`` may see: published and written in it."""
        return self.published().in_language(language)

    def readable_in_any_language(self):
        """Stories readable in at least one language (the sitemaps list each such version)."""
        either = Q()
        for code in language_codes():
            either |= language_filter(code)
        return self.published().filter(either)

    def for_listing(self):
        """What a list of stories shows: lead images, tags (see ``tag_list()``) and authors,
        newest first."""
        return (
            self.select_related("lead_image")
            .prefetch_related(*listing_prefetches())
            .order_by("-published_at", "-pk")
        )

    def pinned(self, language=None):
        """The front page's lead stories in ``language``, in the editors' order (FrontPagePin).

        Only those readable here (chain it after ``readable()``): a pinned story since
        unpublished, or whose translation was taken offline, drops out by itself.
        """
        language = language or translation.get_language()
        # The front page's id first (one row), so that the pins are read from their
        # index in order (front_page_pin_idx), each story by its key.
        front_page = FrontPage.objects.filter(language=language).values("pk")
        return self.filter(front_page_pins__front_page=Subquery(front_page)).order_by(
            "front_page_pins__position", "front_page_pins__pk"
        )[:FRONT_PAGE_MAX_PINS]

    def with_corrections(self, language=None):
        """Each story's corrections in ``language``, oldest first, as ``shown_corrections``."""
        language = language or translation.get_language()
        return self.prefetch_related(
            Prefetch(
                "corrections",
                queryset=Correction.objects.filter(language=language).order_by("at", "pk"),
                to_attr="shown_corrections",
            )
        )

    def related_to(self, story, language=None, limit=None):
        """Readable stories sharing the most tags with ``story``, the newest first among equals.

        Reads a bounded number of rows whatever the corpus: for each of the story's
        first RELATED_TAGS tags, the RELATED_CANDIDATES_PER_TAG newest readable links
        of that tag's index (tagged_article_published_idx); the shared tags of these
        candidates are then counted on the (story, tag) index. One query. An older story
        sharing many tags but behind that many newer ones in each of them is not found:
        the price of a page that costs the same at a million stories.
        """
        language = language or translation.get_language()
        limit = limit or RELATED_STORIES
        tags = [item.tag_id for item in story.tagged_items.all()][:RELATED_TAGS]
        if not tags:
            return self.none()
        newest = [
            TaggedArticle.objects.readable(language)
            .filter(tag=tag)
            .order_by("-published_at", "-content_object_id")
            .values("content_object_id")[:RELATED_CANDIDATES_PER_TAG]
            for tag in tags
        ]
        candidates = newest[0].union(*newest[1:]) if len(newest) > 1 else newest[0]
        shared = (
            TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag__in=tags)
            .order_by()
            .values("content_object")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return (
            self.readable(language)
            .filter(pk__in=candidates)
            .exclude(pk=story.pk)
            .annotate(shared_tags=Subquery(shared, output_field=models.IntegerField()))
            .order_by("-shared_tags", "-published_at", "-pk")[:limit]
        )

    def with_authors(self):
        """The authors of each story, in the byline's order (see ``byline()``), in one query."""
        return self.prefetch_related(
            Prefetch("authors", queryset=get_user_model().objects.order_by("last_name", "username"))
        )

    def tagged_with_all(self, tags):
        """Stories carrying every one of ``tags`` (the a+b tag pages)."""
        queryset = self
        for tag in tags:
            queryset = queryset.filter(
                Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag=tag))
            )
        return queryset

    def tagged_with_any(self, tags):
        """Stories carrying at least one of ``tags`` (the a,b tag pages)."""
        return self.filter(
            Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag__in=tags))
        )

    def publish(self):
        """Publish now; a story that already has a publication time keeps it."""
        return self._update_stories(
            status=Article.Status.PUBLISHED,
            published_at=Coalesce("published_at", Now()),
            updated_at=Now(),
        )

    def unpublish(self):
        return self._update_stories(status=Article.Status.UNPUBLISHED, updated_at=Now())

    def _update_stories(self, **changes):
        """update(), which sends no signals, and the page cache told which stories changed."""
        from articles.cache import forget_stories

        pks = list(self.values_list("pk", flat=True))
        with transaction.atomic():
            count = Article.objects.filter(pk__in=pks).update(**changes)
            forget_stories(pks)
            if count:
                # The triggers carry the change to the links, the counts and the pairs.
                maintenance.analyze_after_commit(Article, TaggedArticle, TagPair, Tag)
        return count


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self):
        # The search words and documents are the search indexes' business (a few kilobytes a
        # story): no page reads them, so they are not fetched with the stories.
        documents = [search.document_field(code) for code in language_codes()]
        return super().get_queryset().defer("search_words", *documents)


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("Submitted for review")
        SENT_BACK = "sent_back", _("Sent back")
        PUBLISHED = "published", _("Published")
        UNPUBLISHED = "unpublished", _("Unpublished")

    REQUIRED_PER_LANGUAGE = REQUIRED_PER_LANGUAGE
    was_published = False  # as loaded from the database; see from_db()
    _ready_by = {}  # {language: user} of translations marked ready, until saved

    title = models.CharField(
        _("title"), max_length=255, blank=True, help_text=_("The headline readers see.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=SLUG_MAX_LENGTH,
        blank=True,
        help_text=_(
            "The story’s web address in this language. Filled in from the title; "
            "changing it after publication breaks shared links."
        ),
    )
    standfirst = models.TextField(
        _("standfirst"),
        blank=True,
        help_text=_("One or two sentences under the headline that say what the story is about."),
    )
    body = ProseEditorField(
        _("body"),
        blank=True,
        extensions={
            "Bold": True,
            "Italic": True,
            "Strike": True,
            "Heading": {"levels": [2, 3]},
            "BulletList": True,
            "OrderedList": True,
            "ListItem": True,
            "Blockquote": True,
            "HardBreak": True,
            "HorizontalRule": True,
            "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
            # Pictures of the library only: keep_library_images() drops any other.
            "Figure": True,
            "Caption": True,
            "Image": True,
        },
        # The allow-list of the extensions above, then the library's images (applied last first).
        sanitize=[images.keep_library_images, create_sanitizer],
        help_text=_(
            "The text of the story. Pasted formatting is cleaned when saving. To show a "
            "picture of the library, insert an image with the address its page in the "
            "library gives, and describe it in the image’s alternative text."
        ),
    )
    lead_image = models.ForeignKey(
        Image,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_of",
        verbose_name=_("lead image"),
        help_text=_(
            "The picture at the top of the story, on its card in lists and when it is "
            "shared. Find it in the library by its title or credit, or add one with +."
        ),
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="articles",
        verbose_name=_("authors"),
        help_text=_("The byline: everyone who wrote the story."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_(
            "Only published stories are shown to readers. A journalist submits a story for "
            "review; an editor publishes it or sends it back."
        ),
    )
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        # Indexed with the id, in the story list's order: article_list_idx.
        help_text=_(
            "When the story goes online. Set in the future to schedule it; "
            "left empty, it is set when the story is published."
        ),
    )
    status_changed_at = models.DateTimeField(
        _("status changed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the story last changed status: when it was submitted, for the review queue."
        ),
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("status changed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    source_language = models.CharField(
        _("original language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "The language the story was written in. Its other language versions are "
            "translations, shown to readers once marked ready."
        ),
    )
    import_source = models.CharField(
        _("imported from"),
        max_length=255,
        blank=True,
        default="",
        db_index=True,
        editable=False,
        help_text=_(
            "The language and file name of the text file this story was imported from; "
            "empty for stories written in the admin."
        ),
    )
    tags = TaggableManager(
        through=TaggedArticle,
        blank=True,
        verbose_name=_("tags"),
        help_text=_("What the story is about; readers browse stories by tag."),
    )
    search_words = models.GeneratedField(
        expression=search.story_words(),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search words"),
        help_text=_("The words of the story in every language, for the admin’s search."),
    )

    objects = ArticleManager()

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        ordering = ["-published_at", "-pk"]
        constraints = [*unique_per_language("article", "slug"), *live_needs_text("article")]
        indexes = [
            # The story list (admin), newest first, drafts (no time yet) on top: its pages are
            # read from this index alone, at any depth (see articles.pagination).
            models.Index(fields=["-published_at", "-id"], name="article_list_idx"),
            # The list filtered by a status other than published (drafts, review, sent back,
            # unpublished: a few percent of the stories), in the list's order.
            models.Index(
                fields=["status", "-published_at", "-id"],
                condition=~Q(status="published"),
                name="article_unpublished_idx",
            ),
            # The admin's search (articles.search).
            GinIndex(fields=["search_words"], name="article_search_idx"),
            *readable_per_language("article"),
            *search_documents("article"),
            *translation_queues("article"),
            # The editors' review queue: submitted stories, the longest waiting first.
            models.Index(
                fields=["status_changed_at", "id"],
                condition=Q(status="review"),
                name="article_review_queue_idx",
            ),
        ]
        # The roles of articles.workflow are made of these (and Django's own add/change/...).
        permissions = [
            ("publish_article", _("Can publish, schedule, unpublish and send back stories")),
            ("change_others_article", _("Can edit other people’s stories")),
            ("reassign_article", _("Can change a story’s authors")),
            *[
                (f"translate_article_into_{code}", f"Can translate stories into “{code}”")
                for code in language_codes()
            ],
        ]

    def __str__(self):
        return self.title or self.first_title() or str(_("(untitled story)"))

    def save(self, *args, **kwargs):
        for code in language_codes():
            body_field = self._meta.get_field(build_localized_fieldname("body", code))
            body = getattr(self, body_field.attname)
            if body:
                body = body_field.sanitize(body)
                # Empty paragraphs are no text: the story is not written in this language.
                setattr(self, body_field.attname, body if strip_tags(body).strip() else "")
            title = getattr(self, build_localized_fieldname("title", code))
            fill_slug(self, build_localized_fieldname("slug", code), title)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        self.guess_source_language()
        with transaction.atomic():
            new_bases = self.refresh_language_states()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    *[state_field(code) for code in language_codes()],
                }
            super().save(*args, **kwargs)
            for code, source in new_bases.items():
                StoryTranslation.objects.update_or_create(
                    story=self,
                    language=code,
                    defaults={
                        "source_language": self.source_language,
                        "source": source,
                        "ready_by": self._ready_by.get(code),
                        "ready_at": timezone.now(),
                    },
                )
            self._ready_by = {}

    def get_absolute_url(self):
        """The story in the active language, or in the first language it is written in.

        Readers' languages first; a story no reader sees yet (a draft, a translation
        in progress) has the address of its staff preview.
        """
        languages = self.public_languages() or self.languages()
        if not languages:
            return None
        active = translation.get_language()
        return self.url_for(active if active in languages else languages[0])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Saving a story that was published changes the lists it was on (see articles.cache).
        instance.was_published = (
            "status" not in field_names or instance.status == cls.Status.PUBLISHED
        )
        return instance

    def clean(self):
        errors = {}
        for code in language_codes():
            present = {
                f: bool(getattr(self, build_localized_fieldname(f, code)))
                for f in self.REQUIRED_PER_LANGUAGE
            }
            if any(present.values()) and not all(present.values()):
                for field, filled in present.items():
                    if not filled:
                        errors[build_localized_fieldname(field, code)] = _(
                            "This language version needs both a title and a body."
                        )
        errors.update(self.missing_alt_texts())
        self.guess_source_language()
        if not errors and not self.has_language(self.source_language):
            errors[build_localized_fieldname("title", self.source_language)] = _(
                "A story needs a title and a body in its original language (%(language)s)."
            ) % {"language": translation.get_language_info(self.source_language)["name_translated"]}
        if errors:
            raise ValidationError(errors)

    def missing_alt_texts(self):
        """{field: error} where a picture has no alt text in a language the story has."""
        errors = {}
        for code in self.languages():
            language = translation.get_language_info(code)["name_translated"]
            if self.lead_image is not None and not getattr(
                self.lead_image, build_localized_fieldname("alt_text", code)
            ):
                errors["lead_image"] = _(
                    "The lead image has no alt text in %(language)s: describe it on the "
                    "image’s page in the library, for readers who cannot see it."
                ) % {"language": language}
            body = getattr(self, build_localized_fieldname("body", code))
            if any(not alt for _pk, alt in images.body_images(body)):
                errors[build_localized_fieldname("body", code)] = _(
                    "A picture in the %(language)s text has no alternative text: describe "
                    "it, for readers who cannot see it."
                ) % {"language": language}
        return errors

    def social_image(self, request=None):
        """The lead image as social networks and search engines take it (Open Graph,
        JSON-LD, feeds): an ``images.SocialImage`` (absolute ``url``, ``width``,
        ``height``, ``size``, ``mime_type``, ``alt``), or None."""
        if self.lead_image_id is None:
            return None
        return self.lead_image.social_image(request)

    def guess_source_language(self):
        """A new story written in another language only: that one is its original."""
        if self.pk is None and not self.has_language(self.source_language) and self.languages():
            self.source_language = self.languages()[0]

    def has_language(self, language):
        return all(
            getattr(self, build_localized_fieldname(field, language))
            for field in self.REQUIRED_PER_LANGUAGE
        )

    def languages(self):
        """The languages the story is written in, in the order of LANGUAGES."""
        return [code for code in language_codes() if self.has_language(code)]

    def first_title(self):
        for code in language_codes():
            if title := getattr(self, build_localized_fieldname("title", code)):
                return title
        return ""

    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    def is_published(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def is_readable_in(self, language):
        """Whether readers see the story in ``language`` now (ArticleQuerySet.readable())."""
        return self.is_published() and self.is_live(language)

    def add_correction(self, language, text, user):
        """Append a dated correction note to the story readers see in ``language``.

        The note's time becomes the story's modified time (``updated_at``, which feeds
        give as the item's update), and the story's history records it. It is not a
        change of the text: no translation becomes outdated. Who may: see
        ``workflow.can_correct``.
        """
        text = (text or "").strip()
        if not text:
            raise ValidationError({"text": _("A correction needs a text.")})
        if not self.is_readable_in(language):
            raise ValidationError(
                _("Only a story readers see in this language can be corrected in it.")
            )
        with transaction.atomic():
            correction = Correction.objects.create(
                story=self, language=language, text=text, by=user
            )
            Article.objects.filter(pk=self.pk).update(updated_at=correction.at)
            self.updated_at = correction.at
            StoryEvent.objects.create(
                story=self,
                user=user,
                kind=StoryEvent.Kind.CORRECTED,
                language=language,
                comment=text,
            )
        return correction

    def url_for(self, language):
        slug = getattr(self, build_localized_fieldname("slug", language))
        with translation.override(language):
            return reverse("articles:article-detail", kwargs={"slug": slug})

    def byline(self):
        """ "Léa Dubois, Karim Benali and Sophie Martin", in the active language."""
        names = [author.get_full_name() or author.get_username() for author in self.authors.all()]
        return get_text_list(names, str(_("and")))

    def tag_list(self):
        """The story's tags in the order the editor added them, the main topic first."""
        return [item.tag for item in self.tagged_items.all()]

    def set_tags(self, tags):
        """Make ``tags`` the story's tags, in this order: the first is its main topic.

        Links are numbered in the order given, which is the order ``tag_list()``
        reads; the ones already in place stay. It tells the others what changed
        with the signals taggit's manager sends (the page cache listens).
        """
        wanted = list(dict.fromkeys(tag.pk for tag in tags))
        current = list(self.tagged_items.order_by("pk").values_list("tag_id", flat=True))
        kept = 0
        while kept < min(len(wanted), len(current)) and wanted[kept] == current[kept]:
            kept += 1
        removed, added = set(current[kept:]), wanted[kept:]
        with transaction.atomic():
            if removed:
                self._tags_changed("pre_remove", removed)
                TaggedArticle.objects.filter(content_object=self, tag__in=removed).delete()
                self._tags_changed("post_remove", removed)
            if added:
                self._tags_changed("pre_add", set(added))
                TaggedArticle.objects.bulk_create(
                    [TaggedArticle(content_object=self, tag_id=pk) for pk in added]
                )
                self._tags_changed("post_add", set(added))

    def _tags_changed(self, action, tag_pks):
        m2m_changed.send(
            sender=TaggedArticle,
            instance=self,
            action=action,
            reverse=False,
            model=Tag,
            pk_set=tag_pks,
            using=self._state.db,
        )

    def translations(self, preview=False):
        """(language, url) of every language a reader can read the story in.

        ``preview``: every language it is written in, as staff previewing it see.
        """
        languages = self.languages() if preview else self.public_languages()
        return [(code, self.url_for(code)) for code in languages]

    # The language versions and their states: see LanguageState and articles.workflow.

    def state(self, language):
        return LanguageState(getattr(self, state_field(language)))

    def is_live(self, language):
        """Whether readers may see the ``language`` version (once the story is published)."""
        return self.state(language) in LIVE_STATES

    def public_languages(self):
        """The languages readers may read the story in once it is published."""
        return [code for code in language_codes() if self.is_live(code)]

    def translation_languages(self):
        """The languages other than the original: those a translator writes."""
        return [code for code in language_codes() if code != self.source_language]

    def source_text(self):
        """{field: text} of the original language version, which translations follow."""
        return {
            field: getattr(self, build_localized_fieldname(field, self.source_language)) or ""
            for field in TRANSLATED_FROM_SOURCE
        }

    def mark_translation_ready(self, language, user):
        """Make the ``language`` translation readable from the next save; it follows the
        original as it is now, and becomes outdated when the original changes."""
        if language == self.source_language or not self.has_language(language):
            raise ValidationError(
                _("Only a translation with a title and a body can be marked ready.")
            )
        setattr(self, state_field(language), LanguageState.READY)
        self._ready_by = {**self._ready_by, language: user}

    def mark_translation_in_progress(self, language):
        """Take a translation off the readers' pages until it is marked ready again."""
        if language != self.source_language and self.has_language(language):
            setattr(self, state_field(language), LanguageState.IN_PROGRESS)

    def refresh_language_states(self):
        """Bring each language's state up to date with the text.

        Returns {language: the original's text} for the translations whose basis
        (StoryTranslation) save() writes: those just marked ready, and ready ones
        that have none yet (made ready before bases existed: they follow the
        original as it was stored before this save).

        A translation marked ready becomes outdated when a field of the original
        differs from its basis, and ready again if the original returns to it:
        field by field, on each save.
        """
        new_bases = {code: self.source_text() for code in self._ready_by}
        bases = None
        for code in language_codes():
            state = self.state(code)
            if code == self.source_language:
                new = LanguageState.SOURCE if self.has_language(code) else LanguageState.MISSING
            elif not self.has_language(code):
                new = LanguageState.MISSING
            elif code in new_bases:
                new = LanguageState.READY
            elif state == LanguageState.SOURCE:
                # The original became a translation of another language: it was online
                # and stays so, following the new original from now on.
                new = LanguageState.READY
                new_bases[code] = self.source_text()
            elif state in (LanguageState.READY, LanguageState.OUTDATED):
                if bases is None:
                    bases = self.translation_bases()
                basis = bases.get(code)
                if basis is None:
                    basis = StoryTranslation(
                        source_language=self.source_language, source=self.stored_source_text()
                    )
                    new_bases[code] = basis.source
                outdated = basis.outdated_fields(self)
                new = LanguageState.OUTDATED if outdated else LanguageState.READY
            elif state == LanguageState.MISSING:
                new = LanguageState.IN_PROGRESS
            else:
                new = state
            setattr(self, state_field(code), new.value)
        return new_bases

    def stored_source_text(self):
        """source_text() as the database holds it (this instance's when it is not saved)."""
        if self.pk is None:
            return self.source_text()
        columns = {
            field: build_localized_fieldname(field, self.source_language)
            for field in TRANSLATED_FROM_SOURCE
        }
        stored = Article.objects.filter(pk=self.pk).values(*columns.values()).first()
        if stored is None:
            return self.source_text()
        return {field: stored[column] or "" for field, column in columns.items()}

    def translation_bases(self):
        """{language: StoryTranslation} of the translations marked ready at some point."""
        if self.pk is None:
            return {}
        return {basis.language: basis for basis in StoryTranslation.objects.filter(story=self)}


class StoryEvent(models.Model):
    """One change of a story's state, for its audit trail: who, when, what, and why."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for review")
        SENT_BACK = "sent_back", _("Sent back")
        PUBLISHED = "published", _("Published")
        SCHEDULED = "scheduled", _("Scheduled")
        UNPUBLISHED = "unpublished", _("Unpublished")
        WITHDRAWN = "withdrawn", _("Withdrawn from review")
        REOPENED = "reopened", _("Back to draft")
        TRANSLATION_READY = "translation_ready", _("Translation marked ready")
        TRANSLATION_WITHDRAWN = "translation_withdrawn", _("Translation taken offline")
        CORRECTED = "corrected", _("Correction added")

    story = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="events", verbose_name=_("story")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The translation concerned, for a translation’s events."),
    )
    comment = models.TextField(
        _("comment"), blank=True, help_text=_("Why a story was sent back, for its writer.")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("story event")
        verbose_name_plural = _("story events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["story", "at"], name="story_event_story_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"


for _code in language_codes():
    Article.add_to_class(
        state_field(_code),
        models.CharField(
            format_lazy("{} ({})", _("language version"), _code),
            max_length=20,
            choices=LanguageState.choices,
            default=LanguageState.MISSING,
            db_default=LanguageState.MISSING,
            editable=False,
            help_text=_(
                "The original, or where its translation stands: readers see a translation "
                "once it is marked ready."
            ),
        ),
    )

    Article.add_to_class(
        search.document_field(_code),
        models.GeneratedField(
            expression=search.story_document(_code),
            output_field=SearchVectorField(),
            db_persist=True,
            verbose_name=format_lazy("{} ({})", _("search document"), _code),
            help_text=_("The story’s words in this language, stemmed, for readers’ searches."),
        ),
    )


class StoryTranslation(models.Model):
    """What a translation was made from: the original's text when it was last marked ready.

    Comparing it with the original's text on each save tells, field by field,
    whether the translation is outdated, and shows the translator what changed.
    """

    story = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="translation_records",
        verbose_name=_("story"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    source_language = models.CharField(
        _("translated from"), max_length=10, choices=settings.LANGUAGES
    )
    source = models.JSONField(
        _("original text"),
        help_text=_("The original’s title, standfirst and body when the translation was ready."),
    )
    ready_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked ready by"),
    )
    ready_at = models.DateTimeField(_("marked ready"))

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["story", "language"], name="story_translation_unique")
        ]

    def __str__(self):
        return f"{self.story} ({self.language})"

    def outdated_fields(self, story):
        """The original's fields that changed since the translation was marked ready."""
        if story.source_language != self.source_language:
            return list(TRANSLATED_FROM_SOURCE)
        current = story.source_text()
        return [
            field
            for field in TRANSLATED_FROM_SOURCE
            if current[field] != self.source.get(field, "")
        ]


class PreviewLinkQuerySet(models.QuerySet):
    def valid(self):
        """Links that open their story now: not expired (revoking one deletes it)."""
        return self.filter(expires_at__gt=timezone.now())


class PreviewLink(models.Model):
    """A link that shows a story, published or not, to someone without an account.

    Its address is signed (articles.previews), so it cannot be guessed from
    another; it expires, and deleting it revokes it at once.
    """

    story = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="preview_links", verbose_name=_("story")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language version the link shows."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires"), help_text=_("After this, the link shows nothing. At most 30 days ahead.")
    )

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("preview link")
        verbose_name_plural = _("preview links")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.story} ({self.language})"

    def get_absolute_url(self):
        from articles.previews import preview_path

        return preview_path(self)

    def clean(self):
        if self.expires_at is None:
            return
        now = timezone.now()
        if self.expires_at <= now:
            raise ValidationError({"expires_at": _("A preview link must expire in the future.")})
        if self.expires_at > now + PREVIEW_LINK_MAX_AGE:
            raise ValidationError(
                {"expires_at": _("A preview link expires within 30 days at most.")}
            )


PREVIEW_LINK_MAX_AGE = timedelta(days=30)


class Correction(models.Model):
    """A dated note appended to a published story in one language: what was wrong.

    Append-only: once saved, a correction is never changed (save() refuses) nor
    deleted (the admin offers neither, to anyone); a mistaken correction is put
    right by another one. It goes only with its story.
    """

    story = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("story")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language version corrected: its readers see the note."),
    )
    text = models.TextField(
        _("correction"),
        help_text=_(
            "What was wrong and what is right, as readers will read it at the end of the "
            "story. It cannot be changed or deleted once saved."
        ),
    )
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["story", "language", "at"], name="correction_story_idx"),
        ]

    def __str__(self):
        return f"{self.story} ({self.language}, {self.at:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A correction is never changed once saved: add another one."))
        super().save(*args, **kwargs)


class FrontPage(models.Model):
    """The home page of one language: the lead stories editors pin above the latest ones.

    One per language (made by migration 0014, or on first use); its pins
    (FrontPagePin) say which stories lead and in what order.
    """

    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("front page")
        verbose_name_plural = _("front pages")
        ordering = ["language"]

    def __str__(self):
        names = dict(settings.LANGUAGES)
        return str(_("Front page (%(language)s)") % {"language": names.get(self.language, "?")})

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("articles:article-list")

    @classmethod
    def ensure_all(cls):
        """One front page per language of LANGUAGES."""
        for code in language_codes():
            cls.objects.get_or_create(language=code)


class FrontPagePin(models.Model):
    """A story pinned to a front page, at a place: 1 leads, the others follow."""

    front_page = models.ForeignKey(
        FrontPage, on_delete=models.CASCADE, related_name="pins", verbose_name=_("front page")
    )
    story = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="front_page_pins",
        verbose_name=_("story"),
        help_text=_(
            "Shown at the top of the home page while readers can read it in this language; "
            "unpublished, or its translation taken offline, it drops out by itself."
        ),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=1, help_text=_("1 is the lead story; the others follow in order.")
    )
    pinned_at = models.DateTimeField(_("pinned"), auto_now_add=True)

    class Meta:
        verbose_name = _("lead story")
        verbose_name_plural = _("lead stories")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["front_page", "story"], name="front_page_pin_unique")
        ]
        indexes = [models.Index(fields=["front_page", "position", "id"], name="front_page_pin_idx")]

    def __str__(self):
        return f"{self.position}. {self.story}"


class PageCacheChange(models.Model):
    """Page-cache keys a write could not mark as changed: the cache was out of reach.

    Kept here until the cache answers again, then marked changed (articles.cache), so
    that pages cached before the outage are not served with what they showed then.
    """

    keys = ArrayField(models.CharField(max_length=200), verbose_name=_("keys"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("page cache change")
        verbose_name_plural = _("page cache changes")

    def __str__(self):
        return ", ".join(self.keys)
