"""Backups that restore: the database, the media files and the search index's live generation in one folder, with
a manifest (versions, sizes, SHA-256, row counts); a restore checks all of it before it changes anything.

A backup folder (made mode 0700: it holds password hashes and private files):
    database.pgdump   PostgreSQL: `pg_dump --format=custom`, taken in the same snapshot as the row counts
    database.sqlite3  SQLite: a copy by SQLite's online backup API (consistent while the site runs)
    media/            MEDIA_ROOT, file by file
    search-index/     the live index generation, as a replication store (search_index/replication.py)
    manifest.json     written last: a folder without it is an unfinished backup

The database is dumped first and the media copied after it, so every file the dump names is there unless it was
deleted in between (Wagtail writes a new name for every upload and never changes a file in place). The index is
derived data: restored so search answers at once; `build_search_index` rebuilds it from the API at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from site_builder.publish.targets import FolderTarget

FORMAT = "dangshi-backup/1"
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
INDEX_DIR = "search-index"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """The backup cannot be made or used as asked; the message says why and what to do. Nothing was changed."""


class RestoreMismatch(RuntimeError):
    """The restore ran, but the database does not hold the rows the backup counted."""


# --- small helpers -------------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": _sha256(path)}


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def _safe_relative(path: str) -> bool:
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts


def _table_counts(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(counts_cursor: Any) -> dict[str, str]:
    """The newest applied migration per app, as the dumped database records them."""
    counts_cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(counts_cursor.fetchall())


def _versions() -> dict[str, Any]:
    import django
    import wagtail

    commit = subprocess.run(
        ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "app_commit": commit or None,
    }


def _vendor() -> str:
    if connection.vendor not in DUMP_FILES:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")
    return connection.vendor


def database_is_empty() -> bool:
    """True when the configured database has no tables at all (created, never migrated)."""
    return not connection.introspection.table_names()


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database (pg_dump and pg_restore read it; no password on a command line)."""
    params = connection.settings_dict
    env = {**os.environ, "PGDATABASE": params["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if params.get(key):
            env[name] = str(params[key])
    for option, name in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("passfile", "PGPASSFILE")):
        if params.get("OPTIONS", {}).get(option):
            env[name] = str(params["OPTIONS"][option])
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed: apt-get install postgresql-client") from exc
    if done.returncode:
        raise BackupError(f"{command[0]} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _dump_postgresql(dest: Path) -> dict[str, Any]:
    env = _pg_env()
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_dump reads the snapshot this transaction exports, so the counts and the dump see the same rows.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server = cursor.fetchone()
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest}"], env)
        counts = _table_counts(cursor, connection.introspection.table_names(cursor), connection.ops.quote_name)
        migrations = _migrations(cursor)
    tool = _run(["pg_dump", "--version"], env).strip()
    return {"server_version": server, "tool": tool, "rows": counts, "migrations": migrations}


def _restore_postgresql(dump: Path, force: bool) -> None:
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if force:
        command += ["--clean", "--if-exists"]  # replaces what the dump holds, in the same transaction
    connection.close()
    _run([*command, f"--dbname={connection.settings_dict['NAME']}", str(dump)], _pg_env())


# --- SQLite --------------------------------------------------------------------------------------------------------


@contextmanager
def _sqlite(path: Path, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{path}?mode=ro" if readonly else str(path), uri=readonly)
    try:
        yield db
    finally:
        db.close()


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    return [name for (name,) in rows]


def _dump_sqlite(dest: Path) -> dict[str, Any]:
    connection.ensure_connection()
    with _sqlite(dest) as copy:
        connection.connection.backup(copy)  # one consistent copy, even while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cursor = copy.cursor()
        counts = _table_counts(cursor, _sqlite_tables(copy), _sqlite_quote)
        migrations = _migrations(cursor)
    return {"server_version": sqlite3.sqlite_version, "tool": "sqlite3 online backup API", "rows": counts, "migrations": migrations}


def _restore_sqlite(copy_path: Path) -> None:
    connection.ensure_connection()
    with _sqlite(copy_path, readonly=True) as copy:
        copy.backup(connection.connection)  # replaces the whole database, page by page, under one lock


# --- backup ----------------------------------------------------------------------------------------------------------


def make_backup(dest: Path) -> dict[str, Any]:
    """Write a backup of the database, MEDIA_ROOT and the live search index into `dest` (new or empty)."""
    from search_index.indexer import IndexNotFoundError
    from search_index.replication import publish

    started = time.perf_counter()
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: give a new folder for each backup")
    vendor = _vendor()
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        dump = dest / DUMP_FILES[vendor]
        database = _dump_postgresql(dump) if vendor == "postgresql" else _dump_sqlite(dump)
        database = {"vendor": vendor, **_entry(dest, dump), **database}

        media_root = Path(settings.MEDIA_ROOT)
        media = []
        for source in _files_under(media_root):
            copy = dest / MEDIA_DIR / source.relative_to(media_root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
            media.append(_entry(dest / MEDIA_DIR, copy))

        try:
            index = publish(Path(settings.SEARCH_INDEX_DIR), FolderTarget(dest / INDEX_DIR), keep=1)
            search_index = {"folder": INDEX_DIR, "version": index.version, "files": index.files, "bytes": index.bytes}
        except IndexNotFoundError:
            search_index = None  # no index built yet: after a restore, build_search_index makes one

        manifest = {
            "format": FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
            "database": database,
            "media": {"files": media, "count": len(media), "bytes": sum(f["size"] for f in media)},
            "search_index": search_index,
        }
        tmp = dest / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, dest / MANIFEST)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # it was new or empty: nothing of anyone else's is lost
        raise
    return {**summary(manifest), "seconds": round(time.perf_counter() - started, 2)}


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a backup holds, in a few figures."""
    database = manifest["database"]
    return {
        "created": manifest["created"],
        "database": {"vendor": database["vendor"], "bytes": database["size"], "tables": len(database["rows"]),
                     "rows": sum(database["rows"].values())},
        "media": {"files": manifest["media"]["count"], "bytes": manifest["media"]["bytes"]},
        "search_index": manifest["search_index"],
    }


# --- check and restore --------------------------------------------------------------------------------------------


def check_backup(src: Path) -> dict[str, Any]:
    """The backup's manifest, after every file was read and checked against it; BackupError at the first problem."""
    from search_index.replication import ArtefactRefused, verify_latest

    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{src} has no {MANIFEST}: not a backup, or one that did not finish") from exc
    except ValueError as exc:
        raise BackupError(f"{src / MANIFEST} is damaged ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is a backup in format {manifest.get('format')!r}; this code reads {FORMAT}")

    database = manifest["database"]
    checks = [(src, database)] + [(src / MEDIA_DIR, entry) for entry in manifest["media"]["files"]]
    for root, entry in checks:
        if not _safe_relative(entry["path"]):
            raise BackupError(f"the manifest names {entry['path']!r}, outside the backup: refused")
        path = root / entry["path"]
        if not path.is_file():
            raise BackupError(f"{path} is missing from the backup")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"{path} does not match the SHA-256 in the manifest: the backup is damaged")
    if manifest["search_index"]:
        try:
            verify_latest(FolderTarget(src / manifest["search_index"]["folder"]))
        except ArtefactRefused as exc:
            raise BackupError(f"the search index in the backup is damaged: {exc}") from exc
    return manifest


def restore_backup(src: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore a checked backup into the configured database, MEDIA_ROOT and SEARCH_INDEX_DIR.

    Refuses, changing nothing, when the backup is damaged, comes from another database engine, or when the
    database has tables or MEDIA_ROOT has files (unless `force`: then the backup replaces what they hold).
    """
    from search_index.replication import follow_once

    started = time.perf_counter()
    src = Path(src)
    manifest = check_backup(src)
    database = manifest["database"]
    vendor = _vendor()
    if database["vendor"] != vendor:
        raise BackupError(
            f"the backup holds a {database['vendor']} database and this site uses {vendor}: restore into {database['vendor']}"
        )
    if not force and not database_is_empty():
        raise BackupError(
            f"the database {connection.settings_dict['NAME']} is not empty: restore into a new, empty database "
            "(createdb), or pass --force to replace its contents"
        )
    media_root = Path(settings.MEDIA_ROOT)
    if not force and _files_under(media_root):
        raise BackupError(f"{media_root} (MEDIA_ROOT) holds files: restore into an empty folder, or pass --force")

    dump = src / database["path"]
    if vendor == "postgresql":
        _restore_postgresql(dump, force)
    else:
        _restore_sqlite(dump)

    for entry in manifest["media"]["files"]:
        target = media_root / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        # Beside the final name, then renamed: never a half-written file under a name the site serves.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
        os.close(fd)
        shutil.copy2(src / MEDIA_DIR / entry["path"], tmp)
        os.replace(tmp, target)

    index = None
    if manifest["search_index"]:
        report = follow_once(FolderTarget(src / manifest["search_index"]["folder"]), Path(settings.SEARCH_INDEX_DIR))
        index = {"version": report.version, "generation": report.generation, "status": report.status}

    with connection.cursor() as cursor:
        counts = _table_counts(cursor, list(database["rows"]), connection.ops.quote_name)
    differ = {table: (rows, counts[table]) for table, rows in database["rows"].items() if counts[table] != rows}
    if differ:
        raise RestoreMismatch(f"restored, but these tables' row counts differ from the backup's (expected, found): {differ}")
    return {**summary(manifest), "restored_index": index, "seconds": round(time.perf_counter() - started, 2)}
