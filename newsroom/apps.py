from axes import apps as axes_apps
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _


class AdminConfig(DjangoAdminConfig):
    """Django's admin app with the newsroom's own site (newsroom.admin)."""

    default_site = "newsroom.admin.NewsroomAdminSite"


class AxesConfig(axes_apps.AppConfig):
    """django-axes, its admin section named for the newsroom's staff."""

    verbose_name = _("Sign-in attempts")
