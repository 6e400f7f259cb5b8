from django.core.management.base import BaseCommand, CommandError

from bench.corpus import CorpusError, generate_corpus


class Command(BaseCommand):
    help = (
        "Fill the database with a deterministic corpus of stories, tags and journalists for "
        "benchmarks. The same arguments leave an existing corpus as it is; other arguments "
        "replace it. Other stories, tags and users are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, required=True, metavar="N", help="Number of stories."
        )
        parser.add_argument(
            "--tags",
            type=int,
            metavar="M",
            help="Number of tags (default: the larger of 50 and N / 25).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Seed of every random choice (default: 0)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say whether the corpus would be generated, replaced or left unchanged.",
        )

    def handle(self, *args, articles, tags, seed, dry_run, verbosity, **options):
        log = self.stdout.write if verbosity >= 2 else None
        try:
            result = generate_corpus(articles, tags, seed, dry_run=dry_run, log=log)
        except CorpusError as error:
            raise CommandError(error) from error
        if verbosity < 1:
            return
        described = f"{result.articles} stories, {result.tags} tags, seed {result.seed}"
        if result.unchanged:
            self.stdout.write(f"Corpus unchanged: {described}.")
        elif dry_run:
            action = "replace the previous corpus with" if result.replaced else "generate"
            self.stdout.write(f"Dry run: would {action} {described}; nothing was written.")
        else:
            action = "Replaced the previous corpus with" if result.replaced else "Generated"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{action} {described}: {result.links} tag links, "
                    f"{result.author_links} author links, {result.journalists} journalists "
                    f"in {result.seconds:.1f} seconds."
                )
            )
