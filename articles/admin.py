from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TabbedTranslationAdmin, TranslationAdmin
from taggit.models import Tag as TaggitTag

from articles.models import Article, Tag, TaggedArticle, language_codes, story_count_field

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


@admin.register(Article)
class ArticleAdmin(OfferedFiltersOnly, TabbedTranslationAdmin):
    fieldsets = [
        (_("Story"), {"fields": ["title", "slug", "standfirst", "body"]}),
        (_("Publication"), {"fields": ["status", "published_at", "authors"]}),
    ]
    # One slug per language, each made from the title in that language.
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["authors"]
    inlines = [TaggedArticleInline]
    list_display = ["headline", "status", "published_at", "online", "in_english", "updated_at"]
    list_filter = ["status", TagFilter, EnglishTranslationFilter]
    search_fields = ["title_fr", "title_en"]
    search_help_text = _("Searches the French and English headlines.")
    date_hierarchy = "published_at"
    actions = ["publish", "unpublish"]

    @admin.display(description=_("title"), ordering="title")
    def headline(self, article):
        # The active language's title, or the other one for a story not yet translated.
        return str(article)

    @admin.display(description=_("online"), boolean=True)
    def online(self, article):
        return article.is_published()

    @admin.display(description=_("in English"), boolean=True)
    def in_english(self, article):
        return article.has_language("en")

    def view_on_site(self, article):
        # None for a story with neither language written yet: the link is then hidden.
        return article.get_absolute_url()

    @admin.action(description=_("Publish the selected stories"), permissions=["change"])
    def publish(self, request, queryset):
        count = queryset.exclude(status=Article.Status.PUBLISHED).publish()
        self.message_user(
            request,
            ngettext("%(count)d story was published.", "%(count)d stories were published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected stories"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = queryset.exclude(status=Article.Status.DRAFT).unpublish()
        self.message_user(
            request,
            ngettext(
                "%(count)d story was taken offline and is a draft again.",
                "%(count)d stories were taken offline and are drafts again.",
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

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False
