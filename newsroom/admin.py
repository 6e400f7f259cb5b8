"""The newsroom's admin site: named for the newsroom in both languages.

Installed through ``newsroom.apps.AdminConfig`` in place of ``django.contrib.admin``,
so that ``admin.site`` and ``@admin.register`` are this site.
"""

from django.contrib import admin
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
]


class NewsroomAdminSite(admin.AdminSite):
    # On every page and the login page, instead of "Django administration".
    site_header = _("Newsroom")
    site_title = _("Newsroom")
    index_title = _("Workplace")
