from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin, TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from reversion.admin import VersionAdmin
from taggit.models import Tag as TaggitTag

from articles import revisions, workflow
from articles.models import (
    Article,
    StoryEvent,
    Tag,
    TaggedArticle,
    language_codes,
    story_count_field,
)

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


class EnglishTranslationFilter(admin.SimpleListFilter):
    title = _("English translation")
    parameter_name = "english"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Translated")),
            ("no", _("Not translated yet")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.in_language("en")
        if self.value() == "no":
            return queryset.exclude(pk__in=Article.objects.in_language("en").values("pk"))
        return queryset


class TaggedArticleInline(admin.TabularInline):
    model = TaggedArticle
    fields = ["tag"]
    autocomplete_fields = ["tag"]
    extra = 1
    verbose_name = _("tag")
    verbose_name_plural = _("tags")

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
    "status",
    "published_at",
    "authors",
]


class OpenedVersionField(forms.CharField):
    """The version of the story a form was opened on (see revisions.check_conflict)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False  # not a change of the story


class ArticleAdminForm(forms.ModelForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When sending a story back: what needs changing. Kept in its history."),
    )
    opened_version = OpenedVersionField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict, self.conflict_rows, self.conflict_merged = None, [], set()
        if not self.is_bound and self.instance.pk and "opened_version" in self.fields:
            self.fields["opened_version"].initial = revisions.opened_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.story is not None and self.story.pk and "opened_version" in self.fields:
            conflict = revisions.check_conflict(self.story, cleaned.get("opened_version"))
            if conflict is not None:
                self._show_conflict(conflict)
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

    def _show_conflict(self, conflict):
        """Refuse the save; the form comes back with what was typed, and the other changes.

        A field the other person changed and this person had not is brought up to date
        in the form, so that saving again does not undo their change.
        """
        self.conflict = conflict
        data = self.data.copy()
        data[self.add_prefix("opened_version")] = conflict.token
        if conflict.opened is not None:
            for name in revisions.changed(conflict.opened, conflict.current):
                if name in self.fields and name in self.cleaned_data:
                    yours = self.cleaned_data[name]
                    if self._same(name, yours, conflict.opened[name]):
                        self._set_data(data, name, conflict.current[name])
                        self.conflict_merged.add(name)
            self.conflict_rows = revisions.compare(
                conflict.opened, conflict.current, only_changed=True
            )
        else:
            # The history does not have the version this form was opened on.
            yours = dict(conflict.current)
            for name in revisions.RECORDED_FIELDS:
                if name in self.fields and name in self.cleaned_data:
                    yours[name] = self._snapshot_value(name, self.cleaned_data[name])
            self.conflict_rows = revisions.compare(yours, conflict.current, only_changed=True)
        self.data = data
        self.add_error(None, conflict.message())

    @staticmethod
    def _snapshot_value(name, value):
        if name == "authors":
            return [user.pk for user in value]
        return value

    def _same(self, name, value, snapshot_value):
        value = self._snapshot_value(name, value)
        return not revisions.changed({name: value}, {name: snapshot_value})

    def _set_data(self, data, name, value):
        """Put ``value`` (as a snapshot holds it) into the form's posted ``data``."""
        widget, key = self.fields[name].widget, self.add_prefix(name)
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value)
            for suffix, subwidget, part in zip(
                widget.widgets_names, widget.widgets, parts, strict=True
            ):
                data[key + suffix] = subwidget.format_value(part) or ""
        elif isinstance(value, list):
            data.setlist(key, [str(item) for item in value])
        else:
            data[key] = "" if value is None else str(value)


@admin.register(Article)
class ArticleAdmin(OfferedFiltersOnly, VersionAdmin, TabbedTranslationAdmin):
    form = ArticleAdminForm
    fieldsets = [
        (_("Story"), {"fields": ["title", "slug", "standfirst", "body", "opened_version"]}),
        (_("Publication"), {"fields": ["status", "comment", "published_at", "authors"]}),
        (_("History"), {"fields": ["history"]}),
    ]
    # One slug per language, each made from the title in that language.
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["authors"]
    inlines = [TaggedArticleInline]
    list_display = ["headline", "state", "published_at", "online", "in_english", "updated_at"]
    list_filter = ["status", TagFilter, EnglishTranslationFilter]
    search_fields = ["title_fr", "title_en"]
    search_help_text = _("Searches the French and English headlines.")
    date_hierarchy = "published_at"
    actions = ["publish", "unpublish"]
    # Django's story list, without VersionAdmin's link to recovering deleted stories: a
    # recovery writes back every field of the old version, workflow states included.
    change_list_template = None

    class Media:
        js = ["articles/js/unsaved_changes.js"]

    @admin.display(description=_("title"), ordering="title")
    def headline(self, article):
        # The active language's title, or the other one for a story not yet translated.
        return str(article)

    @admin.display(description=_("status"), ordering="status")
    def state(self, article):
        if article.is_scheduled():
            return _("Scheduled")
        return article.get_status_display()

    # What each role may do: articles.workflow decides, for every path into the form.

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return workflow.can_change(request.user, obj)

    def has_publish_permission(self, request):
        return workflow.is_editor(request.user)

    def get_readonly_fields(self, request, obj=None):
        editable = workflow.editable_fields(request.user, obj, STORY_FIELDS)
        return [field for field in STORY_FIELDS if field not in editable] + ["history"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # A story being written has no history yet.
        return (
            fieldsets
            if obj is not None
            else [f for f in fieldsets if "history" not in f[1]["fields"]]
        )

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
                        event.get_kind_display(),
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
        super().save_model(request, obj, form, change)
        workflow.record(obj, request.user, old_status, form.cleaned_data.get("comment", ""))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.authors.exists():
            # A new story is signed by whoever wrote it, until an editor says otherwise.
            form.instance.authors.add(request.user)
        # The revision keeps the story as saved (its authors and tag links too), and what
        # the person wrote in the comment box.
        revisions.record(form.instance, form.cleaned_data.get("comment"))

    # VersionAdmin would make Django's "Changed Title [fr]" the revision's comment, in the
    # language of whoever saved; the history page shows what changed in the reader's.

    def log_addition(self, request, obj, message):
        return super(VersionAdmin, self).log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        return super(VersionAdmin, self).log_change(request, obj, message)

    # History: revisions, compare and restore (articles.revisions).

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        compare = self.admin_site.admin_view(self.compare_view)
        return [
            path("<path:object_id>/history/compare/", compare, name="{}_{}_compare".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # Without VersionAdmin's revision around the whole list (for list_editable, which
        # this admin has not): a bulk action makes one revision per story.
        return super(VersionAdmin, self).changelist_view(request, extra_context)

    def recoverlist_view(self, request, extra_context=None):
        raise Http404

    def recover_view(self, request, version_id, extra_context=None):
        raise Http404

    def _story_for_history(self, request, object_id):
        story = self.get_object(request, unquote(object_id))
        if story is None:
            raise Http404
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        return story

    def _history_context(self, request, story, **context):
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "module_name": capfirst(self.opts.verbose_name_plural),
            "object": story,
            "can_restore": workflow.can_restore(request.user, story),
            **context,
        }

    def history_view(self, request, object_id, extra_context=None):
        """Every revision of the story, newest first, with what it changed."""
        story = self._story_for_history(request, object_id)
        versions = list(revisions.versions_of(story))
        snapshots = revisions.snapshots(story, versions)
        entries = []
        for index, version in enumerate(versions):
            older = versions[index + 1] if index + 1 < len(versions) else None
            changes = (
                [
                    revisions.label(name)
                    for name in revisions.changed(snapshots[older.pk], snapshots[version.pk])
                ]
                if older is not None
                else None
            )
            entries.append(
                {
                    "version": version,
                    "by": revisions.saved_by(version.revision),
                    "comment": revisions.comment_of(version.revision),
                    "changes": changes,
                    "url": self._revision_url(story, version),
                }
            )
        context = self._history_context(
            request,
            story,
            title=gettext("History of “%(story)s”") % {"story": story},
            entries=entries,
            compare_url=reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_compare",
                args=[quote(story.pk)],
            ),
        )
        return TemplateResponse(request, "admin/articles/article/object_history.html", context)

    def _revision_url(self, story, version):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_revision",
            args=[quote(story.pk), version.pk],
        )

    def compare_view(self, request, object_id):
        """Two revisions of the story side by side (``?old=`` and ``?new=``, version ids)."""
        story = self._story_for_history(request, object_id)
        chosen = {}
        for side in ("old", "new"):
            try:
                chosen[side] = int(request.GET.get(side, ""))
            except ValueError:
                raise Http404 from None
        found = {v.pk: v for v in revisions.versions_of(story).filter(pk__in=chosen.values())}
        if set(chosen.values()) - set(found):
            raise Http404
        old, new = sorted(
            (found[chosen["old"]], found[chosen["new"]]),
            key=lambda version: (version.revision.date_created, version.pk),
        )
        return self._compare_response(request, story, old, new)

    def _compare_response(self, request, story, old, new=None, status=200):
        """``old`` against ``new``, or against the story as it is now when ``new`` is None."""
        snapshots = revisions.snapshots(story, [v for v in (old, new) if v is not None])
        now = revisions.live_snapshot(story) if new is None else snapshots[new.pk]
        columns = []
        for version in (old, new):
            if version is None:
                columns.append({"title": _("Now"), "version": None})
            else:
                columns.append(
                    {
                        "title": gettext("Version of %(date)s by %(name)s")
                        % {
                            "date": date_format(
                                timezone.localtime(version.revision.date_created),
                                "DATETIME_FORMAT",
                            ),
                            "name": revisions.saved_by(version.revision),
                        },
                        "version": version,
                        "url": self._revision_url(story, version),
                    }
                )
        context = self._history_context(
            request,
            story,
            title=gettext("Compare versions of “%(story)s”") % {"story": story},
            columns=columns,
            rows=revisions.compare(snapshots[old.pk], now),
            history_url=reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                args=[quote(story.pk)],
            ),
        )
        return TemplateResponse(
            request, "admin/articles/article/revision_compare.html", context, status=status
        )

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """A revision against the story as it is now; posted to, it restores that revision."""
        story = self._story_for_history(request, object_id)
        version = get_object_or_404(revisions.versions_of(story), pk=version_id)
        if request.method != "POST":
            return self._compare_response(request, story, version)
        try:
            restored = revisions.restore(story, version, request.user)
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._compare_response(request, story, version, status=403)
        self.message_user(request, gettext("The version was restored."), messages.SUCCESS)
        if restored.kept_slugs:
            self.message_user(
                request,
                gettext("Another story has taken this version’s slug since; kept: %(fields)s.")
                % {"fields": ", ".join(str(revisions.label(n)) for n in restored.kept_slugs)},
                messages.WARNING,
            )
        if restored.missing_tags:
            self.message_user(
                request,
                gettext("Tags deleted since were left out."),
                messages.WARNING,
            )
        if restored.kept_authors:
            self.message_user(
                request,
                gettext("The authors were kept: only an editor may change them."),
                messages.WARNING,
            )
        return redirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(story.pk)],
            )
        )

    @admin.display(description=_("online"), boolean=True)
    def online(self, article):
        return article.is_published()

    @admin.display(description=_("in English"), boolean=True)
    def in_english(self, article):
        return article.has_language("en")

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
        revisions.record_bulk(pks, request.user, revisions.BULK_PUBLISHED)
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
        revisions.record_bulk(pks, request.user, revisions.BULK_UNPUBLISHED)
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

    class Media:
        js = ["articles/js/unsaved_changes.js"]

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
