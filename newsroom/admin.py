"""The newsroom's admin site: named for the newsroom in both languages.

Installed through ``newsroom.apps.AdminConfig`` in place of ``django.contrib.admin``,
so that ``admin.site`` and ``@admin.register`` are this site.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class NewsroomAdminSite(admin.AdminSite):
    # On every page and the login page, instead of "Django administration".
    site_header = _("Newsroom")
    site_title = _("Newsroom")
    index_title = _("Workplace")
