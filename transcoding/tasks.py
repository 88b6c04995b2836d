"""Transcode episode videos and audio on the "queue" backend's "media" queue: resumable, with progress, the site
rebuilt after.

An episode's document is queued when its series is published or the document's file is replaced. The
worker hashes the file; renditions are named by that digest, so one already on disk was made from the same
bytes and is kept (a stopped run resumes where it stopped); everything else is encoded (all with force). Done or failed, the site is rebuilt: the item's
`media_revision` in the API changed, so an incremental build fetches it again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.documents import get_document_model

from site_builder.tasks import request_rebuild

from . import ffmpeg
from .models import FOLDER, Transcode

logger = logging.getLogger(__name__)

# Share of the whole job each rendition takes (roughly its encoding time), for one progress figure.
MEDIA_QUEUE = "media"  # its own worker: see TASKS in cms/settings/base.py
WEIGHTS = {"low": 3.0, "high": 6.0, "audio": 0.5, "poster": 0.2}
PROGRESS_EVERY = 1.0  # seconds between progress writes: the admin's report polls, the database need not churn


def episode_documents() -> set[int]:
    """Ids of every document used as an episode's video or audio file."""
    from content_models.models import AudioEpisode, VideoEpisode

    ids = set(VideoEpisode.objects.exclude(video_file=None).values_list("video_file_id", flat=True))
    return ids | set(AudioEpisode.objects.exclude(audio_file=None).values_list("audio_file_id", flat=True))


def file_digest(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pending_documents() -> set[int]:
    """Documents with a transcode task waiting in the queue."""
    rows = DBTaskResult.objects.filter(task_path=transcode_document.module_path, status=TaskResultStatus.READY)
    return {row.args_kwargs.get("kwargs", {}).get("document_id") for row in rows}


def request_transcodes(document_ids: Iterable[int], *, force: bool = False) -> int:
    """Queue the documents whose renditions are missing or stale (all of them with `force`) once the transaction
    commits; one waiting task per document. Returns how many were queued."""
    documents = get_document_model().objects.filter(pk__in=set(document_ids)).select_related("transcode")
    queued = []
    for document in documents:
        row = getattr(document, "transcode", None) or Transcode(document=document)
        if not force and row.pk and (not row.needs_work() or (row.status == Transcode.FAILED and row.source_name == document.file.name)):
            continue  # done, or failed on this very file: only 「重新转码」 or a new file tries again
        row.status, row.progress, row.error = Transcode.WAITING, 0, ""
        row.save()
        queued.append(document.pk)

    def enqueue() -> None:
        waiting = pending_documents()
        for pk in queued:
            if pk not in waiting:
                transcode_document.enqueue(document_id=pk, force=force)

    if queued:
        transaction.on_commit(enqueue)
    return len(queued)


@task(backend="queue", queue_name=MEDIA_QUEUE)
def transcode_document(document_id: int, force: bool = False) -> dict:
    """Make the document's renditions (see transcode()); the site is rebuilt afterwards, done or failed."""
    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None:
        return {"skipped": "文件已删除"}
    return transcode(document, force=force)


def transcode(document, *, force: bool = False, report=None) -> dict:
    """Encode what is missing for this document's current file; `report(percent)` hears the progress.

    A file ffmpeg cannot read leaves status failed with a plain message for the editor; nothing else changes.
    """
    row, _ = Transcode.objects.get_or_create(document=document)
    if not force and row.status == Transcode.DONE and row.source_name == document.file.name:
        return {"skipped": "已是最新"}
    source = Path(default_storage.path(document.file.name))
    digest = file_digest(document.file.name)
    row.status, row.progress, row.error, row.detail = Transcode.RUNNING, 0, "", ""
    row.source_name, row.source_digest, row.outputs = document.file.name, digest, {}
    row.save()
    started = time.monotonic()
    try:
        probe = ffmpeg.probe(source)
        renditions = ffmpeg.renditions_for(probe)
        total = sum(WEIGHTS[r.name] for r in renditions)
        done_weight = 0.0
        for rendition in renditions:
            name = f"{FOLDER}/{document.pk}/{digest[:16]}-{rendition.suffix}"
            target = Path(default_storage.path(name))
            # A file under this name was made from the same bytes (the digest is in the name) and is complete
            # (encode() renames it into place only at the end): a stopped run goes on from here.
            if force or not target.is_file():
                encode_rendition(source, target, rendition, probe.duration, row, done_weight, total, report)
            width, height = ffmpeg.picture_size(target) if rendition.name != "audio" else (0, 0)
            row.outputs[rendition.name] = {
                "file": name, "bytes": target.stat().st_size, "bitrate": rendition.bitrate, "width": width, "height": height,
            }
            done_weight += WEIGHTS[rendition.name]
            Transcode.objects.filter(pk=row.pk).update(outputs=row.outputs, progress=int(100 * done_weight / total))
        row.status, row.progress, row.duration_seconds = Transcode.DONE, 100, round(probe.duration)
        fill_durations(document.pk, row.duration_seconds)
    except ffmpeg.MediaError as error:
        logger.warning("Transcode of document %s (%s) failed: %s", document.pk, document.file.name, error.detail)
        row.status, row.error, row.detail = Transcode.FAILED, str(error), error.detail
    row.save()
    remove_stale_files(document.pk, row.file_names())
    request_rebuild(f"转码{row.get_status_display()}：{document.title}")
    return {
        "document": document.pk, "status": row.status, "error": row.error, "seconds": round(time.monotonic() - started, 1),
        "renditions": sorted(row.outputs),
    }


def encode_rendition(source: Path, target: Path, rendition, duration: float, row: Transcode, base: float, total: float, report) -> None:
    """Encode one rendition, writing the job's overall percentage to the row about once a second."""
    last_write = 0.0

    def progress(fraction: float) -> None:
        nonlocal last_write
        percent = int(100 * (base + WEIGHTS[rendition.name] * fraction) / total)
        if report:
            report(percent)
        if time.monotonic() - last_write >= PROGRESS_EVERY and percent < 100:
            last_write = time.monotonic()
            Transcode.objects.filter(pk=row.pk).update(progress=percent)

    ffmpeg.encode(source, target, rendition, duration, progress)


def fill_durations(document_id: int, seconds: int) -> None:
    """Episodes using this file whose editor left the duration at 0 get the file's (saved on the episode rows;
    the API serves them at once, and the next publish keeps them since the revision is updated too)."""
    from content_models.models import AudioEpisode, VideoEpisode

    for model, field in ((VideoEpisode, "video_file"), (AudioEpisode, "audio_file")):
        for episode in model.objects.filter(**{field: document_id, "duration_seconds": 0}).select_related("page"):
            model.objects.filter(pk=episode.pk).update(duration_seconds=seconds)
            page = episode.page
            revision = page.latest_revision
            if revision:  # the editor's next publish starts from the revision: give it the duration too
                for row in revision.content.get("episodes", []):
                    if row.get("pk") == episode.pk and not row.get("duration_seconds"):
                        row["duration_seconds"] = seconds
                revision.save(update_fields=["content"])


def remove_stale_files(document_id: int, keep: set[str]) -> None:
    """Renditions of an earlier file of this document: nothing names them any more."""
    folder = f"{FOLDER}/{document_id}"
    if not default_storage.exists(folder):
        return
    for name in default_storage.listdir(folder)[1]:
        if f"{folder}/{name}" not in keep:
            default_storage.delete(f"{folder}/{name}")
