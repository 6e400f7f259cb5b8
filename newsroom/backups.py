"""Backups of the whole site, the database and the uploaded media, in one tar archive.

The archive holds
- ``database.dump``: the configured database, by ``pg_dump --format=custom``;
- ``media/...``: every file of the default storage (MEDIA_ROOT or the S3 bucket), read
  through Django's storage API;
- ``manifest.json``, last: the size and sha256 of each of those files, the migrations
  applied to the database, and the versions of the server and of pg_dump.

A restore checks the whole archive against its manifest before it touches anything, and
refuses a database that holds any table unless forced. It restores the database in one
transaction (``pg_restore --single-transaction``), then writes the media files through the
storage API.

pg_dump and pg_restore must be of the server's major version or newer (and pg_restore of
the dump's): those of the pgserver wheel (PostgreSQL 16) when it is installed, else those of
/usr/lib/postgresql/*/bin, else those on the PATH.
"""

import hashlib
import importlib.util
import io
import json
import os
import posixpath
import re
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import psycopg
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections
from django.utils.translation import gettext as _
from psycopg.conninfo import make_conninfo

FORMAT = "newsroom-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass
class Summary:
    archive: Path
    database: str
    dump_bytes: int = 0
    media_files: int = 0
    media_bytes: int = 0
    migrations: int = 0
    # Restores: migrations of the archive this code does not know, and the reverse.
    unknown_migrations: list = field(default_factory=list)
    pending_migrations: list = field(default_factory=list)


def default_path(now=None):
    now = now or datetime.now(UTC)
    return Path("backups") / f"newsroom-{now:%Y%m%dT%H%M%SZ}.tar"


# The database


def _connection_settings(database):
    """libpq parameters (without the password) and the password of a Django settings dict."""
    options = {
        key: value
        for key, value in database.get("OPTIONS", {}).items()
        if key not in {"pool", "isolation_level", "assume_role", "server_side_binding"}
    }
    params = {"dbname": database["NAME"], **options}
    for key, name in [("user", "USER"), ("host", "HOST"), ("port", "PORT")]:
        if database.get(name):
            params[key] = str(database[name])
    return params, database.get("PASSWORD") or ""


def connect(database, **kwargs):
    params, password = _connection_settings(database)
    return psycopg.connect(make_conninfo(**params, password=password or None), **kwargs)


def _program_environment(database):
    env = dict(os.environ)
    _params, password = _connection_settings(database)
    if password:
        env["PGPASSWORD"] = password  # not on the command line, where `ps` shows it
    return env


def server_version(database):
    """(major, full version) of the server of ``database``."""
    with connect(database) as conn:
        number = int(conn.execute("SHOW server_version_num").fetchone()[0])
        full = conn.execute("SHOW server_version").fetchone()[0]
    return number // 10000, full


def applied_migrations(database):
    with connect(database) as conn:
        exists = conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]
        if not exists:
            return {}
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = {}
        for app, name in rows:
            migrations.setdefault(app, []).append(name)
    return migrations


def tables(database):
    """The tables, views and sequences of ``database`` outside PostgreSQL's own schemas."""
    with connect(database) as conn:
        rows = conn.execute(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
            ORDER BY 1
            """
        )
        return [name for (name,) in rows]


# PostgreSQL's programs


def _candidate_directories():
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.submodule_search_locations:
        yield Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    yield from sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if directory:
            yield Path(directory)


@cache
def _version(path):
    """The major version of a PostgreSQL program, or None if it does not run."""
    try:
        output = subprocess.run(  # noqa: S603 (a PostgreSQL program found by program())
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(found.group(1)) if found else None


def program(name, at_least):
    """The path and major version of the first ``name`` of major version ``at_least`` or newer."""
    seen = []
    for directory in _candidate_directories():
        path = directory / name
        if not (path.is_file() and os.access(path, os.X_OK)) or path in seen:
            continue
        seen.append(path)
        major = _version(path)
        if major is not None and major >= at_least:
            return path, major
    found = ", ".join(f"{path} ({_version(path) or '?'})" for path in seen) or _("none")
    raise BackupError(
        _(
            "%(program)s of PostgreSQL %(major)d or newer is needed and was not found "
            "(found: %(found)s). Install the pgserver package (make install does) or "
            "PostgreSQL's client programs of that version, e.g. "
            "apt-get install postgresql-client-%(major)d."
        )
        % {"program": name, "major": at_least, "found": found}
    )


def _run(command, database):
    finished = subprocess.run(  # noqa: S603 (pg_dump or pg_restore, no shell)
        [str(part) for part in command],
        env=_program_environment(database),
        capture_output=True,
        text=True,
    )
    if finished.returncode:
        raise BackupError(
            _("%(program)s failed (exit %(code)d): %(error)s")
            % {
                "program": Path(command[0]).name,
                "code": finished.returncode,
                "error": finished.stderr.strip() or finished.stdout.strip(),
            }
        )
    return finished


# Media


def media_names(storage, directory=""):
    """Every file name of ``storage``, folders walked in name order."""
    try:
        folders, files = storage.listdir(directory)
    except FileNotFoundError:  # MEDIA_ROOT not made yet: nothing was uploaded
        return
    for name in sorted(files):
        yield posixpath.join(directory, name)
    for folder in sorted(folders):
        yield from media_names(storage, posixpath.join(directory, folder))


class _Hashing(io.RawIOBase):
    """A file read through, its sha256 and size counted on the way (tarfile reads it)."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self):
        return True

    def read(self, size=-1):
        data = self.file.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add(tar, name, file, size):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o644
    hashing = _Hashing(file)
    tar.addfile(info, hashing)
    if hashing.size != size:
        raise BackupError(_("%(name)s changed while it was read.") % {"name": name})
    return {"sha256": hashing.sha256.hexdigest(), "size": size}


# Backup


def create(path=None, *, database=None, storage=None):
    """Write a backup of ``database`` and ``storage`` (default: the site's) to ``path``.

    The archive is written beside ``path`` and renamed into place when complete, so that
    ``path`` is never a half-written backup.
    """
    database = database or connections["default"].settings_dict
    storage = storage or default_storage
    path = Path(path or default_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    major, full_version = server_version(database)
    pg_dump, pg_dump_major = program("pg_dump", major)
    summary = Summary(archive=path, database=database["NAME"])
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as work:
        work = Path(work)
        # Read before the dump: a migration run meanwhile would be in the dump, not here.
        migrations = applied_migrations(database)
        dump = work / DUMP
        params, _password = _connection_settings(database)
        _run(
            [pg_dump, "--format=custom", "--file", dump, "--dbname", make_conninfo(**params)],
            database,
        )
        files = {}
        partial = work / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            with dump.open("rb") as file:
                files[DUMP] = _add(tar, DUMP, file, dump.stat().st_size)
            summary.dump_bytes = files[DUMP]["size"]
            # After the dump: a picture uploaded meanwhile may be here without its row.
            for name in media_names(storage):
                with storage.open(name, "rb") as file:
                    files[MEDIA + name] = _add(tar, MEDIA + name, file, storage.size(name))
                summary.media_files += 1
                summary.media_bytes += files[MEDIA + name]["size"]
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": database["NAME"],
                "server_version": full_version,
                "pg_dump_major": pg_dump_major,
                "migrations": migrations,
                "files": files,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            _add(tar, MANIFEST, io.BytesIO(data), len(data))
        with partial.open("rb+") as file:
            os.fsync(file.fileno())
        os.replace(partial, path)
    summary.migrations = sum(len(names) for names in migrations.values())
    return summary


# Restore


def _safe_media_name(name):
    relative = name.removeprefix(MEDIA)
    return (
        name.startswith(MEDIA)
        and relative
        and "\\" not in relative
        and "\x00" not in relative
        and not relative.startswith("/")
        and posixpath.normpath(relative) == relative
        and not relative.startswith("..")
    )


def read_manifest(tar, archive):
    try:
        manifest = json.load(tar.extractfile(tar.getmember(MANIFEST)))
    except (KeyError, ValueError, AttributeError, tarfile.TarError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(archive)s is not a newsroom backup: it has no readable manifest.")
            % {"archive": archive}
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _("%(archive)s is a backup of format %(version)s; this code reads format %(ours)d.")
            % {"archive": archive, "version": manifest.get("version"), "ours": FORMAT_VERSION}
        )
    return manifest


def verify(tar, manifest, archive, work):
    """Check every file of the archive against the manifest; extract the dump into ``work``.

    Raises BackupError naming the first file that is missing, unexpected, unsafe or altered.
    """
    expected = manifest.get("files") or {}
    seen = set()
    for member in tar.getmembers():
        name = member.name
        if name == MANIFEST:
            continue
        problem = None
        if name in seen:
            problem = _("%(name)s is in %(archive)s twice.")
        elif name not in expected:
            problem = _("%(name)s is in %(archive)s but not in its manifest.")
        elif not member.isreg() or not (name == DUMP or _safe_media_name(name)):
            problem = _("%(name)s in %(archive)s is not a file this restore may write.")
        if problem:
            raise BackupError(problem % {"name": name, "archive": archive})
        seen.add(name)
        source = tar.extractfile(member)
        digest = hashlib.sha256()
        size = 0
        target = (work / DUMP).open("wb") if name == DUMP else None
        try:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if target:
                    target.write(chunk)
        finally:
            if target:
                target.close()
        if digest.hexdigest() != expected[name].get("sha256") or size != expected[name].get("size"):
            raise BackupError(
                _(
                    "%(archive)s is damaged or was altered: %(name)s does not match its "
                    "checksum in the manifest. Nothing was restored."
                )
                % {"archive": archive, "name": name}
            )
    missing = sorted(set(expected) - seen)
    if DUMP not in expected:
        missing.insert(0, DUMP)
    if missing:
        raise BackupError(
            _("%(archive)s is incomplete: %(name)s is missing. Nothing was restored.")
            % {"archive": archive, "name": missing[0]}
        )
    return work / DUMP


def _known_migrations():
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def restore(path, *, database=None, storage=None, force=False, dry_run=False):
    """Restore the backup at ``path`` into ``database`` and ``storage`` (default: the site's).

    Refuses, before writing anything, an archive that does not match its manifest and,
    unless ``force``, a database that holds any table. Forced, the objects the backup
    holds are dropped and made again (``pg_restore --clean``), in the same transaction.
    ``dry_run`` checks all that and stops.
    """
    database = database or connections["default"].settings_dict
    storage = storage or default_storage
    archive = Path(path)
    if not archive.is_file():
        raise BackupError(_("There is no backup file at %(archive)s.") % {"archive": archive})
    summary = Summary(archive=archive, database=database["NAME"])
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 (closed by the with below)
    except tarfile.TarError as error:
        raise BackupError(
            _("%(archive)s is not a newsroom backup: it has no readable manifest.")
            % {"archive": archive}
        ) from error
    with tempfile.TemporaryDirectory(prefix="newsroom-restore-") as work, tar:
        manifest = read_manifest(tar, archive)
        dump = verify(tar, manifest, archive, Path(work))
        major, _full = server_version(database)
        pg_restore, _major = program("pg_restore", max(major, manifest.get("pg_dump_major", 0)))
        if not force and (present := tables(database)):
            raise BackupError(
                _(
                    "The database %(database)s is not empty (%(count)d tables and sequences, "
                    "e.g. %(first)s): a restore goes into an empty database. Force it with "
                    "--force (make restore FORCE=1) to replace what the backup holds. "
                    "Nothing was restored."
                )
                % {"database": database["NAME"], "count": len(present), "first": present[0]}
            )
        media = [(name, info) for name, info in manifest["files"].items() if name.startswith(MEDIA)]
        summary.dump_bytes = manifest["files"][DUMP]["size"]
        summary.media_files = len(media)
        summary.media_bytes = sum(info["size"] for _name, info in media)
        migrations = {
            (app, name) for app, names in manifest.get("migrations", {}).items() for name in names
        }
        summary.migrations = len(migrations)
        known = _known_migrations()
        summary.unknown_migrations = sorted(migrations - known)
        summary.pending_migrations = sorted(known - migrations)
        if dry_run:
            return summary
        params, _password = _connection_settings(database)
        command = [pg_restore, "--single-transaction", "--no-owner", "--no-privileges"]
        if force:
            command += ["--clean", "--if-exists"]
        _run([*command, "--dbname", make_conninfo(**params), dump], database)
        # pg_restore brings no planner statistics: without them the first pages would be
        # planned blind until autovacuum gets round to the tables.
        with connect(database, autocommit=True) as conn:
            conn.execute("ANALYZE")
        for name, _info in media:
            _write_media(storage, tar, name)
    return summary


def _write_media(storage, tar, member_name):
    name = member_name.removeprefix(MEDIA)
    try:
        if storage.exists(name):
            storage.delete(name)
        with tar.extractfile(member_name) as source:
            saved = storage.save(name, File(source, name=name))
    except Exception as error:
        raise BackupError(
            _(
                "The database was restored, but the media file %(name)s could not be "
                "written: %(error)s. Restore again with --force once that is put right."
            )
            % {"name": name, "error": error}
        ) from error
    if saved != name:
        raise BackupError(
            _("The storage saved the media file %(name)s as %(saved)s.")
            % {"name": name, "saved": saved}
        )
