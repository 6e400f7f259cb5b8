from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from articles.management.commands.backup import megabytes
from newsroom import backups


class Command(BaseCommand):
    @property
    def help(self):
        # argparse needs a real string, not a lazy translation.
        return _(
            "Restore a backup made by the backup command into the configured database and "
            "media storage. The archive is checked against its manifest first; the database "
            "must be empty unless --force is given."
        )

    def add_arguments(self, parser):
        parser.add_argument("archive", metavar="FILE", help=_("The backup archive (.tar)."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Restore into a database that is not empty: what the backup holds replaces "
                "it, in one transaction."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the archive and the database, and restore nothing."),
        )

    def handle(self, *args, archive, force, dry_run, verbosity, **options):
        try:
            summary = backups.restore(archive, force=force, dry_run=dry_run)
        except (backups.BackupError, OSError) as error:
            raise CommandError(error) from error
        if summary.unknown_migrations:
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "The backup was made by a newer version of the code: this one does not "
                        "know its migrations %(migrations)s."
                    )
                    % {"migrations": ", ".join("/".join(m) for m in summary.unknown_migrations)}
                )
            )
        if verbosity < 1:
            return
        line = _(
            "%(archive)s: checksums verified; database dump of %(dump)s, %(files)d media "
            "files (%(media)s), %(migrations)d migrations applied."
        ) % {
            "archive": summary.archive,
            "dump": megabytes(summary.dump_bytes),
            "files": summary.media_files,
            "media": megabytes(summary.media_bytes),
            "migrations": summary.migrations,
        }
        if dry_run:
            self.stdout.write(line + " " + _("Dry run: nothing was restored."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                line + " " + _("Restored into %(database)s.") % {"database": summary.database}
            )
        )
        if summary.pending_migrations:
            self.stdout.write(
                _("%(count)d migrations of this code are newer than the backup: run migrate.")
                % {"count": len(summary.pending_migrations)}
            )
