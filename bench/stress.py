"""`make stress`: the site under load while an editor works and its services fail.

    .venv/bin/python -m bench.stress --clients 64 --seconds 60

On a PostgreSQL cluster and a Redis of its own (initdb and redis-server in a
temporary folder, on free loopback ports, so no other database is touched), with
the demo newsroom and a few drafts, the site is served by gunicorn as `make serve`
serves it (page cache on, in Redis). Then, for ``--seconds``:

- ``--clients`` readers request a mix of public pages (the links of both home
  pages: stories, tags, feeds, search), each on its own connection;
- an editor signed in to the admin edits published stories' titles (the change
  form as the browser sends it) and publishes drafts (the changelist action), and
  after each acknowledged change reads the story as a reader would;
- at a quarter of the run PostgreSQL is stopped and started again (``--outage``
  seconds); at 60 % Redis is shut down (saving its snapshot, as Debian's does) and
  started again from it once the editor has had two changes acknowledged meanwhile.

Afterwards every acknowledged edit and publication is looked for in the database
and on the public page. The report (Markdown on stdout, bench/STRESS.md) counts
requests by phase and kind, the recovery time after each fault (from the service's
return to the last failed request), and edits acknowledged and found. Errors
allowed: 503 with Retry-After while PostgreSQL is away, nothing else, ever.
"""

import argparse
import contextlib
import html.parser
import http.client
import http.cookiejar
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import DatabaseError

from bench import serve

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "STRESS.md"
EDITOR = ("editor", "newsroom-demo")  # the demo newsroom's editor (articles/demo.py)
DRAFTS = 40
# Redis stays away until the editor has had this many changes acknowledged (30 s at most).
EDITS_WHILE_REDIS_AWAY = 2
# What a page that leaks an error would show.
LEAKS = (b"Traceback", b"Exception Value", b'File "/')


def log(message):
    print(message, file=sys.stderr, flush=True)


# The services, our own.


def postgres_binaries():
    """The folder of initdb and pg_ctl: on PATH, else Debian's newest."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not candidates:
        raise SystemExit(
            "make stress needs PostgreSQL's server programs (initdb, pg_ctl): "
            "apt-get install postgresql, or put them on PATH"
        )
    return candidates[-1].parent


def as_postgres(command, **kwargs):
    """Run a PostgreSQL program; as root, under the postgres account it insists on."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *map(str, command)]
    return subprocess.run(command, check=True, capture_output=True, timeout=120, **kwargs)  # noqa: S603


class Postgres:
    """A throw-away cluster: start(), stop(), restart()."""

    def __init__(self, base):
        self.bin = postgres_binaries()
        self.data = base / "pgdata"
        self.port = serve.free_port()
        self.base = base
        as_postgres([self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust"])
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/newsroom"

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base}"
        as_postgres(
            [self.bin / "pg_ctl", "-D", self.data, "-o", options]
            + ["-l", self.base / "postgres.log", "-w", "start"]
        )

    def stop(self, mode="fast"):
        as_postgres([self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def create_database(self):
        import psycopg

        admin = self.url.replace("/newsroom", "/postgres")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE newsroom")


class Redis:
    """A Redis that keeps its snapshot in ``base`` across a shutdown and a start."""

    def __init__(self, base):
        self.program = shutil.which("redis-server")
        if not self.program:
            raise SystemExit("make stress needs redis-server: apt-get install redis-server")
        self.base = base
        self.port = serve.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        command = [self.program, "--port", str(self.port), "--bind", "127.0.0.1"]
        # No periodic snapshots; SHUTDOWN SAVE writes one, loaded by the next start.
        command += ["--dir", str(self.base), "--save", "", "--appendonly", "no"]
        with open(self.base / "redis.log", "ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 30
        while not serve.redis_answers(self.url):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server did not start:\n{serve.log_tail(self.base / 'redis.log')}"
                )
            time.sleep(0.05)

    def stop(self):
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 2) as sock,
        ):
            sock.sendall(b"SHUTDOWN SAVE\r\n")
            sock.recv(16)
        self.process.wait(30)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# The newsroom on them.


def prepare(database_url):
    """Migrate, load the demo newsroom and DRAFTS drafts by its editor, with Django in this
    process (it checks the results afterwards)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from articles.models import Article

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    editor = get_user_model().objects.get(username=EDITOR[0])
    for number in range(DRAFTS):
        story = Article.objects.create(
            title_fr=f"Brouillon de l’essai de charge {number}",
            standfirst_fr="Un article écrit pour l’essai de charge.",
            body_fr="<p>Il attend d’être publié pendant l’essai.</p>",
            status=Article.Status.DRAFT,
        )
        story.authors.add(editor)


def address(name, language="fr", **kwargs):
    """The site's address of the URL ``name`` in ``language`` (Django is set up by prepare())."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def reader_paths(base):
    """The public pages linked from both home pages (stories, tags, feeds, search)."""
    homes = [address("articles:article-list", code) for code in ("fr", "en")]
    paths = set(homes)
    for home in homes:
        with urllib.request.urlopen(base + home, timeout=30) as response:  # noqa: S310 (loopback)
            page = response.read().decode()
        for href in re.findall(r'href="(/(?:fr|en)/[^"#]*)"', page):
            if "/admin/" not in href and "/static/" not in href:
                paths.add(html.unescape(href))
    paths.update(address("articles:search", code) + "?q=europe" for code in ("fr", "en"))
    return sorted(paths)


# Readers.


@dataclass
class Answer:
    at: float  # seconds since the start of the run, when the request began
    kind: str  # "ok", "503", "5xx", "4xx", "leak", "connection"
    path: str
    detail: str = ""


def classify(status, headers, body):
    if any(leak in body for leak in LEAKS):
        return "leak", f"HTTP {status} shows a traceback"
    if status == 503:
        if not headers.get("Retry-After"):
            return "5xx", "503 without Retry-After"
        return "503", ""
    if status >= 500:
        return "5xx", f"HTTP {status}"
    if status >= 400:
        return "4xx", f"HTTP {status}"
    return "ok", ""


class Reader(threading.Thread):
    def __init__(self, host, port, paths, first, started, stop):
        super().__init__(daemon=True)
        self.host, self.port, self.paths, self.number = host, port, paths, first
        self.started, self.stop = started, stop
        self.answers = []

    def run(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        while not self.stop.is_set():
            path = self.paths[self.number % len(self.paths)]
            self.number += 1
            at = time.monotonic() - self.started
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                kind, detail = classify(response.status, response.headers, body)
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                kind, detail = "connection", f"{type(error).__name__}: {error}"
                connection.close()
                time.sleep(0.05)
            self.answers.append(Answer(at, kind, path, detail))
        connection.close()


# The editor.


class FormFields(html.parser.HTMLParser):
    """The fields a browser would send from the form ``form_id``: (name, value) pairs."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self.textarea = self.select = None
        self.options = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            # The browser drops the newline right after <textarea>.
            name, value = self.textarea
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self.textarea = None
        elif tag == "select" and self.select:
            self.fields.extend((self.select, value) for value, chosen in self.options if chosen)
            self.select = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Change:
    story: int
    kind: str  # "edit" or "publish"
    title: str
    at: float
    public_path: str = ""
    seen: bool = False  # on the public page at once, by a reader without a session
    during: str = ""  # the fault at the time, if any


class Editor(threading.Thread):
    """Signs in, then edits and publishes until stopped; keeps what the site acknowledged."""

    def __init__(self, base, started, stop, phase):
        super().__init__(daemon=True)
        self.base, self.started, self.stop, self.phase = base, started, stop, phase
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )
        self.changes, self.failures, self.refused = [], 0, []
        self.count = 0

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 (loopback)
        if body is not None:
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def sign_in(self):
        path = address("admin:login")
        status, _, page = self.request(path)
        if status != 200:
            return False
        parser = FormFields("login-form")
        parser.feed(page)
        fields = dict(parser.fields)
        fields.update(username=EDITOR[0], password=EDITOR[1], next=address("admin:index"))
        status, headers, _ = self.request(path, fields)
        return status == 302 and "/login/" not in headers.get("Location", "")

    def story_ids(self, status):
        """The editor's work, from the database: drafts, or the stories readers can read
        in French now (not those scheduled for later, whose edits readers cannot see yet)."""
        from django.db import close_old_connections

        from articles.models import Article

        close_old_connections()
        stories = Article.objects.filter(status=status)
        if status == Article.Status.PUBLISHED:
            stories = Article.objects.readable("fr")
        return list(stories.order_by("pk").values_list("pk", flat=True))

    def edit(self, pk):
        path = address("admin:articles_article_change", object_id=pk)
        code, _, page = self.request(path)
        if code == 302:
            raise PermissionError("signed out")
        if code != 200:
            raise OSError(f"change form: HTTP {code}")
        parser = FormFields("article_form")
        parser.feed(page)
        self.count += 1
        title = f"Titre modifié pendant l’essai, version {self.count}"
        fields = [(n, title if n == "title_fr" else v) for n, v in parser.fields]
        fields.append(("_continue", "1"))
        code, headers, page = self.request(path, fields)
        if code >= 500:
            raise OSError(f"edit of {pk}: HTTP {code}")  # the site briefly away: not acknowledged
        if code != 302:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
            raise ValueError(f"edit of {pk} refused (HTTP {code}): {errors[:2]}")
        return title, self.public_path(pk)

    def publish(self, pk):
        path = address("admin:articles_article_changelist")
        code, _, page = self.request(path + "?status__exact=draft")
        if code == 302:
            raise PermissionError("signed out")
        if code != 200:
            raise OSError(f"changelist: HTTP {code}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        data = {"csrfmiddlewaretoken": token, "action": "publish", "_selected_action": pk}
        code, _, _ = self.request(path, data)
        if code != 302:
            raise OSError(f"publish of {pk}: HTTP {code}")
        from articles.models import Article

        return Article.objects.get(pk=pk).title_fr, self.public_path(pk)

    def public_path(self, pk):
        """The story's French address, from the database as the site builds it."""
        from django.db import close_old_connections

        from articles.models import Article

        close_old_connections()
        return urllib.parse.urlsplit(Article.objects.get(pk=pk).url_for("fr")).path

    def run(self):
        signed_in = False
        drafts = None
        while not self.stop.is_set():
            try:
                if not signed_in:
                    signed_in = self.sign_in()
                    if not signed_in:
                        raise OSError("sign-in failed")
                    drafts = None
                if drafts is None:
                    drafts = self.story_ids("draft")
                published = self.story_ids("published")
                during = self.phase()
                if self.count % 2 and drafts:
                    pk = drafts.pop()
                    title, public = self.publish(pk)
                    kind = "publish"
                else:
                    pk = published[self.count % len(published)]
                    title, public = self.edit(pk)
                    kind = "edit"
                change = Change(
                    pk, kind, title, time.monotonic() - self.started, public, during=during
                )
                change.seen = read_as_reader(self.base, public, title)
                self.changes.append(change)
                if kind == "publish":
                    self.count += 1
            except PermissionError:
                signed_in = False
            except ValueError as error:
                self.refused.append(str(error))
                time.sleep(0.5)
            except (OSError, http.client.HTTPException, TypeError, IndexError, DatabaseError):
                # The site is briefly away (503) or the request failed: not acknowledged.
                self.failures += 1
                time.sleep(0.3)


def reader_text(page):
    """The page's text as a reader reads it: entities decoded, typographic spaces plain."""
    return re.sub(r"[\u00a0\u202f\u2009]", " ", html.unescape(page))


def read_as_reader(base, path, title):
    """Whether a reader (no cookies, so through the page cache) sees ``title`` at ``path``."""
    if not path:
        return False
    for _attempt in range(20):
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
                text = reader_text(response.read().decode())
                return reader_text(title) in text
        except urllib.error.HTTPError as error:
            if error.code != 503:
                return False
        except OSError:
            pass
        time.sleep(0.25)  # a fault right now: read again once it is over
    return False


# The run.


@dataclass
class Fault:
    name: str
    begin: float = 0.0  # the service goes away
    back: float = 0.0  # it answers again
    stale: list = field(default_factory=list)


def run(*, clients=64, seconds=60.0, outage=4.0, log=log):
    base_dir = Path(tempfile.mkdtemp(prefix="newsroom-stress-"))
    if os.geteuid() == 0:
        shutil.chown(base_dir, "postgres")
    pg_dir = base_dir / "pg"
    pg_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(pg_dir, "postgres")
    postgres = Postgres(pg_dir)
    redis = Redis(base_dir)
    try:
        postgres.start()
        postgres.create_database()
        redis.start()
        log(f"PostgreSQL on port {postgres.port}, Redis on {redis.port}; preparing the newsroom")
        prepare(postgres.url)
        env = serve.production_env(postgres.url, base_dir / "static")
        env.update(REDIS_URL=redis.url, PAGE_CACHE_SECONDS="600")
        serve.collectstatic(env)
        with serve.gunicorn(env, base_dir / "gunicorn.log") as base:
            return load_with_faults(base, postgres, redis, clients, seconds, outage, log)
    finally:
        redis.kill()
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres.stop("immediate")
        shutil.rmtree(base_dir, ignore_errors=True)


def load_with_faults(base, postgres, redis, clients, seconds, outage, log):
    paths = reader_paths(base)
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    started = time.monotonic()
    stop = threading.Event()
    faults = {"postgres": Fault("PostgreSQL restarted"), "redis": Fault("Redis shut down")}
    current = {"fault": ""}
    readers = [Reader(host, port, paths, n, started, stop) for n in range(clients)]
    editor = Editor(base, started, stop, lambda: current["fault"])
    log(f"{clients} readers on {len(paths)} pages and an editor, for {seconds:g} s")
    for thread in [*readers, editor]:
        thread.start()

    def at(fraction):
        time.sleep(max(0, started + seconds * fraction - time.monotonic()))

    def now():
        return time.monotonic() - started

    at(0.25)
    fault = faults["postgres"]
    current["fault"] = "postgres"
    fault.begin = now()
    log(f"{fault.begin:.1f} s: PostgreSQL stopped")
    postgres.stop()
    time.sleep(outage)
    postgres.start()
    fault.back = now()
    current["fault"] = ""
    log(f"{fault.back:.1f} s: PostgreSQL started")

    at(0.6)
    fault = faults["redis"]
    fault.begin = now()
    current["fault"] = "redis"
    edits_before = len(editor.changes)
    log(f"{fault.begin:.1f} s: Redis shut down")
    redis.stop()
    time.sleep(outage * 2)
    # Away until the editor has had changes acknowledged meanwhile (what could go stale).
    deadline = time.monotonic() + 30
    while len(editor.changes) - edits_before < EDITS_WHILE_REDIS_AWAY:
        if time.monotonic() > deadline or not editor.is_alive():
            break
        time.sleep(0.1)
    redis.start()
    fault.back = now()
    current["fault"] = ""
    log(f"{fault.back:.1f} s: Redis started from its snapshot")
    # What was changed while it was away, read at once as readers read it.
    for change in editor.changes[edits_before:]:
        latest = [c for c in editor.changes if c.story == change.story][-1]
        if not read_as_reader(base, latest.public_path, latest.title):
            fault.stale.append(latest.public_path)

    at(1.0)
    stop.set()
    for thread in [*readers, editor]:
        thread.join(60)
    return report(readers, editor, faults, base, seconds)


def phase_of(at, faults):
    for key, fault in faults.items():
        if fault.begin <= at < fault.back:
            return key
    return ""


def recovery(answers, fault):
    """Seconds from the service's return to the last failed request it caused (0: none)."""
    failed = [a.at for a in answers if a.kind != "ok" and a.at >= fault.begin]
    later = [at for at in failed if at >= fault.back]
    return max(later) - fault.back if later else 0.0


def report(readers, editor, faults, base, seconds):
    from django.db import close_old_connections

    from articles.models import Article

    close_old_connections()
    answers = sorted((a for r in readers for a in r.answers), key=lambda a: a.at)
    by_phase = {}
    for answer in answers:
        key = phase_of(answer.at, faults)
        by_phase.setdefault(key, {}).setdefault(answer.kind, 0)
        by_phase[key][answer.kind] += 1
    # Errors that are not the database's brief absence (503 during it and just after).
    pg = faults["postgres"]
    window_end = pg.back + max(recovery(answers, pg), 0) + 0.001
    unexpected = [
        a
        for a in answers
        if a.kind != "ok" and not (a.kind == "503" and pg.begin - 1 <= a.at <= window_end)
    ]
    latest = {}
    for change in editor.changes:
        latest[change.story] = change
    stories = Article.objects.in_bulk(list(latest))
    missing = [
        c
        for pk, c in latest.items()
        if pk not in stories
        or stories[pk].title_fr != c.title
        or stories[pk].status != Article.Status.PUBLISHED
    ]
    not_public = [c for c in latest.values() if not read_as_reader(base, c.public_path, c.title)]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "clients": len(readers),
        "seconds": seconds,
        "requests": len(answers),
        "by_phase": by_phase,
        "unexpected": len(unexpected),
        "unexpected_examples": sorted({f"{a.path}: {a.kind} {a.detail}" for a in unexpected})[:5],
        "faults": {
            key: {
                "name": f.name,
                "begin": f.begin,
                "back": f.back,
                "recovery_seconds": recovery(answers, f),
                "stale_after_return": f.stale,
            }
            for key, f in faults.items()
        },
        "edits": {
            "acknowledged": len(editor.changes),
            "during_faults": sum(bool(c.during) for c in editor.changes),
            "not_acknowledged": editor.failures,
            "refused": editor.refused[:5],
            "stories": len(latest),
            "found": len(latest) - len(missing),
            "seen_at_once": sum(c.seen for c in editor.changes),
            "public_afterwards": len(latest) - len(not_public),
            "missing_examples": [f"{c.kind} of {c.story}" for c in missing[:5]],
            "not_public_examples": [
                f"{c.kind} of {c.story} at {c.at:.1f} s ({c.during or 'no fault'}): "
                f"{c.public_path or 'no address'}"
                for c in not_public[:5]
            ],
        },
    }


def markdown(result):
    lines = [
        f"### Stress run, {result['date']}",
        "",
        f"{result['clients']} readers and one editor for {result['seconds']:g} s; "
        f"{result['requests']} reader requests.",
        "",
        "| phase | ok | 503 (Retry-After) | other errors |",
        "|---|---|---|---|",
    ]
    names = {"": "normal", "postgres": "PostgreSQL away", "redis": "Redis away"}
    for key in ("", "postgres", "redis"):
        counts = result["by_phase"].get(key, {})
        other = sum(n for kind, n in counts.items() if kind not in ("ok", "503"))
        lines.append(f"| {names[key]} | {counts.get('ok', 0)} | {counts.get('503', 0)} | {other} |")
    lines += ["", "| fault | away for | recovery after return | stale pages after return |"]
    lines.append("|---|---|---|---|")
    for fault in result["faults"].values():
        lines.append(
            f"| {fault['name']} | {fault['back'] - fault['begin']:.1f} s | "
            f"{fault['recovery_seconds']:.1f} s | {len(fault['stale_after_return'])} |"
        )
    edits = result["edits"]
    lines += [
        "",
        f"Edits and publications acknowledged: {edits['acknowledged']} "
        f"({edits['during_faults']} during a fault; {edits['not_acknowledged']} attempts "
        f"not acknowledged); on {edits['stories']} stories, found in the database: "
        f"{edits['found']}, on the public page at once: {edits['seen_at_once']}, "
        f"afterwards: {edits['public_afterwards']}.",
        f"Errors other than 503 during the database's absence: {result['unexpected']}.",
    ]
    return "\n".join(lines) + "\n"


def problems(result):
    """What the run shows wrong, one line each (empty: the site held)."""
    found = []
    if result["unexpected"]:
        found.append(f"{result['unexpected']} unexpected errors: {result['unexpected_examples']}")
    for fault in result["faults"].values():
        if fault["stale_after_return"]:
            found.append(
                f"{fault['name']}: stale pages after its return: {fault['stale_after_return']}"
            )
    edits = result["edits"]
    if not edits["acknowledged"]:
        found.append("the editor had no change acknowledged")
    if edits["found"] != edits["stories"]:
        found.append(f"acknowledged changes missing: {edits['missing_examples']}")
    if edits["public_afterwards"] != edits["stories"]:
        found.append(f"acknowledged changes not public afterwards: {edits['not_public_examples']}")
    if edits["refused"]:
        found.append(f"the admin refused the editor's forms: {edits['refused']}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load, an editor and faults (make stress).")
    parser.add_argument("--clients", type=int, default=64, help="concurrent readers")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run")
    parser.add_argument("--outage", type=float, default=4, help="seconds PostgreSQL is away")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/STRESS.md")
    args = parser.parse_args(argv)
    result = run(clients=args.clients, seconds=args.seconds, outage=args.outage)
    text = markdown(result)
    print(json.dumps(result, indent=2) if args.json else text)
    if not args.no_write:
        RESULTS.write_text("# `make stress`: the latest run\n\n" + text)
    found = problems(result)
    for line in found:
        log(f"PROBLEM: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
