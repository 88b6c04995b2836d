"""Uploaded sheets between the check and the confirmation, and large imports run on the worker.

An upload is a folder under CATALOGUE_IMPORT_DIR (default var/imports) named by a random token: the sheet, the
optional media zip, meta.json (who, which type, which section) and, for work done by the worker, status.json
(queued → running with rows done → done with the report, or failed), which the admin's progress page reads. The
web process and the worker share that folder, as they share var/ for the site build.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_tasks import task

from ..pages import SectionPage
from .importer import Progress, run_import
from .reading import SheetError, open_sheet
from .report import ImportReport

logger = logging.getLogger(__name__)

UPLOAD_MAX_AGE = 24 * 3600  # an unconfirmed upload is kept this long, then removed
STATUS_EVERY = 250  # rows between progress writes


def upload_root() -> Path:
    return Path(getattr(settings, "CATALOGUE_IMPORT_DIR", settings.VAR_DIR / "imports"))


def purge_stale_uploads() -> None:
    root = upload_root()
    if not root.exists():
        return
    for folder in root.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > UPLOAD_MAX_AGE:
            shutil.rmtree(folder, ignore_errors=True)


def save_upload(user, type_key: str, section: SectionPage, sheet, media=None) -> str:
    """Keep an uploaded sheet (and media zip) server-side under a random token; returns the token."""
    purge_stale_uploads()
    token = secrets.token_urlsafe(24)
    folder = upload_root() / token
    folder.mkdir(parents=True)
    suffix = Path(sheet.name).suffix.lower()
    for upload, name in ((sheet, f"sheet{suffix}"), (media, "media.zip")):
        if upload:
            with open(folder / name, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
    meta = {"user": user.pk, "type": type_key, "section": section.pk, "filename": sheet.name, "suffix": suffix}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def load_upload(token: str, user) -> tuple[Path, dict]:
    """The folder and meta of the user's own upload; 404 when unknown or expired."""
    if not token or "/" in token or "." in token:
        raise Http404
    folder = upload_root() / token
    if not (folder / "meta.json").exists():
        raise Http404("上传的文件已过期或已导入，请重新上传。")
    meta = json.loads((folder / "meta.json").read_text())
    if meta["user"] != user.pk:
        raise PermissionDenied("这是其他用户上传的文件。")
    return folder, meta


def sheet_path(folder: Path, meta: dict) -> Path:
    path = folder / f"sheet{meta['suffix']}"
    if not path.exists():
        raise Http404("这个文件已经导入过了，请重新上传。")
    return path


def runs_on_worker(folder: Path, meta: dict) -> bool:
    """Whether the sheet is large enough for the worker (a cheap estimate; the caps are enforced on the rows read).
    A file that cannot even be opened is checked in the request, where its message shows at once."""
    try:
        sheet = open_sheet(sheet_path(folder, meta).read_bytes(), meta["filename"])
    except SheetError:
        return False
    sheet.close()
    return sheet.estimated_rows > settings.CATALOGUE_IMPORT_WORKER_ROWS


def run_saved(folder: Path, meta: dict, user, *, dry_run: bool, valid_only: bool = False, progress: Progress | None = None) -> ImportReport:
    media = folder / "media.zip"
    report = run_import(
        meta["type"], sheet_path(folder, meta).read_bytes(), meta["filename"], user,
        section=SectionPage.objects.filter(pk=meta["section"]).first(),
        media=media.read_bytes() if media.exists() else None, dry_run=dry_run, valid_only=valid_only, progress=progress,
    )
    if report.written:  # the files go; meta and status stay for the progress page until the folder expires
        for name in (f"sheet{meta['suffix']}", "media.zip"):
            (folder / name).unlink(missing_ok=True)
    return report


def write_status(folder: Path, **status: Any) -> None:
    """Replace status.json atomically, so the progress page never reads half of it."""
    temporary = folder / "status.json.tmp"
    temporary.write_text(json.dumps(status, ensure_ascii=False))
    temporary.replace(folder / "status.json")


def read_status(folder: Path) -> dict | None:
    path = folder / "status.json"
    return json.loads(path.read_text()) if path.exists() else None


def enqueue_import(token: str, user, *, dry_run: bool, valid_only: bool = False) -> None:
    folder, _meta = load_upload(token, user)
    write_status(folder, state="queued", dry_run=dry_run)
    import_upload.enqueue(token=token, user_id=user.pk, dry_run=dry_run, valid_only=valid_only)


@task(backend="queue")
def import_upload(token: str, user_id: int, dry_run: bool, valid_only: bool = False) -> dict:
    """Check (dry_run) or import a saved upload on the worker, writing progress to its status.json."""
    user = get_user_model().objects.get(pk=user_id)
    folder, meta = load_upload(token, user)

    def progress(phase: str, total: int):
        counted = {"done": 0, "written": 0}
        write_status(folder, state="running", dry_run=dry_run, phase=phase, done=0, total=total)

        def advance(rows: int) -> None:
            counted["done"] += rows
            if counted["done"] - counted["written"] >= STATUS_EVERY:
                counted["written"] = counted["done"]
                write_status(folder, state="running", dry_run=dry_run, phase=phase, done=counted["done"], total=max(total, counted["done"]))

        return advance

    try:
        report = run_saved(folder, meta, user, dry_run=dry_run, valid_only=valid_only, progress=progress)
    except Exception:
        logger.exception("Import of upload %s failed", token)
        write_status(folder, state="failed", dry_run=dry_run)
        raise
    write_status(folder, state="done", dry_run=dry_run, report=report.as_dict())
    return {"summary": report.summary()}
