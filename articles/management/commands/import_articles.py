from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from articles.importers import Outcome, StoryFileError, analyze_imported_tables, import_file


class Command(BaseCommand):
    @property
    def help(self):
        # argparse needs a real string, not a lazy translation.
        return " ".join(
            [
                _(
                    "Import stories from UTF-8 text files: an optional tag block, an optional "
                    "“# ” title line, then paragraphs separated by blank lines."
                ),
                _(
                    "A file imported again updates the story imported from a file of the same "
                    "name in the same language; stories written in the admin are never changed."
                ),
            ]
        )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help=_("Text files to import."))
        parser.add_argument(
            "--language",
            required=True,
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("The language the files are written in."),
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help=_("Publish the stories. A file without a title line stays a draft."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Report what would be imported without writing anything."),
        )

    def handle(self, *args, files, language, publish, dry_run, verbosity, **options):
        labels = {
            Outcome.CREATED: pgettext("import outcome", "created"),
            Outcome.UPDATED: pgettext("import outcome", "updated"),
            Outcome.UNCHANGED: pgettext("import outcome", "unchanged"),
        }
        styles = {
            Outcome.CREATED: self.style.SUCCESS,
            Outcome.UPDATED: self.style.SUCCESS,
            Outcome.UNCHANGED: str,
        }
        counts = dict.fromkeys(Outcome, 0)
        failed = 0
        for path in files:
            try:
                result = import_file(path, language, publish=publish, dry_run=dry_run)
            except StoryFileError as error:
                failed += 1
                self.stderr.write(
                    _("failed: %(path)s: %(reason)s") % {"path": path, "reason": error}
                )
                continue
            except DatabaseError as error:
                # The file's transaction is rolled back: none of it is written.
                failed += 1
                self.stderr.write(
                    _("failed: %(path)s: database error, nothing of it was written: %(reason)s")
                    % {"path": path, "reason": str(error).strip()}
                )
                continue
            counts[result.outcome] += 1
            if verbosity >= 1:
                line = _("%(outcome)s: %(path)s — %(title)s") % {
                    "outcome": labels[result.outcome],
                    "path": path,
                    "title": result.title,
                }
                line += self.title_note(result, publish)
                self.stdout.write(styles[result.outcome](line))

        if not dry_run and (counts[Outcome.CREATED] or counts[Outcome.UPDATED]):
            analyze_imported_tables()
        if verbosity >= 1:
            summary = _(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(failed)d failed."
            ) % {
                "created": counts[Outcome.CREATED],
                "updated": counts[Outcome.UPDATED],
                "unchanged": counts[Outcome.UNCHANGED],
                "failed": failed,
            }
            if dry_run:
                summary += " " + _("Dry run: nothing was written.")
            self.stdout.write(summary)
        if failed:
            raise CommandError(
                _("%(failed)d of %(total)d files could not be imported.")
                % {"failed": failed, "total": len(files)}
            )

    def title_note(self, result, publish):
        if not result.title_derived:
            return ""
        not_published = publish and not result.published
        if result.title_kept and not_published:
            note = _("(no title line: the story’s title is kept, not published)")
        elif result.title_kept:
            note = _("(no title line: the story’s title is kept)")
        elif not_published:
            note = _("(no title line: title taken from the body, not published)")
        else:
            note = _("(no title line: title taken from the body)")
        return " " + note
