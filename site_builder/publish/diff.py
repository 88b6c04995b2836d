"""The difference between the built folder and the target: what to upload, what to delete, what stays."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .files import SourceFile, stored_object
from .result import MassDeleteRefused

DEFAULT_MAX_DELETE_FRACTION = 0.5

@dataclass
class Plan:
    """The difference between the source folder and the target."""

    uploads: list[SourceFile]
    deletes: list[str]
    unchanged: int
    existing: int


def local_md5s(
    files: list[SourceFile], *, compress_text: bool, pool: ThreadPoolExecutor, digest_cache: Path | None = None
) -> dict[str, str]:
    """The MD5 each file will have once stored (after gzip for text on S3).

    With ``digest_cache``, a file whose size and modification time match the last run's is not
    read again (rsync's quick check): an incremental build leaves unchanged files untouched, so a
    re-publish of a 12,000-page site gzips only the few pages that changed.
    """
    known = _read_digest_cache(digest_cache, compress_text)
    stamped: dict[str, tuple[int, int, str]] = {}
    stale: list[tuple[SourceFile, int, int]] = []
    for source in files:  # stat here, hash in the pool only what changed: 12,000 pool tasks cost more than the stats
        stat = source.path.stat()
        cached = known.get(source.key)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            stamped[source.key] = (stat.st_size, stat.st_mtime_ns, cached[2])
        else:
            stale.append((source, stat.st_size, stat.st_mtime_ns))

    # Compressing only to hash: the bytes are produced again at upload time, so the
    # whole site never has to sit in memory at once.
    def md5(entry: tuple[SourceFile, int, int]) -> str:
        return stored_object(entry[0], compress_text=compress_text).md5

    for (source, size, mtime), digest in zip(stale, pool.map(md5, stale), strict=True):
        stamped[source.key] = (size, mtime, digest)
    if digest_cache is not None and (stale or len(known) != len(stamped)):
        digest_cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = digest_cache.with_suffix(".tmp")
        temporary.write_text(json.dumps({"compress_text": compress_text, "files": stamped}), encoding="utf-8")
        os.replace(temporary, digest_cache)
    return {key: digest for key, (_, _, digest) in stamped.items()}


def _read_digest_cache(path: Path | None, compress_text: bool) -> dict[str, list]:
    """The last run's {key: [size, mtime_ns, md5]}, or {} when absent, unreadable or for the other mode."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("files", {}) if data.get("compress_text") == compress_text else {}


def make_plan(files: list[SourceFile], local: dict[str, str], existing: dict[str, str]) -> Plan:
    """Compare source files with what the target holds; uploads are in phase order."""
    uploads = []
    unchanged = 0
    for source in files:
        if existing.get(source.key) == local[source.key]:
            unchanged += 1
        else:
            uploads.append(source)
    uploads.sort(key=lambda s: (s.phase, s.key))
    present = {source.key for source in files}
    deletes = sorted(key for key in existing if key not in present)
    return Plan(uploads=uploads, deletes=deletes, unchanged=unchanged, existing=len(existing))


def check_mass_delete(plan: Plan, *, max_fraction: float, allow: bool, target: str) -> None:
    """Refuse a publish that would delete too much of the site, e.g. from a wrong --from."""
    if allow or not plan.deletes or plan.existing == 0:
        return
    if len(plan.deletes) / plan.existing > max_fraction:
        examples = ", ".join(plan.deletes[:5]) + (", …" if len(plan.deletes) > 5 else "")
        raise MassDeleteRefused(
            f"Refusing to publish to {target}: it would delete {len(plan.deletes)} of the "
            f"{plan.existing} objects there (more than {max_fraction:.0%}), e.g. {examples}. "
            "Nothing was changed. Check that the folder to publish is the complete built site; "
            "if the deletions are intended, run again with --allow-mass-delete."
        )
