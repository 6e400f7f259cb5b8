"""`make bench`: the public pages against their textbook versions, and under load.

    .venv/bin/python -m bench.run --scale 100000

1. The database ``newsroom_bench_<scale>``: on the DATABASE_URL server when it is
   set (created there if missing), else on the embedded server (.pgdata/), kept
   running by this process while the benchmark's gunicorn uses it. Migrated,
   filled by ``generate_corpus --articles <scale>`` (quick when the corpus is
   already there), ANALYZEd.
2. Each public page type, the site's and the textbook one (bench/naive.py) on the
   same data: server time (median, 95th percentile), queries per request, and
   whether plain EXPLAIN of the site's queries scans a big table. Then the admin
   pages a newsroom uses every day (bench/admin.py), signed in as an editor, the same way.
3. gunicorn as `make serve` starts it, loaded by bench/load.py from a second
   process, with the page cache off and on.
4. Markdown tables on stdout and in bench/RESULTS.md, and the issue's targets.

Exits non-zero when the harness fails, not when a target is missed.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
# Keeps the embedded server running (pgserver stops it when its last user exits).
_embedded_server = None


def log(message):
    print(message, file=sys.stderr, flush=True)


def create_database(admin_url, name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_database_url(scale):
    """The URL of the benchmark's own database for ``scale``, created if missing."""
    global _embedded_server
    name = f"newsroom_bench_{scale}"
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        create_database(parts._replace(path="/postgres").geturl(), name)
        return parts._replace(path=f"/{name}").geturl()
    from newsroom.embedded_postgres import server

    # Repaired first if a killed run left its state behind (see newsroom/embedded_postgres.py).
    _embedded_server = server(
        Path(os.environ.get("DJANGO_EMBEDDED_DATA_DIR") or BASE_DIR / ".pgdata")
    )
    create_database(_embedded_server.get_uri("postgres"), name)
    return _embedded_server.get_uri(name)


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    # The measuring process loads development settings (no static manifest, no
    # production checks); bench_settings() turns DEBUG off around the requests.
    os.environ["DJANGO_DEBUG"] = "true"
    # Connections are reused between requests, as in production.
    os.environ["DATABASE_POOL"] = "true"
    import django

    django.setup()


def prepare_corpus(scale):
    from django.core.management import call_command, get_commands
    from django.db import connection

    log("migrating")
    call_command("migrate", interactive=False, verbosity=0)
    if "generate_corpus" not in get_commands():
        raise RuntimeError("the generate_corpus command is missing (articles/management)")
    log(f"generate_corpus --articles {scale}")
    started = time.monotonic()
    call_command("generate_corpus", f"--articles={scale}")
    log(f"corpus ready in {time.monotonic() - started:.0f} s; ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def machine():
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    memory = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "postgresql": postgresql,
        # Other work on the machine skews every number: say how busy it was.
        "load_average": os.getloadavg()[0],
    }


def corpus_size():
    from articles.models import Article, Tag, TaggedArticle

    return {
        "stories": Article.objects.count(),
        "tags": Tag.objects.count(),
        "links": TaggedArticle.objects.count(),
    }


def measure_pages(pages, *, repeat, budget):
    from django.test import Client

    from bench.measure import NAIVE_CAP_SECONDS, measure, measure_once, sequential_scans
    from bench.report import Row

    client = Client()
    rows = []
    for page in pages:
        site = measure(client, page.url, repeat=repeat, budget=budget)
        scans = sequential_scans(site.sql)
        if page.slow_naive:
            naive = measure_once(client, page.naive_url)
        else:
            naive = measure(client, page.naive_url, repeat=repeat, budget=budget)
        note = page.note
        if naive.capped:
            note = f"{note}; " if note else ""
            note += f"textbook page stopped at {NAIVE_CAP_SECONDS} s: at least that"
        row = Row(
            key=page.key,
            name=page.name,
            url=page.url,
            naive_url=page.naive_url,
            note=note,
            median_ms=site.median_ms,
            p95_ms=site.p95_ms,
            queries=site.queries,
            scans=scans,
            naive_median_ms=naive.median_ms,
            naive_p95_ms=naive.p95_ms,
            naive_queries=naive.queries,
            samples=len(site.samples),
            naive_samples=len(naive.samples),
        )
        log(
            f"{page.name}: {row.median_ms:.1f} ms, {row.queries} queries; "
            f"naive {row.naive_median_ms:.1f} ms, {row.naive_queries} queries"
        )
        rows.append(row)
    return rows


def measure_admin(args):
    from django.test import Client

    from bench.admin import bench_editor, choose_admin_pages, measure_admin_pages

    client = Client()
    client.force_login(bench_editor())
    pages = choose_admin_pages(args.language)
    return measure_admin_pages(client, pages, repeat=args.repeat, budget=args.budget, log=log)


def measure_load(database_url, urls, *, seconds, clients):
    from bench import serve

    results = {}
    redis = serve.redis_answers()
    with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as tmp:
        env = serve.production_env(database_url, Path(tmp) / "static")
        log("collectstatic")
        serve.collectstatic(env)
        runs = [
            ("page cache off", {"PAGE_CACHE_SECONDS": "0"}),
            (
                "page cache on (Redis)" if redis else "page cache on (local memory)",
                {"PAGE_CACHE_SECONDS": "600"} | ({"REDIS_URL": serve.REDIS_URL} if redis else {}),
            ),
        ]
        for label, extra in runs:
            log(f"load, {label}: {clients} clients for {seconds:g} s")
            with serve.gunicorn(env | extra, Path(tmp) / "gunicorn.log") as base:
                result = serve.load([base + url for url in urls], duration=seconds, clients=clients)
            log(
                f"  {result['requests_per_second']:.0f} requests/s, {result['errors']} errors"
                + "".join(f"\n  {example}" for example in result["error_examples"])
            )
            if extra["PAGE_CACHE_SECONDS"] != "0" and not result["cache_hits"]:
                log("  no response came from the page cache (no X-Page-Cache: hit)")
            results[label] = result
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the public pages (make bench).")
    parser.add_argument("--scale", type=int, default=100_000, help="number of stories")
    parser.add_argument("--language", default="fr", help="language of the pages measured")
    parser.add_argument("--repeat", type=int, default=25, help="timed requests per page")
    parser.add_argument(
        "--budget", type=float, default=10, help="seconds of timed requests per page, at most"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=15, help="seconds of each load run; 0 skips load"
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients under load")
    parser.add_argument(
        "--no-write", action="store_true", help="print the results without writing RESULTS.md"
    )
    parser.add_argument("--no-admin", action="store_true", help="leave out the admin pages")
    args = parser.parse_args(argv)

    database_url = bench_database_url(args.scale)
    setup_django(database_url)
    prepare_corpus(args.scale)

    from django.conf import settings

    from bench import report
    from bench.measure import bench_settings, choose_pages

    with bench_settings():
        pages = choose_pages(args.language)
        rows = measure_pages(pages, repeat=args.repeat, budget=args.budget)
        admin_rows = [] if args.no_admin else measure_admin(args)
    run = report.Run(
        scale=args.scale,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        corpus=corpus_size(),
        language=args.language,
        per_page=settings.ARTICLES_PER_PAGE,
        rows=rows,
        load_seconds=args.load_seconds,
        clients=args.clients,
        admin_rows=admin_rows,
    )
    if args.load_seconds > 0:
        from bench.serve import workers

        run.workers = workers()
        run.load = measure_load(
            database_url,
            [page.url for page in pages if page.load],
            seconds=args.load_seconds,
            clients=args.clients,
        )
    checks = report.targets(run, report.reference_medians(args.scale))
    text = report.section(run, checks)
    print(text)
    if not args.no_write:
        report.write_results(run, text)
        log(f"written to {report.RESULTS.relative_to(BASE_DIR)}")
    missed = [text for met, text, _details in checks if met is False]
    if missed:
        print("MISSED TARGETS:\n" + "\n".join(f"  - {text}" for text in missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
