import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin, TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from taggit.models import Tag as TaggitTag

from articles import workflow
from articles.accounts import PermissionsField, PickersForm, person_label
from articles.models import (
    Article,
    StoryEvent,
    Tag,
    language_codes,
    story_count_field,
)
from articles.tag_field import TagsField

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


class WordedAdmin:
    """Page titles, the add button and the bulk delete action, said whole for each model.

    Django makes them from the model's name ("Add %s", "Add {{ name }}"), which no
    catalogue can make read right in French: "Ajout de article", "Ajouter étiquette",
    "Supprimer les étiquettes sélectionnés". Each admin gives its ``words`` instead:
    the add, change and view titles and the delete action. The add title is also the
    list's add button and the add page's last breadcrumb (templates/admin/).
    """

    words = {}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        data = response.context_data
        if add:
            data["title"] = self.words["add"]
        else:
            data["title"] = self.words["change" if data["has_change_permission"] else "view"]
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {"add_title": self.words["add"], **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _description = actions["delete_selected"]
            actions["delete_selected"] = (function, name, self.words["delete_selected"])
        return actions


class GivesOnlyWhatTheyHold:
    """Accounts and roles as articles.workflow rules them: nobody gives more than they hold.

    The pickers offer only the permissions and roles the signed-in person may give
    (articles.accounts.PickersForm); an account or role they could not have made
    themselves is shown read-only and cannot be deleted, alone or in bulk.
    """

    def may_manage(self, user, obj):
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.may_manage(request.user, obj))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.granting_user = request.user
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        deleted, counts, refused, protected = super().get_deleted_objects(objs, request)
        # The bulk delete action asks only this: the accounts it may not delete are refused.
        refused |= {str(obj) for obj in objs if not self.may_manage(request.user, obj)}
        return deleted, counts, refused, protected


class UserForm(PickersForm, auth_forms.UserChangeForm):
    pass


class GroupForm(PickersForm):
    class Meta:
        model = Group
        fields = "__all__"


# Django's user and group pages, with the same changelist as the newsroom's own.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(WordedAdmin, GivesOnlyWhatTheyHold, OfferedFiltersOnly, auth_admin.UserAdmin):
    words = {
        "add": _("Add user"),
        "change": _("Change user"),
        "view": _("View user"),
        "delete_selected": _("Delete selected users"),
    }
    # People by name, as in a byline. Django's search_fields (username, first and last
    # names, email) are what the story's author picker searches.
    ordering = ["last_name", "first_name", "username"]
    form = UserForm

    def autocomplete_label(self, user):
        return person_label(user)

    def may_manage(self, user, account):
        return workflow.may_manage_account(user, account)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Only a superuser makes superusers; a posted is_superuser is ignored.
        return readonly if workflow.is_superuser(request.user) else [*readonly, "is_superuser"]


@admin.register(Group)
class GroupAdmin(WordedAdmin, GivesOnlyWhatTheyHold, OfferedFiltersOnly, auth_admin.GroupAdmin):
    words = {
        "add": _("Add group"),
        "change": _("Change group"),
        "view": _("View group"),
        "delete_selected": _("Delete selected groups"),
    }
    form = GroupForm

    def may_manage(self, user, group):
        return workflow.may_manage_role(user, group)


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
    "tags",
]


class AuthorsField(forms.ModelMultipleChoiceField):
    """The byline's authors, shown by their full names."""

    def label_from_instance(self, user):
        return person_label(user)


# Shown in place of a field that its user may not change: the byline by full names,
# the tags in their order.
READ_ONLY_AS = {"authors": "author_names", "tags": "tag_names"}


def short_time(moment):
    """ "01/12/2026 14:23" in French, "12/01/2026 2:23 p.m." in English; None for none."""
    if moment is None:
        return None
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def tags_in_order(story):
    """The story's tags, the main topic first (``tag_list()`` without a prefetch)."""
    return [link.tag for link in story.tagged_items.select_related("tag").order_by("pk")]


class ArticleAdminForm(forms.ModelForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When sending a story back: what needs changing. Kept in its history."),
    )
    tags = TagsField(
        label=capfirst(Article._meta.get_field("tags").verbose_name),
        required=False,
        help_text=_(
            "What the story is about, the main topic first. Type to find a tag; a name no "
            "tag has yet is created when saving (Enter or a comma ends it)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            if self.instance.pk:
                self.initial.setdefault("tags", [tag.pk for tag in tags_in_order(self.instance)])
            may_create = self.user.has_perm("articles.add_tag")
            self.fields["tags"].widget.attrs["data-create"] = json.dumps(may_create)

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        names = [item for item in tags if isinstance(item, str)]
        if names and not self.user.has_perm("articles.add_tag"):
            languages = [get_language(), *language_codes()]
            new = [name for name in names if Tag.objects.named(name, languages) is None]
            if new:
                raise forms.ValidationError(
                    _("You may only choose existing tags; there is no tag “%(name)s”.")
                    % {"name": new[0]}
                )
        return tags

    def save_tags(self):
        """Give the story the tags chosen, in their order, creating the ones typed anew."""
        chosen = self.cleaned_data["tags"]
        names = [item for item in chosen if isinstance(item, str)]
        made = dict(zip(names, Tag.objects.for_names(names, get_language()), strict=True))
        self.instance.set_tags([made[item] if isinstance(item, str) else item for item in chosen])

    def clean(self):
        cleaned = super().clean()
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


@admin.register(Article)
class ArticleAdmin(WordedAdmin, OfferedFiltersOnly, TabbedTranslationAdmin):
    words = {
        "add": _("Add story"),
        "change": _("Change story"),
        "view": _("View story"),
        "delete_selected": _("Delete selected stories"),
    }
    form = ArticleAdminForm
    fieldsets = [
        (_("Story"), {"fields": ["title", "slug", "standfirst", "body", "tags"]}),
        (_("Publication"), {"fields": ["status", "comment", "published_at", "authors"]}),
        (_("History"), {"fields": ["history"]}),
    ]
    # One slug per language, each made from the title in that language.
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["authors"]
    # The form's own tags field (articles.tag_field) saves the tags in the order given
    # (save_related); taggit's manager would save them unordered.
    exclude = ["tags"]
    # Readable at 1280 px (static/css/story_admin.css): the headline takes the room, the
    # other columns are short; a column added here stays short with a short display.
    list_display = [
        "headline",
        "author_names",
        "state",
        "publication_time",
        "online",
        "in_english",
        "last_change",
    ]
    list_filter = ["status", TagFilter, EnglishTranslationFilter]
    search_fields = ["title_fr", "title_en"]
    search_help_text = _("Searches the French and English headlines.")
    date_hierarchy = "published_at"
    actions = ["publish", "unpublish"]

    class Media:
        css = {"all": ["css/story_admin.css"]}

    @admin.display(description=_("title"), ordering="title")
    def headline(self, article):
        # The active language's title, or the other one for a story not yet translated.
        return str(article)

    @admin.display(description=_("authors"))
    def author_names(self, article):
        return article.byline()

    @admin.display(description=_("publication time"), ordering="published_at")
    def publication_time(self, article):
        return short_time(article.published_at)

    @admin.display(description=_("updated"), ordering="updated_at")
    def last_change(self, article):
        return short_time(article.updated_at)

    @admin.display(description=_("tags"))
    def tag_names(self, article):
        return ", ".join(str(tag) for tag in tags_in_order(article))

    @admin.display(description=_("status"), ordering="status")
    def state(self, article):
        if article.is_scheduled():
            return _("Scheduled")
        return article.get_status_display()

    def get_queryset(self, request):
        # The list shows each story's byline; the form, its authors.
        return super().get_queryset(request).with_authors()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "authors":
            kwargs["form_class"] = AuthorsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

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
        # The field itself too: a declared form field (tags) is dropped only so.
        shown = [READ_ONLY_AS[field] for field in readonly if field in READ_ONLY_AS]
        return [*readonly, *shown, "history"]

    def get_fieldsets(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [
                READ_ONLY_AS.get(f, f) if READ_ONLY_AS.get(f) in readonly else f
                for f in options["fields"]
            ]
            fieldsets.append((name, {**options, "fields": fields}))
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
        # Not in the form of someone who may not change the tags (workflow.editable_fields).
        if "tags" in form.fields:
            form.save_tags()

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
class TagAdmin(WordedAdmin, OfferedFiltersOnly, TranslationAdmin):
    words = {
        "add": _("Add tag"),
        "change": _("Change tag"),
        "view": _("View tag"),
        "delete_selected": _("Delete selected tags"),
    }
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
