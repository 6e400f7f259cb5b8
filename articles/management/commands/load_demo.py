import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from articles.demo import (
    DEMO_EDITOR_PASSWORD,
    DEMO_ROLE_ACCOUNTS,
    DemoDataError,
    load_demo_newsroom,
)


class Command(BaseCommand):
    @property
    def help(self):
        # A property: argparse cannot format a lazy string.
        return _(
            "Loads the demo newsroom (stories, tags, journalists) when there are no stories yet, "
            "makes sure the demo editor account exists, and prints its login."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Say what would be loaded, and save nothing."),
        )

    def handle(self, *args, **options):
        try:
            demo = load_demo_newsroom(dry_run=options["dry_run"])
        except DemoDataError as error:
            raise CommandError(error) from error
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(self.summary(demo, options["dry_run"])))
        # Always printed, even with --verbosity 0: it is what `make run` is read for.
        self.stdout.write(_("Log in as the demo editor at %(url)s") % {"url": admin_url()})
        self.stdout.write(
            "  " + _("username: %(username)s") % {"username": demo.editor.get_username()}
        )
        self.stdout.write("  " + _("password: %(password)s") % {"password": DEMO_EDITOR_PASSWORD})
        self.stdout.write(
            _("Each role has its demo account, same password: %(accounts)s")
            % {
                "accounts": ", ".join(
                    f"{username} ({role})" for username, _f, _l, role in DEMO_ROLE_ACCOUNTS
                )
            }
        )
        if not demo.editor_password_is_demo:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "This account existed already with another password, "
                        "which was left unchanged."
                    )
                )
            )

    def summary(self, demo, dry_run):
        if demo.already_loaded:
            return _("The newsroom already has stories; the demo was not loaded.")
        counts = {
            "stories": ngettext("%(count)d story", "%(count)d stories", demo.stories)
            % {"count": demo.stories},
            "tags": ngettext("%(count)d tag", "%(count)d tags", demo.tags) % {"count": demo.tags},
        }
        if dry_run:
            return _("Dry run: %(stories)s and %(tags)s would be loaded.") % counts
        return _("Loaded %(stories)s and %(tags)s.") % counts


def admin_url():
    """The admin as `make run` serves it, in the newsroom's own language."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    with translation.override(settings.LANGUAGE_CODE):
        return f"http://{host}:{port}{reverse('admin:index')}"
