import json
import logging
from datetime import timedelta

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage
from django.db import models, router, transaction
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.db.models.functions import Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, format_lazy
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin, TranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from reversion.admin import VersionAdmin
from taggit.models import Tag as TaggitTag

from articles import images, lockouts, revisions, search, workflow
from articles.accounts import PermissionsField, PickersForm, person_label
from articles.models import (
    FRONT_PAGE_MAX_PINS,
    TRANSLATED_FROM_SOURCE,
    Article,
    Correction,
    FrontPage,
    FrontPagePin,
    Image,
    LanguageState,
    PreviewLink,
    StoryEvent,
    Tag,
    language_codes,
    state_field,
    story_count_field,
)
from articles.pagination import COUNT_LIMIT, LongListPaginator
from articles.tag_field import TagsField
from articles.views import absolute_url

# Stories use articles.Tag; taggit's own tag table stays empty and would only
# show journalists a second, useless "Tags" page.
admin.site.unregister(TaggitTag)

logger = logging.getLogger(__name__)


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


class PlainActionCheckbox:
    """The list's selection checkbox written out rather than rendered as a form widget.

    Django renders a CheckboxInput through the template engine for each row: a fifth of
    the time of a 100-story list page, the same at any corpus size. The markup is the
    widget's, attribute for attribute.
    """

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


class AtomicActions:
    """Each action of the list pages, Django's bulk delete included, in one transaction.

    Django runs actions as they come: a bulk publication that failed at its history left
    the stories published without it, and a bulk delete that failed after its log entries
    left entries for rows still there. Here an error rolls the whole action back, and the
    person sees that nothing was changed (the error is logged as a server error would be).
    A refusal (PermissionDenied, a WorkflowError) is Django's to answer, as before.
    """

    def response_action(self, request, queryset):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except PermissionDenied:
            raise
        except Exception:
            logger.exception("admin action %r failed, rolled back", request.POST.get("action"))
            self.message_user(
                request,
                _(
                    "The action failed and nothing was changed. Try again; if it fails again, "
                    "tell the site’s administrators."
                ),
                messages.ERROR,
            )
            return redirect(request.get_full_path())


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


class UserChangeList(OfferedFiltersChangeList):
    """The accounts, each marked when too many failed sign-ins have locked it (one query)."""

    def get_results(self, request):
        super().get_results(request)
        users = list(self.result_list)  # the page's rows, kept by the list it shows
        locked = lockouts.locked_usernames(user.get_username() for user in users)
        for user in users:
            user.sign_in_locked = user.get_username() in locked


# Django's user and group pages, with the same changelist as the newsroom's own.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(
    AtomicActions, WordedAdmin, GivesOnlyWhatTheyHold, OfferedFiltersOnly, auth_admin.UserAdmin
):
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
    list_display = [*auth_admin.UserAdmin.list_display, "sign_in_locked"]
    actions = ["unlock"]

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def autocomplete_label(self, user):
        return person_label(user)

    @admin.display(description=_("sign-in locked"), boolean=True)
    def sign_in_locked(self, user):
        return getattr(user, "sign_in_locked", False)

    def has_unlock_permission(self, request):
        return request.user.has_perm(lockouts.UNLOCK)

    @admin.action(description=_("Unlock the selected accounts"), permissions=["unlock"])
    def unlock(self, request, queryset):
        """Forget the accounts' failed sign-ins, which lifts their lock (articles/lockouts.py)."""
        users = list(queryset)
        lockouts.unlock(user.get_username() for user in users)
        self.message_user(
            request,
            ngettext(
                "%(count)d account was unlocked. If sign-in is still refused, the network it "
                "comes from is locked: delete that address’s sign-in attempts.",
                "%(count)d accounts were unlocked. If sign-in is still refused, the network it "
                "comes from is locked: delete that address’s sign-in attempts.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def may_manage(self, user, account):
        return workflow.may_manage_account(user, account)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Only a superuser makes superusers; a posted is_superuser is ignored.
        return readonly if workflow.is_superuser(request.user) else [*readonly, "is_superuser"]


# django-axes' sign-in attempts, whose deletion unlocks (articles/lockouts.py): atomic too.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)

    @admin.register(AccessAttempt)
    class AccessAttemptAdmin(AtomicActions, axes_admin.AccessAttemptAdmin):
        pass


@admin.register(Group)
class GroupAdmin(
    AtomicActions, WordedAdmin, GivesOnlyWhatTheyHold, OfferedFiltersOnly, auth_admin.GroupAdmin
):
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


class PerLanguageFilter(admin.SimpleListFilter):
    """A list filter about one language; ``into(code)`` makes the one for ``code``
    (each admin has one per language of LANGUAGES, none hard-coded)."""

    language = None
    parameter_prefix = title_word = None

    @classmethod
    def into(cls, language):
        return type(
            f"{cls.__name__}_{language}",
            (cls,),
            {
                "language": language,
                "parameter_name": f"{cls.parameter_prefix}{language}",
                "title": format_lazy("{} ({})", cls.title_word, LANGUAGE_NAMES[language]),
            },
        )


class TranslationFilter(PerLanguageFilter):
    """Stories by where their translation into one language stands (one filter per language)."""

    parameter_prefix = "translation_"
    title_word = _("Translation")
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


class PreviewLinkInline(admin.TabularInline):
    """Shareable previews of the story: a signed address that expires, revoked by deleting it."""

    model = PreviewLink
    fields = ["language", "expires_at", "address", "created_by"]
    readonly_fields = ["address", "created_by"]
    extra = 0
    verbose_name = _("shareable preview link")
    verbose_name_plural = _("shareable preview links")

    @admin.display(description=_("address"))
    def address(self, link):
        if link.pk is None:
            return _("Made when the story is saved.")
        url = absolute_url(None, link.get_absolute_url())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["expires_at"].initial = lambda: timezone.now() + timedelta(days=7)
        return formset

    # Whoever may change the story's text may share it before it is published.
    def has_add_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return workflow.can_edit_text(request.user, obj)


class CorrectionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.extra_forms:
            language = getattr(form, "cleaned_data", {}).get("language")
            if not form.has_changed() or not language:
                continue
            # The story as this form leaves it: published and readable in that language.
            if not self.instance.is_readable_in(language):
                form.add_error(
                    "language",
                    _("Readers cannot read the story in this language: nothing to correct."),
                )


class CorrectionInline(admin.TabularInline):
    """Corrections: editors append them to a published story; nobody changes or deletes one.

    Saved through Article.add_correction (ArticleAdmin.save_formset): dated, signed,
    in the story's history, and its modified time moves.
    """

    model = Correction
    formset = CorrectionFormSet
    fields = ["language", "text", "at", "signed_by"]
    readonly_fields = ["at", "signed_by"]
    extra = 0
    can_delete = False
    verbose_name = _("correction")
    verbose_name_plural = _("corrections (shown at the end of the story, in its language)")

    @admin.display(description=_("by"))
    def signed_by(self, correction):
        if correction.pk is None:
            return _("You, when the story is saved.")
        return person_label(correction.by) if correction.by else _("someone since removed")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None):
        return workflow.can_correct(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("articles.view_correction")


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
    "tags",
    "lead_image",
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


class OpenedVersionField(forms.CharField):
    """The version of the story a form was opened on (see revisions.check_conflict)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False  # not a change of the story


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


class StoryForm(forms.ModelForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When sending a story back: what needs changing. Kept in its history."),
    )
    opened_version = OpenedVersionField(required=False)
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
        self.conflict, self.conflict_rows, self.conflict_merged = None, [], set()
        if not self.is_bound and self.instance.pk and "opened_version" in self.fields:
            self.fields["opened_version"].initial = revisions.opened_token(self.instance)
        if "tags" in self.fields:
            if self.instance.pk:
                self.initial.setdefault("tags", [tag.pk for tag in tags_in_order(self.instance)])
            may_create = self.user.has_perm("articles.add_tag")
            self.fields["tags"].widget.attrs["data-create"] = json.dumps(may_create)

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
        if self.story is not None and self.story.pk and "opened_version" in self.fields:
            conflict = revisions.check_conflict(self.story, cleaned.get("opened_version"))
            if conflict is not None:
                self._show_conflict(conflict)
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
class ArticleAdmin(
    PlainActionCheckbox,
    AtomicActions,
    WordedAdmin,
    OfferedFiltersOnly,
    VersionAdmin,
    TabbedTranslationAdmin,
):
    words = {
        "add": _("Add story"),
        "change": _("Change story"),
        "view": _("View story"),
        "delete_selected": _("Delete selected stories"),
    }
    form = ArticleAdminForm
    fieldsets = [
        (_("Story"), {"fields": ["title", "slug", "standfirst", "body", "tags", "opened_version"]}),
        # One picture of the library (ImageAdmin), found by its title or credit, or added
        # there and then with the picker's "+".
        (_("Lead image"), {"fields": ["lead_image", "lead_image_preview"]}),
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
    autocomplete_fields = ["authors", "lead_image"]
    inlines = [CorrectionInline, PreviewLinkInline]
    # The form's own tags field (articles.tag_field) saves the tags in the order given
    # (save_related); taggit's manager would save them unordered.
    exclude = ["tags"]
    # Readable at 1280 px (static/css/story_admin.css): the headline takes the room, the
    # other columns are short; a column added here stays short with a short display.
    list_display = [
        "headline",
        "author_names",
        "state",
        "languages",
        "publication_time",
        "online",
        "last_change",
    ]
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
    # Django's story list, without VersionAdmin's link to recovering deleted stories: a
    # recovery writes back every field of the old version, workflow states included.
    change_list_template = None

    class Media:
        js = ["articles/js/unsaved_changes.js"]
        css = {"all": ["css/story_admin.css", "articles/workplace.css"]}

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
            short_time(article.status_changed_at),
        )

    def get_changelist(self, request, **kwargs):
        return StoryChangeList

    def get_inlines(self, request, obj):
        # A story being written has nothing to correct yet.
        return self.inlines if obj is not None else [PreviewLinkInline]

    def get_search_results(self, request, queryset, search_term):
        if request.GET.get("model_name") == FrontPagePin._meta.model_name:
            # The front page's story picker: published stories (scheduled ones too).
            queryset = queryset.filter(status=Article.Status.PUBLISHED)
        if not search_term.strip():
            return queryset, False
        return search.search_stories(queryset, search_term), False

    def get_ordering(self, request):
        # The review queue: the story waiting longest first.
        if request.GET.get(QueueFilter.parameter_name) == "review":
            return ["status_changed_at", "pk"]
        return super().get_ordering(request)

    def get_queryset(self, request):
        # The list shows each story's byline and who gave it its status; the form, its authors.
        return super().get_queryset(request).with_authors().select_related("status_changed_by")

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
        return [
            *readonly,
            *shown,
            "lead_image_preview",
            "original",
            "previews",
            "source_changes",
            "history",
        ]

    @admin.display(description=_("Lead image as saved"))
    def lead_image_preview(self, article):
        if article.lead_image is None:
            return _("No lead image.")
        return format_html(
            '<a href="{}">{}</a><br>{}',
            reverse("admin:articles_image_change", args=[article.lead_image.pk]),
            article.lead_image.img_tag("card"),
            article.lead_image.credit,
        )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not workflow.can_edit_text(request.user, obj):
            return self.translator_fieldsets(request, obj)
        # A new story's original is the site's language until the writer says otherwise.
        source = obj.source_language if obj is not None else settings.LANGUAGE_CODE
        translations = [translation_field(code) for code in language_codes() if code != source]
        readonly = set(self.get_readonly_fields(request, obj))
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [
                READ_ONLY_AS.get(f, f) if READ_ONLY_AS.get(f) in readonly else f
                for f in options["fields"]
            ]
            if "source_language" in fields:
                fields = ["source_language", *translations]
                if obj is not None:
                    fields.append("previews")
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
                        "fields": [*fields, translation_field(code), "previews", "source_changes"],
                        "classes": ["side-by-side"],
                    },
                )
            )
        fieldsets.append(
            (
                _("Publication"),
                {
                    "fields": [
                        "tag_names",
                        "status",
                        "published_at",
                        "author_names",
                        "source_language",
                    ]
                },
            )
        )
        fieldsets.append((_("History"), {"fields": ["history"]}))
        return fieldsets

    @admin.display(description=_("Preview"))
    def previews(self, article):
        """Each language version as readers will see it, in a new tab (saved text only)."""
        links = [(article.url_for(code), LANGUAGE_NAMES[code]) for code in article.languages()]
        if not links:
            return _("Nothing to preview yet: save a title and a body first.")
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener" class="story-preview">{} ↗</a>',
            links,
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is Correction:
            story = form.instance
            # What the admin's change message reads; a correction is only ever added.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for correction_form in formset.extra_forms:
                if correction_form.has_changed():
                    workflow.check_correction(request.user, story)
                    data = correction_form.cleaned_data
                    formset.new_objects.append(
                        story.add_correction(data["language"], data["text"], request.user)
                    )
            return
        if formset.model is PreviewLink:
            for link_form in formset.forms:
                if link_form.instance.pk is None:
                    link_form.instance.created_by = request.user
        super().save_formset(request, form, formset, change)

    @admin.display(description=_("Original text"))
    def original(self, article):
        """The original's title, standfirst and body, read-only, as the translator reads them."""
        code = article.source_language
        return format_html(
            '<div class="original-text" lang="{}"><p class="original-title">{}</p>'
            '<p class="standfirst">{}</p>{}</div>',
            code,
            getattr(article, build_localized_fieldname("title", code)) or "",
            getattr(article, build_localized_fieldname("standfirst", code)) or "",
            # Sanitised with an allow-list when it was saved, as on the public page.
            mark_safe(getattr(article, build_localized_fieldname("body", code)) or ""),  # noqa: S308
        )

    @admin.display(description=_("What changed in the original"))
    def source_changes(self, article):
        """For each outdated translation, each field of the original that changed since it
        was marked ready: as it was then, and as it is now (revisions.compare)."""
        outdated = []
        code = article.source_language
        for language, basis in sorted(article.translation_bases().items()):
            if article.state(language) != LanguageState.OUTDATED:
                continue
            # As saved: a form sent back with errors holds unsaved text in ``article``.
            stored = article.stored_source_text()
            fields = {
                build_localized_fieldname(field, code): field
                for field in TRANSLATED_FROM_SOURCE
                if basis.source.get(field, "") != stored[field]
            }
            then = {name: basis.source.get(field, "") for name, field in fields.items()}
            now = {name: stored[field] for name, field in fields.items()}
            rows = format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                (
                    (row.label, row.old, row.new)
                    for row in revisions.compare(then, now, only_changed=True)
                ),
            )
            outdated.append(
                format_html(
                    '<div class="source-changes"><p>{}</p><table><thead><tr><th></th>'
                    "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table></div>",
                    _(
                        "Translation (%(language)s) marked ready on %(date)s. "
                        "Since then, the original changed:"
                    )
                    % {
                        "language": LANGUAGE_NAMES[language],
                        "date": date_format(timezone.localtime(basis.ready_at), "DATETIME_FORMAT"),
                    },
                    _("When the translation was ready"),
                    _("Now"),
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
        # Not in the form of someone who may not change the tags (workflow.editable_fields).
        if "tags" in form.fields:
            form.save_tags()
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
        # this admin has not): a bulk action makes one revision per story. Skipping it skips
        # WordedAdmin too, whose add title is given here.
        extra_context = {"add_title": self.words["add"], **(extra_context or {})}
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


class TagNameFilter(PerLanguageFilter):
    """Tags by their name in one language other than the site's own (one filter per language).

    A tag made by typing its name gets that name in every language until a
    translator names it: "same as the original name (to check)".
    """

    parameter_prefix = "name_in_"
    title_word = _("name")

    def lookups(self, request, model_admin):
        return [
            ("missing", _("Missing")),
            (
                "copied",
                _("Same as the name in %(language)s (to check)")
                % {"language": LANGUAGE_NAMES[settings.LANGUAGE_CODE]},
            ),
            ("translated", _("Translated")),
        ]

    def queryset(self, request, queryset):
        name = build_localized_fieldname("name", self.language)
        missing = Q(**{f"{name}__isnull": True}) | Q(**{name: ""})
        copied = Q(**{name: F(build_localized_fieldname("name", settings.LANGUAGE_CODE))})
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "copied":
            return queryset.filter(copied)
        if self.value() == "translated":
            return queryset.exclude(missing | copied)
        if self.value() is not None:
            raise IncorrectLookupParameters(f"Unknown name filter: {self.value()!r}")
        return queryset


class ToTranslateFilter(admin.SimpleListFilter):
    """Tags not named yet in a language (or in any): readers there see another language's
    name, marked as such (Tag.name_lang)."""

    title = _("to translate")
    parameter_name = "to_translate"
    ANY = "any"

    def lookups(self, request, model_admin):
        return [
            (self.ANY, _("In a language or more")),
            *[(code, LANGUAGE_NAMES[code]) for code in language_codes()],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.ANY:
            languages = language_codes()
        elif value in language_codes():
            languages = [value]
        else:
            raise IncorrectLookupParameters(f"Unknown language: {value!r}")
        missing = Q()
        for code in languages:
            name = build_localized_fieldname("name", code)
            missing |= Q(**{f"{name}__isnull": True}) | Q(**{name: ""})
        return queryset.filter(missing)


def per_language(*fields):
    return [build_localized_fieldname(field, code) for field in fields for code in language_codes()]


@admin.register(Tag)
class TagAdmin(
    PlainActionCheckbox, AtomicActions, WordedAdmin, OfferedFiltersOnly, TranslationAdmin
):
    words = {
        "add": _("Add tag"),
        "change": _("Change tag"),
        "view": _("View tag"),
        "delete_selected": _("Delete selected tags"),
    }
    # Every language side by side rather than in tabs: translating a tag means
    # reading its name in one language while writing it in another.
    fieldsets = [
        (
            LANGUAGE_NAMES[code],
            {
                "fields": [
                    build_localized_fieldname(f, code) for f in ("name", "slug", "description")
                ]
            },
        )
        for code in language_codes()
    ]
    prepopulated_fields = {"slug": ["name"]}
    list_display = [*per_language("name", "slug"), "to_translate"]
    list_filter = [
        ToTranslateFilter,
        *[TagNameFilter.into(code) for code in language_codes() if code != settings.LANGUAGE_CODE],
    ]
    actions = ["merge"]
    # Declared for the story's tag picker; get_search_results() searches by word instead.
    search_fields = per_language("name")
    search_help_text = _("Finds tags with words starting like yours, in any language.")
    ordering = [build_localized_fieldname("name", settings.LANGUAGE_CODE)]

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
            for field in ("name", "slug", "description")
            for code in language_codes()
            if code not in languages
        ]

    @admin.display(description=_("to translate"))
    def to_translate(self, tag):
        """The languages the tag has no name in: readers there see another one's."""
        missing = tag.untranslated_languages()
        return ", ".join(str(LANGUAGE_NAMES[code]) for code in missing) if missing else "—"

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

    def has_merge_permission(self, request):
        return workflow.can_merge_tags(request.user)

    @admin.action(description=_("Merge the selected tags into one"), permissions=["merge"])
    def merge(self, request, queryset):
        """Asks which tag to keep (the most used is offered first), then merges the others in."""
        workflow.check_merge(request.user)
        counts = [F(story_count_field(code)) for code in language_codes()]
        tags = list(
            queryset.annotate(used=Greatest(*counts) if len(counts) > 1 else counts[0]).order_by(
                "-used", "pk"
            )
        )
        if len(tags) < 2:
            self.message_user(request, _("Choose at least two tags to merge."), messages.WARNING)
            return None
        if request.POST.get("kept"):
            kept = next((tag for tag in tags if str(tag.pk) == request.POST["kept"]), None)
            if kept is None:
                self.message_user(
                    request, _("Choose the tag to keep among those selected."), messages.ERROR
                )
                return None
            stories = kept.absorb([tag for tag in tags if tag != kept])
            self.message_user(
                request,
                ngettext(
                    "%(count)d tag was merged into “%(kept)s”, on %(stories)d stories.",
                    "%(count)d tags were merged into “%(kept)s”, on %(stories)d stories.",
                    len(tags) - 1,
                )
                % {"count": len(tags) - 1, "kept": kept, "stories": len(stories)},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/articles/tag/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge tags"),
                "opts": self.opts,
                "tags": tags,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


class FrontPagePinInline(admin.TabularInline):
    model = FrontPagePin
    fields = ["position", "story", "shown"]
    readonly_fields = ["shown"]
    autocomplete_fields = ["story"]
    extra = 3
    max_num = FRONT_PAGE_MAX_PINS
    verbose_name = _("lead story")
    verbose_name_plural = _("lead stories, in order (1 leads)")

    @admin.display(description=_("shown to readers now"), boolean=True)
    def shown(self, pin):
        if pin.pk is None:
            return None
        return pin.story.is_readable_in(pin.front_page.language)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("story", "front_page")


@admin.register(FrontPage)
class FrontPageAdmin(AtomicActions, WordedAdmin, admin.ModelAdmin):
    """Each language's home page: the stories editors pin above the latest ones, in order."""

    words = {
        "add": _("Add front page"),
        "change": _("Choose the lead stories"),
        "view": _("View the lead stories"),
        "delete_selected": _("Delete selected front pages"),
    }
    fields = ["language"]
    readonly_fields = ["language"]
    list_display = ["__str__", "lead_stories", "on_site"]
    inlines = [FrontPagePinInline]

    @admin.display(description=_("lead stories"))
    def lead_stories(self, front_page):
        return ", ".join(str(pin.story) for pin in front_page.pins.all()) or "—"

    @admin.display(description=_("home page"))
    def on_site(self, front_page):
        url = front_page.get_absolute_url()
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def get_queryset(self, request):
        pins = FrontPagePin.objects.select_related("story").order_by("position", "pk")
        return super().get_queryset(request).prefetch_related(Prefetch("pins", queryset=pins))

    def changelist_view(self, request, extra_context=None):
        FrontPage.ensure_all()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return workflow.can_pin(request.user)


@admin.register(Image)
class ImageAdmin(PlainActionCheckbox, AtomicActions, WordedAdmin, TranslationAdmin):
    """The photo library: each picture once, with its descriptions, credit and licence."""

    words = {
        "add": _("Add image"),
        "change": _("Change image"),
        "view": _("View image"),
        "delete_selected": _("Delete selected images"),
    }
    fieldsets = [
        (_("Picture"), {"fields": ["file", "preview", "title"]}),
        *[
            (
                LANGUAGE_NAMES[code],
                {"fields": [build_localized_fieldname(f, code) for f in ("alt_text", "caption")]},
            )
            for code in language_codes()
        ],
        (_("Rights"), {"fields": ["credit", "licence", "source_url"]}),
        (_("On the site"), {"fields": ["body_address", "rendition_sizes", "used_by"]}),
    ]
    readonly_fields = ["preview", "body_address", "rendition_sizes", "used_by"]
    list_display = ["thumbnail", "title", "credit", "licence", "created_at"]
    list_display_links = ["thumbnail", "title"]
    # The story's lead image picker searches these.
    search_fields = ["title", "credit", *per_language("alt_text")]
    search_help_text = _("Finds pictures by their title, credit or alt text.")
    date_hierarchy = "created_at"
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.ImageField: {"form_class": images.PictureField},
    }

    class Media:
        js = ["articles/js/unsaved_changes.js"]

    @admin.display(description=_("picture"))
    def thumbnail(self, image):
        return image.img_tag("card")

    @admin.display(description=_("Preview"))
    def preview(self, image):
        if not image.renditions:
            return _("Shown once the picture is saved.")
        return image.img_tag("card")

    @admin.display(description=_("Address for a story’s body"))
    def body_address(self, image):
        """What a journalist puts in the body's image dialog to show this picture there."""
        rendition = image.rendition(images.PAGE_WIDTH)
        if rendition is None:
            return "—"
        return format_html(
            "<code>{}</code><br>{}",
            rendition.url,
            _(
                "In a story’s text, insert an image with this address and describe it; "
                "the site shows it at the size each reader’s screen needs."
            ),
        )

    @admin.display(description=_("Sizes made for the site"))
    def rendition_sizes(self, image):
        return ", ".join(f"{r.width} × {r.height}" for r in image.rendition_list()) or "—"

    @admin.display(description=_("Lead image of"))
    def used_by(self, image):
        if image.pk is None:
            return "—"
        stories = list(image.lead_of.order_by("-pk")[:10])
        if not stories:
            return _("No story yet.")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:articles_article_change", args=[s.pk]), s) for s in stories),
        )
