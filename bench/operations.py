"""`make bench-ops`: the costliest tag page around a bulk retag of its links, with no VACUUM.

    .venv/bin/python -m bench.operations --scale 1000000

On the database of `make bench` (``newsroom_bench_<scale>``, found, migrated and filled by
bench/run.py's functions):

1. The tag with the most stories (the tag page of bench/measure.py's ``choose_pages``) is
   timed with bench/measure.py's ``measure``.
2. Every one of its links is moved to a fresh tag by the product's bulk retag
   (``TaggedArticleQuerySet.move_to``, what a tag merge runs), which analyses the tables it
   changed once it commits (articles/maintenance.py). The fresh tag's page, the same
   stories, is timed: nobody vacuumed, autovacuum may or may not have come by.
3. The links are moved back the same way and the fresh tag deleted: the corpus is as it was
   (the same links, counts and pairs; only dead rows are left, for autovacuum). The tag's
   page is timed again.
4. Measured, the tables it changed are vacuumed (``vacuum_after``), for `make bench`.

Prints a Markdown table: per step, the page's median and 95th percentile, and the links'
table's dead rows, rows changed since its last ANALYZE, and its last ANALYZE and VACUUM
(manual or automatic). A run killed halfway is repaired by the next: the fresh tag's name
says which tag its links came from.
"""

import argparse
import sys
import time
from dataclasses import dataclass

from bench.run import bench_database_url, log, prepare_corpus, setup_django

# The fresh tag's name, which says where its links belong.
TEMPORARY_NAME = "bench-operations {pk}"


@dataclass
class Step:
    name: str
    url: str
    median_ms: float
    p95_ms: float
    links: int  # links of the measured tag
    dead_rows: int
    changed_since_analyze: int
    last_analyze: object
    last_vacuum: object


def link_table_stats():
    """The links' table as PostgreSQL's statistics see it now (this connection's counts
    sent first: they are sent at most once a second otherwise)."""
    from django.db import connection

    from articles.models import TaggedArticle

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_dead_tup, n_mod_since_analyze,"
            " greatest(last_analyze, last_autoanalyze), greatest(last_vacuum, last_autovacuum)"
            " FROM pg_stat_user_tables WHERE relname = %s",
            [TaggedArticle._meta.db_table],
        )
        return cursor.fetchone()


def repair(log=log):
    """Move back the links a killed run left on its fresh tag, and delete that tag."""
    from articles.models import Tag, TaggedArticle

    prefix = TEMPORARY_NAME.format(pk="")
    for temporary in Tag.objects.filter(name_en__startswith=prefix):
        home = Tag.objects.filter(pk=temporary.name_en.removeprefix(prefix)).first()
        if home is None:
            raise RuntimeError(f"tag {temporary.name_en!r}: the tag its links came from is gone")
        log(f"an earlier run was interrupted: moving its links back to {home}")
        TaggedArticle.objects.filter(tag=temporary).move_to(home)
        temporary.delete()


def retag_and_back(language="fr", *, repeat=25, budget=10, log=log):
    """The steps (before, after the retag, after undoing it), each measured. Call inside
    bench.measure.bench_settings(), outside a transaction (the analyses run on commit)."""
    from django.test import Client

    from articles.models import Tag, TaggedArticle
    from bench.measure import biggest_tags, measure

    repair(log)
    biggest = biggest_tags(language, 1)
    if not biggest:
        raise RuntimeError(f"the corpus has no tag with stories in {language!r}")
    tag = biggest[0]
    client = Client()
    steps = []

    def step(name, measured):
        url = measured.url_for(language)
        timing = measure(client, url, repeat=repeat, budget=budget)
        steps.append(
            Step(
                name,
                url,
                timing.median_ms,
                timing.p95_ms,
                TaggedArticle.objects.filter(tag=measured).count(),
                *link_table_stats(),
            )
        )
        log(f"{name}: {timing.median_ms:.1f} ms")

    step("before", tag)
    label = TEMPORARY_NAME.format(pk=tag.pk)
    temporary = Tag.objects.create(name_fr=label, name_en=label)
    started = time.monotonic()
    moved = TaggedArticle.objects.filter(tag=tag).move_to(temporary)
    log(f"{len(moved)} links moved to a fresh tag in {time.monotonic() - started:.1f} s")
    step("after the bulk retag", temporary)
    started = time.monotonic()
    TaggedArticle.objects.filter(tag=temporary).move_to(tag)
    temporary.delete()
    log(f"moved back in {time.monotonic() - started:.1f} s")
    step("after moving them back", tag)
    return tag, steps


def vacuum_after(log=log):
    """VACUUM (ANALYZE) the tables the run changed, once it is measured: `make bench` reads
    the same database, and should not time this run's dead rows (a PostgreSQL server may
    have autovacuum off; the one of the machine this was written on does)."""
    from django.db import connection

    from articles.models import Tag, TaggedArticle, TagPair

    with connection.cursor() as cursor:
        for model in (TaggedArticle, TagPair, Tag):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    log("links, pairs and tags vacuumed for the next make bench")


def table(tag, steps):
    def when(moment):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"

    lines = [
        f"Tag page of “{tag}” (id {tag.pk}), its links moved to a fresh tag and back with "
        "TaggedArticleQuerySet.move_to; no manual VACUUM.",
        "",
        "| step | links | median ms | p95 ms | links' dead rows | changed since ANALYZE "
        "| last ANALYZE | last VACUUM |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in steps:
        lines.append(
            f"| {s.name} | {s.links:,} | {s.median_ms:.1f} | {s.p95_ms:.1f} | {s.dead_rows:,} "
            f"| {s.changed_since_analyze:,} | {when(s.last_analyze)} | {when(s.last_vacuum)} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The costliest tag page before and after a bulk retag (make bench-ops)."
    )
    parser.add_argument("--scale", type=int, default=100_000, help="number of stories")
    parser.add_argument("--language", default="fr", help="language of the page measured")
    parser.add_argument("--repeat", type=int, default=25, help="timed requests per step")
    parser.add_argument(
        "--budget", type=float, default=10, help="seconds of timed requests per step, at most"
    )
    args = parser.parse_args(argv)

    setup_django(bench_database_url(args.scale))
    prepare_corpus(args.scale)

    from bench.measure import bench_settings

    with bench_settings():
        tag, steps = retag_and_back(args.language, repeat=args.repeat, budget=args.budget)
    vacuum_after()
    print(f"## Bulk retag at {args.scale:,} stories\n")
    print(table(tag, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
