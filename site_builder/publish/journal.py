"""Publishing what the builds changed: a journal beside the build folder lists the site paths written or
removed since the last successful publish, so a publish need not list the bucket."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .diff import DEFAULT_MAX_DELETE_FRACTION, Plan, check_mass_delete
from .files import source_file, stored_object
from .mirror import check_folders_apart, execute, publish, tally
from .result import PublishError, PublishResult
from .targets import DEFAULT_WORKERS, FolderTarget, Target, open_target

logger = logging.getLogger(__name__)

JOURNAL_VERSION = 1
#: A journal-based publish is trusted for this long; then the bucket is listed and diffed in full.
DEFAULT_FULL_EVERY_SECONDS = 3600.0
#: ... and every this many journal-based publishes, whichever comes first.
DEFAULT_FULL_EVERY_PUBLISHES = 100
#: More changed paths than this and a full diff is cheaper (and the journal stops listing them).
MAX_JOURNAL_PATHS = 2000


def _read_journal(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == JOURNAL_VERSION else {}


def _write_journal(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps({**data, "version": JOURNAL_VERSION}, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def note_build_started(journal: Path) -> None:
    """Called before a build changes files: a build that never finishes makes the next publish a full diff."""
    data = _read_journal(journal)
    if data.get("building"):
        data["dirty"] = True  # the last build stopped half-way: which files it changed is unknown
    data["building"] = True
    _write_journal(journal, data)


def note_build_finished(journal: Path, paths: Iterable[str]) -> None:
    """Add the site paths a build wrote or removed to the changes not yet published."""
    data = _read_journal(journal)
    pending = set(data.get("paths") or ()) | set(paths)
    if len(pending) > MAX_JOURNAL_PATHS:
        data["dirty"], pending = True, set()
    data["paths"] = sorted(pending)
    data["building"] = False
    _write_journal(journal, data)


def _full_reason(data: dict, target: Target, paths: list[str], now: float, full_every: float, full_every_publishes: int) -> str:
    """Why the next publish must list the target and diff everything ("" when the journal can be trusted)."""
    last = data.get("published")
    if not isinstance(last, dict):
        return "no earlier publish recorded"
    if last.get("target") != target.describe() or last.get("compress_text") != target.compress_text:
        return "the target changed"
    if data.get("publishing"):
        return "the last publish did not finish"
    if data.get("dirty") or data.get("building"):
        return "a build did not finish or changed too many files"
    if len(paths) > MAX_JOURNAL_PATHS:
        return "too many changes"
    if now - float(last.get("full_at", 0)) >= full_every:
        return "periodic full check"
    if int(last.get("since_full", 0)) >= full_every_publishes:
        return "periodic full check"
    return ""


def publish_changes(
    source_dir: Path | str,
    target: str | Target,
    *,
    journal: Path,
    full_every: float = DEFAULT_FULL_EVERY_SECONDS,
    full_every_publishes: int = DEFAULT_FULL_EVERY_PUBLISHES,
    **options: Any,
) -> PublishResult:
    """Publish only the files the builds recorded in ``journal`` since the last successful publish.

    Falls back to a full diff publish (listing the target) when there is no record of an earlier
    publish to this target, when the last publish or a build did not finish, and periodically
    (``full_every`` seconds or ``full_every_publishes`` publishes) to heal any drift. The journal is
    only emptied when a publish succeeds, so after a failure the next run finishes the job (in full),
    and it keeps a path whose file changed after it was sent, so the next publish sends the new bytes.
    Phases, headers and the mass-delete cap are those of publish(); ``options`` are passed to it.
    """
    started = time.monotonic()
    source_dir = Path(source_dir)
    if isinstance(target, str):
        target = open_target(
            target,
            **{k: options[k] for k in ("endpoint_url", "addressing_style", "signature_version", "region_name",
                                      "max_attempts", "timeout", "workers") if k in options},
        )
    data = _read_journal(journal)
    paths = sorted(set(data.get("paths") or ()))
    now = time.time()
    reason = _full_reason(data, target, paths, now, full_every, full_every_publishes)
    dry_run = bool(options.get("dry_run"))
    if not dry_run:
        _write_journal(journal, {**data, "publishing": True})  # cleared only by a publish that succeeds

    if reason:
        result = publish(source_dir, target, **options)
        result.full_reason = reason
        published = {"target": target.describe(), "compress_text": target.compress_text,
                     "full_at": now, "since_full": 0}
    else:
        result = _publish_paths(source_dir, target, paths, options)
        published = {**data["published"], "since_full": int(data["published"].get("since_full", 0)) + 1}
    if not dry_run:
        # A build may have rewritten a file after it was uploaded: drop a path only when what the
        # target now holds is what is on disk now, and keep whatever else the builds recorded meanwhile.
        latest = _read_journal(journal)
        settled = _settled(paths, source_dir, target, result.stored_md5s)
        latest["paths"] = sorted(set(latest.get("paths") or ()) - settled)
        if reason:
            latest["dirty"] = False
        latest.update(published=published, publishing=False)
        _write_journal(journal, latest)
    result.seconds = time.monotonic() - started
    return result


def _settled(paths: list[str], source_dir: Path, target: Target, stored_md5s: dict[str, str]) -> set[str]:
    """The site paths whose file on disk (or its absence) matches what the target holds after the publish."""
    settled = set()
    for site_path in paths:
        key = site_path.lstrip("/")
        try:
            on_disk = stored_object(source_file(key, source_dir / key), compress_text=target.compress_text).md5
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            on_disk = None
        if on_disk == stored_md5s.get(key):
            settled.add(site_path)
    return settled


def _publish_paths(source_dir: Path, target: Target, paths: list[str], options: dict) -> PublishResult:
    """Upload the given site paths that exist in source_dir and delete those that no longer do; no listing."""
    if not source_dir.is_dir():
        raise PublishError(f"The folder to publish, {source_dir}, does not exist or is not a folder.")
    if isinstance(target, FolderTarget):
        check_folders_apart(source_dir, target.root)
    uploads, deletes = [], []
    for site_path in paths:
        key = site_path.lstrip("/")
        path = source_dir / key
        if path.is_file():
            uploads.append(source_file(key, path))
        else:
            deletes.append(key)
    uploads.sort(key=lambda s: (s.phase, s.key))
    # The target mirrors the folder: its size is the folder's files plus what is about to be deleted. (A count
    # kept from the last full publish only ever shrank, new files never added to it, and in time a routine
    # unpublish looked like a mass delete and was refused, leaving removed pages in the bucket.)
    existing = sum(len(names) for _, _, names in os.walk(source_dir)) + len(deletes)
    plan = Plan(uploads=uploads, deletes=sorted(deletes), unchanged=0, existing=existing)
    where = target.describe()
    check_mass_delete(plan, max_fraction=options.get("max_delete_fraction", DEFAULT_MAX_DELETE_FRACTION),
                      allow=options.get("allow_mass_delete", False), target=where)
    result = PublishResult(dry_run=bool(options.get("dry_run")), full_reason="")
    if result.dry_run:
        result.uploaded_keys = [source.key for source in plan.uploads]
        result.deleted_keys = list(plan.deletes)
    elif plan.uploads or plan.deletes:
        with ThreadPoolExecutor(max_workers=max(1, options.get("workers", DEFAULT_WORKERS)), thread_name_prefix="publish") as pool:
            execute(plan, target, result, pool)
    tally(result)
    logger.info("Published %d recorded changes to %s: %s", len(paths), where, result.summary())
    return result
