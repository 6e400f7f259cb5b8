from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin app with the newsroom's own site (newsroom.admin)."""

    default_site = "newsroom.admin.NewsroomAdminSite"
