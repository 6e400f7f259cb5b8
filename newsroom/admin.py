"""The newsroom's admin site: named for the newsroom in both languages.

Installed through ``newsroom.apps.AdminConfig`` in place of ``django.contrib.admin``,
so that ``admin.site`` and ``@admin.register`` are this site.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django's own admin strings given a better French in our catalogue, which comes first
# (LOCALE_PATHS); named here so that makemessages keeps them. Their French must read
# right whatever the model's name and gender: "Sélectionnez l’objet article à changer"
# becomes "… à modifier", "Sélectionner tous les 30 étiquettes" "… les 30 étiquettes".
# What needs the name's gender is said whole by each model admin (articles.admin.WordedAdmin).
DJANGO_STRINGS = [
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    # An inline's add link: "Ajouter un objet Lien d’aperçu supplémentaire" otherwise.
    gettext_noop("Add another %(verbose_name)s"),
]


class AutocompleteView(AutocompleteJsonView):
    """Django's autocomplete, each result labelled as its model's admin says.

    A model admin with an ``autocomplete_label(obj)`` method names its results with
    it (people by their full names); others are named by ``str()``, as in Django.
    """

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class NewsroomAdminSite(admin.AdminSite):
    # On every page and the login page, instead of "Django administration".
    site_header = _("Newsroom")
    site_title = _("Newsroom")
    index_title = _("Workplace")
    # Django's navigation sidebar takes 276 px of every page, a fifth of a 1280 px screen,
    # to repeat the home page's four models: the story list needs that room for headlines.
    # The breadcrumbs and the home page lead everywhere it did.
    enable_nav_sidebar = False

    def autocomplete_view(self, request):
        return AutocompleteView.as_view(admin_site=self)(request)
