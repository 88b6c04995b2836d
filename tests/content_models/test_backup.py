"""Backups that restore: `manage.py backup` of the tiny catalogue, then `manage.py restore` in another process into an
empty database (a new SQLite file, or on PostgreSQL a new database named after the test one), an empty media folder
and index folder, gives the same /api/v2/pages/?fields=* output, media files and search answers. A non-empty database
and a damaged backup are refused, and nothing is changed."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from content_models.models import EBookPage

ROOT = Path(__file__).resolve().parents[2]

# Every page the API serves, with every field, in pages of 500: what the builder and the indexer read.
API_OUTPUT = """
import json
from django.test import Client

pages, offset = [], 0
while True:
    answer = Client().get("/api/v2/pages/", {"fields": "*", "order": "id", "limit": 500, "offset": offset})
    assert answer.status_code == 200, answer.content[:300]
    data = json.loads(answer.content)
    pages += data["items"]
    offset += 500
    if offset >= data["meta"]["total_count"]:
        break
print(json.dumps(pages, ensure_ascii=False))
"""


def database_url(name: str) -> str:
    """A DATABASE_URL for database `name` (an SQLite file, or a PostgreSQL database on the test server)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    params = connection.settings_dict
    user = quote(params.get("USER") or "", safe="")
    password = quote(params.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{quote(params.get('HOST') or '', safe='')}{port}/{quote(name, safe='')}"


@contextmanager
def empty_database(tmp_path: Path, suffix: str) -> Iterator[str]:
    """A new, empty database beside the test one; yields its name (an SQLite path, or a PostgreSQL database name)."""
    if connection.vendor == "sqlite":
        yield str(tmp_path / f"{suffix}.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def site_env(database: str, media: Path, index: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of another machine's CMS process: its own database, media folder and index folder."""
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test", "DATABASE_URL": database_url(database),
        "DANGSHI_TEST_MEDIA_ROOT": str(media), "SEARCH_INDEX_DIR": str(index), "DANGSHI_VAR_DIR": str(tmp_path / "var"),
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def api_output(env: dict[str, str]) -> list[dict]:
    done = manage(env, "shell", "--no-imports", "-c", API_OUTPUT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def files_of(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def search_urls(index: Path, query: str) -> list[str]:
    out = StringIO()
    call_command("search", query, "--json", "--index-dir", str(index), stdout=out)
    return [hit["url"] for hit in json.loads(out.getvalue())["hits"]]


@pytest.fixture
def backed_up(cms_api_url, settings, tmp_path) -> dict:
    """The tiny catalogue with its search index, its API output read, then backed up with `manage.py backup`."""
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    call_command("build_search_index", stdout=StringIO())
    live = site_env(connection.settings_dict["NAME"], Path(settings.MEDIA_ROOT), settings.SEARCH_INDEX_DIR, tmp_path)
    before = api_output(live)  # first, so any cover rendition it makes is in the backup
    out = StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    return {"folder": tmp_path / "backup", "api": before, "media": files_of(Path(settings.MEDIA_ROOT)),
            "summary": json.loads(out.getvalue())}


def test_a_backup_restores_into_an_empty_database_with_the_same_api_output_media_and_search(backed_up, tmp_path):
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    assert book.site_path in search_urls(tmp_path / "index", book.title)
    summary = backed_up["summary"]
    assert summary["database"]["rows"] > 100 and summary["media"]["files"] == len(backed_up["media"]) > 0
    assert summary["search_index"]["files"] > 0
    assert (backed_up["folder"].stat().st_mode & 0o777) == 0o700
    assert any(page["id"] == book.pk for page in backed_up["api"])

    media, index = tmp_path / "restored-media", tmp_path / "restored-index"
    with empty_database(tmp_path, "restored") as database:
        env = site_env(database, media, index, tmp_path)
        done = manage(env, "restore", str(backed_up["folder"]))
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout)["database"] == summary["database"]
        assert files_of(media) == backed_up["media"]
        assert api_output(env) == backed_up["api"]
        assert book.site_path in search_urls(index, book.title)

        again = manage(env, "restore", str(backed_up["folder"]))  # now it holds the catalogue
        assert again.returncode == 1 and "is not empty" in again.stderr and "--force" in again.stderr


def test_a_damaged_backup_is_refused_and_nothing_is_changed(backed_up, settings):
    folder = backed_up["folder"]
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    EBookPage.objects.filter(pk=book.pk).update(title="备份之后改过的书名")
    media, index = Path(settings.MEDIA_ROOT), Path(settings.SEARCH_INDEX_DIR)
    media_before, serving = files_of(media), (index / "CURRENT").read_text()
    victims = {
        "database": next(folder.glob("database.*")),
        "media": sorted((folder / "media").rglob("*.png"))[0],
        "index": max((folder / "search-index" / "blobs").iterdir(), key=lambda p: p.stat().st_size),
    }
    for what, victim in victims.items():
        good = victim.read_bytes()
        damaged = bytearray(good)
        damaged[len(damaged) // 2] ^= 0x01  # one bit, same size: only the hash can tell
        victim.write_bytes(bytes(damaged))
        # --force: nothing but the damage stands between this backup and the live database.
        with pytest.raises(CommandError, match="Nothing restored: .*damaged") as error:
            call_command("restore", "--force", str(folder))
        if what != "index":  # the index's message names the file inside the index, not its blob
            assert victim.name in str(error.value)
        assert EBookPage.objects.get(pk=book.pk).title == "备份之后改过的书名"
        assert files_of(media) == media_before and (index / "CURRENT").read_text() == serving
        victim.write_bytes(good)

    call_command("restore", "--force", str(folder), stdout=StringIO())  # undamaged again, it replaces everything
    assert EBookPage.objects.get(pk=book.pk).title == book.title
    assert (index / "CURRENT").read_text() != serving and book.site_path in search_urls(index, book.title)
