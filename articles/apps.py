from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Newsroom")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The page cache's signal receivers; the stories' registration with django-reversion;
        # the database's system check (autovacuum).
        from articles import cache, maintenance, revisions  # noqa: F401
