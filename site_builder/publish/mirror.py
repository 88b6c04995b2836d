"""publish(): make a target hold exactly a folder, applying the plan step by step (upload assets, documents,
HTML; then delete HTML, documents, assets) so a publish that stops half-way leaves no page using a missing file."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path

from .diff import DEFAULT_MAX_DELETE_FRACTION, Plan, check_mass_delete, local_md5s, make_plan
from .files import Phase, phase_for, scan_source, stored_object
from .result import PublishError, PublishResult
from .targets import DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT, DEFAULT_WORKERS, FolderTarget, Target, open_target

logger = logging.getLogger(__name__)

def _run_step(
    pool: ThreadPoolExecutor,
    keys: Iterable[str],
    action: Callable[[str], None],
    done: list[str],
    lock: threading.Lock,
) -> tuple[str, BaseException] | None:
    """Run one step for all keys concurrently; the step is over before this returns.

    On the first failure the not-yet-started work is cancelled (later phases never
    start), work already in flight is allowed to finish, and (key, error) is returned.
    """

    def run(key: str) -> None:
        action(key)
        with lock:
            done.append(key)

    futures: dict[Future[None], str] = {pool.submit(run, key): key for key in keys}
    _, pending = wait(futures, return_when=FIRST_EXCEPTION)
    for future in pending:  # empty unless something failed
        future.cancel()
    wait(pending)
    for future, key in futures.items():
        if not future.cancelled() and future.exception() is not None:
            return key, future.exception()
    return None


def publish(
    source_dir: Path | str,
    target: str | Target,
    *,
    endpoint_url: str | None = None,
    addressing_style: str = "auto",
    signature_version: str | None = None,
    region_name: str | None = None,
    allow_mass_delete: bool = False,
    max_delete_fraction: float = DEFAULT_MAX_DELETE_FRACTION,
    dry_run: bool = False,
    workers: int = DEFAULT_WORKERS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT,
    digest_cache: Path | None = None,
) -> PublishResult:
    """Make ``target`` hold exactly the files in ``source_dir``, changing as little as possible.

    ``target`` is ``file:///path``, ``s3://bucket/prefix`` or a Target instance (the S3
    options are then ignored). Uploads go assets → other documents → HTML, deletions
    last and the other way round (HTML → documents → assets), each step finished before the
    next starts, so a publish that stops half-way leaves no page linking a missing file;
    running again finishes the job.

    Raises MassDeleteRefused (nothing changed) or PublishError (with ``.result`` saying
    what was done before the failure).
    """
    started = time.monotonic()
    source_dir = Path(source_dir)
    if isinstance(target, str):
        target = open_target(
            target,
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
            signature_version=signature_version,
            region_name=region_name,
            max_attempts=max_attempts,
            timeout=timeout,
            workers=workers,
        )
    where = target.describe()
    if isinstance(target, FolderTarget):
        check_folders_apart(source_dir, target.root)

    # One small pool for listing, hashing and uploading (boto3 clients are thread-safe). The listing runs
    # while the folder is scanned and hashed: on a 12,000-object bucket each takes about as long as the other.
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="publish") as pool:
        listing = pool.submit(target.list_md5s)
        files = scan_source(source_dir)
        local = local_md5s(files, compress_text=target.compress_text, pool=pool, digest_cache=digest_cache)
        try:
            existing = listing.result()
        except Exception as error:  # any storage failure here means nothing was changed
            raise PublishError(
                f"Could not list what is already published at {where}: {target.explain(error)}. Nothing was changed."
            ) from error
        plan = make_plan(files, local, existing)
        check_mass_delete(
            plan,
            max_fraction=max_delete_fraction,
            allow=allow_mass_delete,
            target=where,
        )
        result = PublishResult(unchanged=plan.unchanged, dry_run=dry_run)
        result.stored_md5s = {key: md5 for key, md5 in local.items() if existing.get(key) == md5}
        if dry_run:
            result.uploaded_keys = [source.key for source in plan.uploads]
            result.deleted_keys = list(plan.deletes)
        else:
            execute(plan, target, result, pool)

    tally(result, started)
    logger.info("Published to %s: %s", where, result.summary())
    return result


def check_folders_apart(source_dir: Path, target_root: Path) -> None:
    """Refuse a target folder inside the source (it would publish into itself) or
    containing it (the source would look like stale files and be deleted)."""
    source, root = source_dir.resolve(), target_root.resolve()
    if source.is_relative_to(root) or root.is_relative_to(source):
        raise PublishError(
            f"The target folder {root} and the folder being published {source} overlap; "
            "publish to a folder outside the built site."
        )


def tally(result: PublishResult, started: float | None = None) -> None:
    """Fill in the figures from the key lists (sorted: they were filled concurrently)."""
    result.uploaded_keys.sort(key=lambda key: (phase_for(key), key))
    result.deleted_keys.sort()
    result.uploaded = len(result.uploaded_keys)
    result.deleted = len(result.deleted_keys)
    if started is not None:
        result.seconds = time.monotonic() - started


def execute(plan: Plan, target: Target, result: PublishResult, pool: ThreadPoolExecutor) -> None:
    """Apply a plan phase by phase; on failure raise PublishError describing the state."""
    by_key = {source.key: source for source in plan.uploads}
    lock = threading.Lock()

    def upload(key: str) -> None:
        obj = stored_object(by_key[key], compress_text=target.compress_text)
        target.put(obj)
        with lock:
            result.stored_md5s[key] = obj.md5

    steps: list[tuple[str, list[str], Callable[[str], None], list[str]]] = [
        (
            f"upload {phase.name.lower()}",
            [s.key for s in plan.uploads if s.phase is phase],
            upload,
            result.uploaded_keys,
        )
        for phase in Phase
    ]
    # Deletions the other way round: a removed page goes before the covers and style sheets it uses.
    steps += [
        (f"delete {phase.name.lower()}", [key for key in plan.deletes if phase_for(key) is phase], target.delete,
         result.deleted_keys)
        for phase in reversed(Phase)
    ]

    for name, keys, action, done in steps:
        if not keys:
            continue
        logger.info("%s: %d objects", name, len(keys))
        failure = _run_step(pool, keys, action, done, lock)
        if failure is not None:
            key, error = failure
            tally(result)
            total = len(plan.uploads) + len(plan.deletes)
            verb = name.split()[0]
            raise PublishError(
                f"Publishing to {target.describe()} stopped: could not {verb} {key}: "
                f"{target.explain(error)}. {result.uploaded + result.deleted} of {total} "
                f"changes were done ({result.uploaded} uploaded, {result.deleted} deleted) "
                "before the failure. Pages already live only link files that are there; "
                "fix the problem and run publish again to finish the rest.",
                result,
            ) from error

