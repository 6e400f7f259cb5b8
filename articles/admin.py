from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import InvalidPage
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TabbedTranslationAdmin, TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from taggit.models import Tag as TaggitTag

from articles import search, workflow
from articles.diffs import text_diff
from articles.models import (
    Article,
    LanguageState,
    StoryEvent,
    Tag,
    TaggedArticle,
    language_codes,
    state_field,
    story_count_field,
)
from articles.pagination import COUNT_LIMIT, LongListPaginator

# Stories use articles.Tag; taggit's own tag table stays empty and would only
# show journalists a second, useless "Tags" page.
admin.site.unregister(TaggitTag)


class OfferedFiltersChangeList(ChangeList):
    """Django's changelist, filtered only as its sidebar, search box and dates offer.

    Django also applies any ``field__lookup`` of the address as it comes, and many
    fail in the database or before it (``?title_fr__regex=(``, ``?id__range=1``,
    ``?updated_at__year=99999999999``): a server error. They are refused (400)
    instead. Its date drill-down steps past the year 9999
    (``?published_at__year=9999``): an invalid filter, as a month 13 already is.
    """

    def get_filters(self, request):
        try:
            filters = super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        # What no filter took from the address (the date drill-down's own bounds are not in it).
        unoffered = sorted(set(filters[2]) & set(self.get_filters_params()))
        if unoffered:
            raise DisallowedModelAdminLookup(f"Filtering by {unoffered[0]} not allowed")
        return filters


class OfferedFiltersOnly:
    def get_changelist(self, request, **kwargs):
        return OfferedFiltersChangeList


class StoryChangeList(OfferedFiltersChangeList):
    """The story list at a million stories: no COUNT(*) of the table, any page from an index.

    Counts and pages come from LongListPaginator (articles.pagination): the whole list says
    "about 1,000,000 stories" (PostgreSQL's estimate), a filtered or searched one counts up
    to COUNT_LIMIT ("10,000+ stories"), and a page's ids are read from the index in the
    list's order before its rows. A page past the end of a list whose count is exact shows
    its last page, as Django's ``get_page()`` does; past the end of one whose count is not,
    the page is empty and links to the first.
    """

    # What the list's columns do not show: not read for each row (the bodies are kilobytes).
    unlisted_fields = ("standfirst", "body")

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*self.unlisted_fields)

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = paginator.count
        can_show_all = paginator.exact and result_count <= self.list_max_show_all
        multi_page = not paginator.exact or result_count > self.list_per_page
        self.page_num = max(1, self.page_num)
        self.page = None
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset._clone()
        else:
            if paginator.exact:
                self.page_num = min(self.page_num, paginator.num_pages)
            try:
                self.page = paginator.page(self.page_num)
            except InvalidPage as error:
                raise IncorrectLookupParameters(error) from error
            result_list = self.page.object_list
        self.result_count = result_count
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    def result_count_text(self):
        """ "42 stories", "about 1,000,000 stories" (an estimate) or "10,000+ stories"."""
        count = self.result_count
        name = self.opts.verbose_name if count == 1 else self.opts.verbose_name_plural
        if self.paginator.exact:
            return f"{number_format(count, force_grouping=True)} {name}"
        if self.paginator.estimated:
            # Two significant digits: an estimate knows no more.
            rounded = round(count, 2 - len(str(count)))
            return _("about %(count)s %(stories)s") % {
                "count": number_format(rounded, force_grouping=True),
                "stories": name,
            }
        return _("%(count)s+ %(stories)s") % {
            "count": number_format(COUNT_LIMIT, force_grouping=True),
            "stories": name,
        }

    def next_page_number(self):
        """The page after this one when the page links end here but more rows follow
        (the count was estimated or stopped at its limit)."""
        if (
            self.page is not None
            and self.page.has_next()
            and (self.page_num >= self.paginator.num_pages)
        ):
            return self.page_num + 1
        return None

    def past_the_end(self):
        return self.page is not None and not self.page.object_list and self.page_num > 1


# Django's user and group pages, with the same changelist as the newsroom's own.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(OfferedFiltersOnly, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(OfferedFiltersOnly, auth_admin.GroupAdmin):
    pass


class TagFilter(admin.SimpleListFilter):
    """The most used tags; any other tag can still be chosen by its id in the URL.

    Listing every tag would put tens of thousands of links in the sidebar.
    """

    title = _("tag")
    parameter_name = "tag"
    limit = 20

    def selected_tag_id(self):
        if self.value() is None:
            return None
        try:
            return int(self.value())
        except ValueError:
            raise IncorrectLookupParameters(f"Unknown tag id: {self.value()!r}") from None

    def lookups(self, request, model_admin):
        # The maintained per-language counts: nothing is counted on each changelist load.
        counts = [F(story_count_field(code)) for code in language_codes()]
        tags = Tag.objects.annotate(story_count=Greatest(*counts) if len(counts) > 1 else counts[0])
        ordering = ["-story_count", "name"]
        if (selected := self.selected_tag_id()) is not None:
            # The chosen tag comes first so it is listed even when it is rarely used.
            ordering.insert(0, Case(When(pk=selected, then=Value(0)), default=Value(1)))
        tags = sorted(tags.order_by(*ordering)[: self.limit], key=lambda tag: -tag.story_count)
        return [(str(tag.pk), str(tag)) for tag in tags]

    def queryset(self, request, queryset):
        selected = self.selected_tag_id()
        if selected is None:
            return queryset
        return queryset.tagged_with_any([selected])


class QueueFilter(admin.SimpleListFilter):
    """The review queue (oldest first: see ArticleAdmin.get_ordering) and one's own stories."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            (key, label)
            for key, label, _filters, _stories in workflow.queues(request.user)
            if key in ("review", "mine")
        ]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(status=Article.Status.REVIEW)
        if self.value() == "mine":
            return queryset.by_author(request.user)
        if self.value() is not None:
            raise IncorrectLookupParameters(f"Unknown queue: {self.value()!r}")
        return queryset


class TranslationFilter(admin.SimpleListFilter):
    """Stories by where their translation into one language stands (one filter per language)."""

    language = None
    NEEDED = "needed"

    def lookups(self, request, model_admin):
        return [
            (self.NEEDED, _("To translate (missing or in progress)")),
            (LanguageState.IN_PROGRESS.value, _("In progress")),
            (LanguageState.OUTDATED.value, _("Outdated: the original changed")),
            (LanguageState.READY.value, _("Ready")),
            (LanguageState.SOURCE.value, _("It is the original")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.NEEDED:
            return queryset.needing_translation(self.language)
        if value not in LanguageState.values or value == LanguageState.MISSING:
            raise IncorrectLookupParameters(f"Unknown translation state: {value!r}")
        return queryset.filter(**{state_field(self.language): value})

    @classmethod
    def into(cls, language):
        return type(
            f"TranslationFilter_{language}",
            (cls,),
            {
                "language": language,
                "parameter_name": f"translation_{language}",
                "title": format_lazy("{} ({})", _("Translation"), LANGUAGE_NAMES[language]),
            },
        )


class TaggedArticleInline(admin.TabularInline):
    model = TaggedArticle
    fields = ["tag"]
    autocomplete_fields = ["tag"]
    extra = 1
    verbose_name = _("tag")
    verbose_name_plural = _("tags")

    def get_queryset(self, request):
        # Each row shows its tag's name.
        return super().get_queryset(request).select_related("tag")

    # Only who may change the story's text may change its tags (not a translator).
    def has_add_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj) and super().has_delete_permission(
            request, obj
        )


# The fields of the story form, as modeltranslation names them.
STORY_FIELDS = [
    *[
        build_localized_fieldname(field, code)
        for field in workflow.TRANSLATABLE_FIELDS
        for code in language_codes()
    ],
    "source_language",
    "status",
    "published_at",
    "authors",
]


LANGUAGE_NAMES = dict(settings.LANGUAGES)  # lazily translated: "Anglais" in French


def translation_field(language):
    """The story form's field saying where the ``language`` translation stands."""
    return f"translation_{language}"


# Each state as the translation's select offers it: what it means for readers.
TRANSLATION_CHOICE_LABELS = {
    LanguageState.IN_PROGRESS: _("In progress: readers do not see it"),
    LanguageState.READY: _("Ready: readers see it (once the story is published)"),
    LanguageState.OUTDATED: _("Outdated: the original changed; readers still see it"),
}


class StoryForm(forms.ModelForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When sending a story back: what needs changing. Kept in its history."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in language_codes():
            name = translation_field(code)
            if name not in self.fields:
                continue
            states = workflow.translation_states(self.story, code)
            field = self.fields[name]
            field.choices = [(state.value, TRANSLATION_CHOICE_LABELS[state]) for state in states]
            field.initial = states[0].value
            field.disabled = not workflow.can_mark_ready(self.user, self.story, code)

    def language_has_text(self, code):
        """Whether the story has a title and a body in ``code`` as this form saves it."""
        values = []
        for field in Article.REQUIRED_PER_LANGUAGE:
            name = build_localized_fieldname(field, code)
            if name in self.fields and not self.fields[name].disabled:
                values.append(self.cleaned_data.get(name))
            else:
                values.append(getattr(self.story, name, None) if self.story else None)
        return all(values)

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source_language") or (
            self.story.source_language if self.story else settings.LANGUAGE_CODE
        )
        for code in language_codes():
            name = translation_field(code)
            if name not in self.fields or code == source or self.fields[name].disabled:
                continue
            try:
                workflow.check_translation_state(
                    self.user,
                    self.story,
                    code,
                    LanguageState(cleaned.get(name) or LanguageState.IN_PROGRESS),
                    self.language_has_text(code),
                )
            except workflow.WorkflowError as error:
                self.add_error(name, str(error))
        status = cleaned.get("status")
        if "status" in self.fields and status is not None:
            try:
                workflow.check_status_change(self.user, self.story, status)
            except workflow.WorkflowError as error:
                self.add_error("status", str(error))
            old = self.story.status if self.story is not None else None
            sending_back = status == Article.Status.SENT_BACK and old != status
            if sending_back and not cleaned.get("comment", "").strip():
                self.add_error("comment", _("Say what needs changing before sending it back."))
        return cleaned


def translation_state_field(language):
    return forms.ChoiceField(
        label=format_lazy("{} ({})", _("Translation"), LANGUAGE_NAMES[language]),
        required=False,
        help_text=_(
            "Readers see a translation once it is marked ready. It becomes outdated when "
            "the original changes; mark it ready again once it follows the changes."
        ),
    )


# The story form, with one translation-state field per language.
ArticleAdminForm = type(
    "ArticleAdminForm",
    (StoryForm,),
    {translation_field(code): translation_state_field(code) for code in language_codes()},
)


@admin.register(Article)
class ArticleAdmin(OfferedFiltersOnly, TabbedTranslationAdmin):
    form = ArticleAdminForm
    fieldsets = [
        (_("Story"), {"fields": ["title", "slug", "standfirst", "body"]}),
        (
            _("Languages"),
            {
                "fields": [
                    "source_language",
                    *[translation_field(code) for code in language_codes()],
                    "source_changes",
                ]
            },
        ),
        (_("Publication"), {"fields": ["status", "comment", "published_at", "authors"]}),
        (_("History"), {"fields": ["history"]}),
    ]
    # One slug per language, each made from the title in that language.
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["authors"]
    inlines = [TaggedArticleInline]
    list_display = ["headline", "state", "languages", "published_at", "online", "updated_at"]
    list_filter = [
        QueueFilter,
        "status",
        TagFilter,
        *[TranslationFilter.into(code) for code in language_codes()],
    ]
    # Declared for the search box; get_search_results() searches the words instead.
    search_fields = ["title_fr", "title_en"]
    search_help_text = _(
        "Finds the stories whose headline, standfirst or text, in French or English, has "
        "words starting like each of yours, whatever the accents."
    )
    date_hierarchy = "published_at"
    # At a million stories: no full count, pages read from an index (StoryChangeList).
    paginator = LongListPaginator
    show_full_result_count = False
    actions = ["publish", "unpublish"]

    class Media:
        css = {"all": ["articles/workplace.css"]}

    @admin.display(description=_("title"), ordering="title")
    def headline(self, article):
        # The active language's title, or the other one for a story not yet translated.
        return str(article)

    @admin.display(description=_("status"), ordering="status_changed_at")
    def state(self, article):
        """The status, and who gave it when: "Submitted for review — Léa Dubois, 1 Dec 14:02"."""
        status = _("Scheduled") if article.is_scheduled() else article.get_status_display()
        if article.status_changed_at is None:
            return status
        who = article.status_changed_by
        return format_html(
            '{}<br><span class="status-change">{}, {}</span>',
            status,
            (who.get_full_name() or who.get_username()) if who else _("someone since removed"),
            date_format(timezone.localtime(article.status_changed_at), "SHORT_DATETIME_FORMAT"),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("status_changed_by")

    def get_changelist(self, request, **kwargs):
        return StoryChangeList

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return search.search_stories(queryset, search_term), False

    def get_ordering(self, request):
        # The review queue: the story waiting longest first.
        if request.GET.get(QueueFilter.parameter_name) == "review":
            return ["status_changed_at", "pk"]
        return super().get_ordering(request)

    # What each role may do: articles.workflow decides, for every path into the form.

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return workflow.can_change(request.user, obj)

    def has_publish_permission(self, request):
        return workflow.is_editor(request.user)

    def get_readonly_fields(self, request, obj=None):
        editable = workflow.editable_fields(request.user, obj, STORY_FIELDS)
        readonly = [field for field in STORY_FIELDS if field not in editable]
        return [*readonly, "original", "source_changes", "history"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not workflow.can_edit_text(request.user, obj):
            return self.translator_fieldsets(request, obj)
        translations = [
            translation_field(code)
            for code in language_codes()
            if obj is None or code != obj.source_language
        ]
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = options["fields"]
            if "source_language" in fields:
                fields = ["source_language", *translations]
                if obj is not None and obj.translation_bases():
                    fields.append("source_changes")
            if "history" in fields and obj is None:
                continue  # a story being written has no history yet
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def translator_fieldsets(self, request, story):
        """The original beside each translation the user writes, not hidden behind tabs."""
        source = LANGUAGE_NAMES[story.source_language]
        fieldsets = [
            (
                format_lazy("{} ({})", _("Original"), source),
                {"fields": ["original"], "classes": ["side-by-side"]},
            )
        ]
        for code in workflow.translation_languages(request.user):
            if code == story.source_language:
                continue
            fields = [build_localized_fieldname(f, code) for f in workflow.TRANSLATABLE_FIELDS]
            fieldsets.append(
                (
                    format_lazy("{} ({})", _("Translation"), LANGUAGE_NAMES[code]),
                    {
                        "fields": [*fields, translation_field(code), "source_changes"],
                        "classes": ["side-by-side"],
                    },
                )
            )
        fieldsets.append(
            (_("Publication"), {"fields": ["status", "published_at", "authors", "source_language"]})
        )
        fieldsets.append((_("History"), {"fields": ["history"]}))
        return fieldsets

    @admin.display(description=_("Original text"))
    def original(self, article):
        """The original's title, standfirst and body, read-only, as the translator reads them."""
        code = article.source_language
        return format_html(
            '<div class="original-text" lang="{}"><h2>{}</h2><p class="standfirst">{}</p>{}</div>',
            code,
            getattr(article, build_localized_fieldname("title", code)) or "",
            getattr(article, build_localized_fieldname("standfirst", code)) or "",
            # Sanitised with an allow-list when it was saved, as on the public page.
            mark_safe(getattr(article, build_localized_fieldname("body", code)) or ""),  # noqa: S308
        )

    @admin.display(description=_("What changed in the original"))
    def source_changes(self, article):
        """For each outdated translation, each field of the original that changed since it
        was marked ready: what it was then, and what it is now."""
        outdated = []
        for code, basis in sorted(article.translation_bases().items()):
            if article.state(code) != LanguageState.OUTDATED:
                continue
            current = article.source_text()
            rows = format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                (
                    (
                        Article._meta.get_field(field).verbose_name,
                        text_diff(basis.source.get(field, ""), current[field]),
                    )
                    for field in basis.outdated_fields(article)
                ),
            )
            outdated.append(
                format_html(
                    '<div class="source-changes"><p>{}</p><table>{}</table></div>',
                    _(
                        "Translation (%(language)s) marked ready on %(date)s. "
                        "Since then, the original changed:"
                    )
                    % {
                        "language": LANGUAGE_NAMES[code],
                        "date": date_format(timezone.localtime(basis.ready_at), "DATETIME_FORMAT"),
                    },
                    rows,
                )
            )
        if not outdated:
            return _("No translation is outdated.")
        return format_html_join("", "{}", ((part,) for part in outdated))

    @admin.display(description=_("Changes of state"))
    def history(self, article):
        """The audit trail: every change of state, with who, when and why."""
        events = article.events.select_related("user") if article.pk else []
        if not events:
            return _("None yet.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} — {}, {}{}</li>",
                (
                    (
                        date_format(timezone.localtime(event.at), "DATETIME_FORMAT"),
                        format_lazy(
                            "{} ({})", event.get_kind_display(), LANGUAGE_NAMES[event.language]
                        )
                        if event.language
                        else event.get_kind_display(),
                        (event.user.get_full_name() or event.user.get_username())
                        if event.user
                        else _("someone since removed"),
                        format_html(": “{}”", event.comment) if event.comment else "",
                    )
                    for event in events
                ),
            ),
        )

    def get_prepopulated_fields(self, request, obj=None):
        editable = workflow.editable_fields(request.user, obj, STORY_FIELDS)
        return {
            field: sources
            for field, sources in super().get_prepopulated_fields(request, obj).items()
            if field in editable and all(source in editable for source in sources)
        }

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user, form.story = request.user, obj
        if "status" in form.base_fields:
            allowed = workflow.allowed_statuses(request.user, obj)
            field = form.base_fields["status"]
            # Only what this person may choose is offered; clean() refuses anything else.
            field.widget.choices = [(v, label) for v, label in field.choices if v in allowed]
        return form

    def save_model(self, request, obj, form, change):
        # From the database: the form holds no status when it is not the user's to change.
        old_status = (
            Article.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if change
            else None
        )
        old_states = {code: obj.state(code) for code in language_codes()}
        for code in obj.translation_languages():
            name = translation_field(code)
            if name not in form.fields or form.fields[name].disabled:
                continue
            wanted = form.cleaned_data.get(name)
            if wanted == LanguageState.READY and old_states[code] != LanguageState.READY:
                obj.mark_translation_ready(code, request.user)
            elif wanted == LanguageState.IN_PROGRESS:
                obj.mark_translation_in_progress(code)
        super().save_model(request, obj, form, change)
        workflow.record(obj, request.user, old_status, form.cleaned_data.get("comment", ""))
        for code in obj.translation_languages():
            workflow.record_translation(obj, request.user, code, old_states[code])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.authors.exists():
            # A new story is signed by whoever wrote it, until an editor says otherwise.
            form.instance.authors.add(request.user)

    @admin.display(description=_("online"), boolean=True)
    def online(self, article):
        return article.is_published()

    @admin.display(description=_("languages"))
    def languages(self, article):
        """Each language's state at a glance: "FR original · EN ready"."""
        return format_html_join(
            " · ",
            '<span class="language-state language-state-{}" title="{}">{} {}</span>',
            (
                (
                    article.state(code).value,
                    LANGUAGE_NAMES[code],
                    code.upper(),
                    article.state(code).label.lower(),
                )
                for code in language_codes()
            ),
        )

    def view_on_site(self, article):
        # None for a story with neither language written yet: the link is then hidden.
        return article.get_absolute_url()

    @admin.action(description=_("Publish the selected stories"), permissions=["publish"])
    def publish(self, request, queryset):
        workflow.check_bulk(request.user)
        stories = queryset.exclude(status=Article.Status.PUBLISHED)
        pks = list(stories.values_list("pk", flat=True))
        count = stories.publish()
        workflow.record_bulk(pks, request.user, StoryEvent.Kind.PUBLISHED)
        self.message_user(
            request,
            ngettext("%(count)d story was published.", "%(count)d stories were published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected stories"), permissions=["publish"])
    def unpublish(self, request, queryset):
        workflow.check_bulk(request.user)
        stories = queryset.filter(status=Article.Status.PUBLISHED)
        pks = list(stories.values_list("pk", flat=True))
        count = stories.unpublish()
        workflow.record_bulk(pks, request.user, StoryEvent.Kind.UNPUBLISHED)
        self.message_user(
            request,
            ngettext(
                "%(count)d story was taken offline.",
                "%(count)d stories were taken offline.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class EnglishNameFilter(admin.SimpleListFilter):
    title = _("English name")
    parameter_name = "english_name"

    def lookups(self, request, model_admin):
        return [
            ("missing", _("Missing")),
            ("copied", _("Same as the French name (to check)")),
            ("translated", _("Translated")),
        ]

    def queryset(self, request, queryset):
        missing = Q(name_en__isnull=True) | Q(name_en="")
        copied = Q(name_en=F("name_fr"))
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "copied":
            return queryset.filter(copied)
        if self.value() == "translated":
            return queryset.exclude(missing | copied)
        return queryset


@admin.register(Tag)
class TagAdmin(OfferedFiltersOnly, TranslationAdmin):
    # Both languages side by side rather than in tabs: translating a tag means
    # reading the French name while writing the English one.
    fieldsets = [
        (_("French"), {"fields": ["name_fr", "slug_fr"]}),
        (_("English"), {"fields": ["name_en", "slug_en"]}),
    ]
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name_fr", "name_en", "slug_fr", "slug_en"]
    list_filter = [EnglishNameFilter]
    # Declared for the story's tag picker; get_search_results() searches by word instead.
    search_fields = ["name_fr", "name_en"]
    search_help_text = _("Finds tags with words starting like yours, in French or English.")
    ordering = ["name_fr"]

    def get_readonly_fields(self, request, obj=None):
        """A translator names existing tags in their own languages only."""
        user = request.user
        if obj is None or workflow.is_editor(user) or user.has_perm(workflow.EDIT_OTHERS):
            return []
        languages = workflow.translation_languages(user)
        if not languages:
            return []  # a journalist: the page is read-only for them anyway
        return [
            build_localized_fieldname(field, code)
            for field in ("name", "slug")
            for code in language_codes()
            if code not in languages
        ]

    def get_prepopulated_fields(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        return {
            field: sources
            for field, sources in super().get_prepopulated_fields(request, obj).items()
            if field not in readonly and not readonly & set(sources)
        }

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False
