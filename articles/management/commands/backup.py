from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from newsroom import backups


class Command(BaseCommand):
    @property
    def help(self):
        # argparse needs a real string, not a lazy translation.
        return _(
            "Back up the database (pg_dump) and the uploaded media into one archive, "
            "with a manifest of their checksums and the applied migrations."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            metavar="FILE",
            help=_("Where to write the archive (default: backups/newsroom-<UTC time>.tar)."),
        )

    def handle(self, *args, output, verbosity, **options):
        try:
            summary = backups.create(output)
        except (backups.BackupError, OSError) as error:
            raise CommandError(error) from error
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Backed up %(database)s to %(archive)s: database dump of %(dump)s, "
                        "%(files)d media files (%(media)s), %(migrations)d migrations applied."
                    )
                    % {
                        "database": summary.database,
                        "archive": summary.archive,
                        "dump": megabytes(summary.dump_bytes),
                        "files": summary.media_files,
                        "media": megabytes(summary.media_bytes),
                        "migrations": summary.migrations,
                    }
                )
            )


def megabytes(size):
    return _("%(size)s MB") % {"size": number_format(round(size / 1_000_000, 1), 1)}
