"""Publish a built static site to a local folder or an S3-compatible bucket.

Uploads only objects whose bytes changed, in an order that keeps the live site consistent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import mimetypes
import os
import re
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

DEFAULT_WORKERS = 8
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_MAX_DELETE_FRACTION = 0.5

CACHE_NO_CACHE = "no-cache"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_DEFAULT = "public, max-age=86400"

# Explicit table so the result does not depend on the host's /etc/mime.types.
_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".map": "application/json",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".wasm": "application/wasm",
}
# application/* types that are text and therefore get a charset and gzip.
_TEXT_APPLICATION_TYPES = {
    "application/json",
    "application/geo+json",
    "application/manifest+json",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "application/javascript",
}
_HTML_SUFFIXES = {".html", ".htm"}
# Documents: no-cache like HTML, but linked from HTML rather than linking to assets.
_DOCUMENT_SUFFIXES = {
    ".xml",
    ".atom",
    ".rss",
    ".json",
    ".geojson",
    ".webmanifest",
    ".txt",
}
_FINGERPRINT = re.compile(r"\.([0-9a-f]{8,})\.[A-Za-z0-9]+$")


class Phase(IntEnum):
    """Upload phases, in the order they run: a page is never live before what it links."""

    ASSET = 1
    DOCUMENT = 2
    HTML = 3


class PublishError(Exception):
    """A publish that could not finish; the message says what failed and what was done."""

    def __init__(self, message: str, result: PublishResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class MassDeleteRefused(PublishError):
    """The publish would delete more of the existing objects than the safety cap allows."""


@dataclass
class PublishResult:
    """What a publish did (or, with dry_run, would do)."""

    uploaded: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    uploaded_keys: list[str] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: publish_changes(): why the target was listed and diffed in full ("" when only the recorded changes were sent).
    full_reason: str | None = None

    def summary(self) -> dict[str, int | float]:
        """The four figures the CLI prints with --json."""
        return {
            "uploaded": self.uploaded,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class SourceFile:
    """One file of the built site, with the headers it will be served with."""

    key: str
    path: Path
    phase: Phase
    content_type: str
    cache_control: str
    is_text: bool


@dataclass(frozen=True)
class StoredObject:
    """The exact bytes and headers to store for one key."""

    key: str
    body: bytes
    md5: str
    content_type: str
    cache_control: str
    content_encoding: str | None


@dataclass
class Plan:
    """The difference between the source folder and the target."""

    uploads: list[SourceFile]
    deletes: list[str]
    unchanged: int
    existing: int


# ---------------------------------------------------------------------------
# Rules for a single file: content type, caching, compression, phase.
# ---------------------------------------------------------------------------


def is_fingerprinted(name: str) -> bool:
    """True for names like ``app.3f9a1c2b.css``: a hex hash of 8+ chars before the extension.

    All-digit "hashes" are excluded because they are usually dates or ids
    (``cover.20230101.jpg``) whose content can change; wrongly calling a file immutable
    would pin a stale copy in phones' caches for a year, wrongly not doing so costs a day.
    """
    match = _FINGERPRINT.search(name.rsplit("/", 1)[-1])
    return bool(match) and not match.group(1).isdigit()


def content_type_for(key: str) -> str:
    """The Content-Type for a key, with ``; charset=utf-8`` for text types."""
    lower = key.lower()
    suffix = Path(lower).suffix
    if lower.endswith(".atom.xml"):
        base = "application/atom+xml"
    elif lower.endswith(".rss.xml"):
        base = "application/rss+xml"
    else:
        base = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(lower)[0] or "application/octet-stream"
    return f"{base}; charset=utf-8" if _is_text_type(base) else base


def _is_text_type(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip()
    return base.startswith("text/") or base in _TEXT_APPLICATION_TYPES or base.endswith(("+xml", "+json"))


def phase_for(key: str) -> Phase:
    """Which upload phase a key belongs to."""
    suffix = Path(key.lower()).suffix
    if suffix in _HTML_SUFFIXES:
        return Phase.HTML
    if suffix in _DOCUMENT_SUFFIXES:
        return Phase.DOCUMENT
    return Phase.ASSET


def cache_control_for(key: str) -> str:
    """no-cache for pages and feeds, a year for fingerprinted assets, a day otherwise."""
    if phase_for(key) is not Phase.ASSET:
        return CACHE_NO_CACHE
    if is_fingerprinted(key):
        return CACHE_IMMUTABLE
    return CACHE_DEFAULT


def gzip_bytes(data: bytes) -> bytes:
    """Gzip deterministically (mtime=0, no file name) so the same input gives the same MD5."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def stored_object(source: SourceFile, *, compress_text: bool) -> StoredObject:
    """Read a source file and produce the bytes and headers the target will store."""
    body = source.path.read_bytes()
    encoding = None
    if compress_text and source.is_text:
        body = gzip_bytes(body)
        encoding = "gzip"
    return StoredObject(
        key=source.key,
        body=body,
        md5=hashlib.md5(body).hexdigest(),
        content_type=source.content_type,
        cache_control=source.cache_control,
        content_encoding=encoding,
    )


def scan_source(source_dir: Path) -> list[SourceFile]:
    """Every file under the built site, sorted by key."""
    if not source_dir.is_dir():
        raise PublishError(f"The folder to publish, {source_dir}, does not exist or is not a folder.")
    files = []
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        key = path.relative_to(source_dir).as_posix()
        content_type = content_type_for(key)
        files.append(
            SourceFile(
                key=key,
                path=path,
                phase=phase_for(key),
                content_type=content_type,
                cache_control=cache_control_for(key),
                is_text=_is_text_type(content_type),
            )
        )
    return files


# ---------------------------------------------------------------------------
# Targets: where the site goes. They only list, put and delete; the diff, the
# ordering and the error handling live in publish() and are shared.
# ---------------------------------------------------------------------------


class Target(ABC):
    """A place a site is published to."""

    #: Whether text files are stored gzipped (with Content-Encoding) or plain.
    compress_text: bool = False

    @abstractmethod
    def describe(self) -> str:
        """A short human name for messages, e.g. ``s3://bucket/site``."""

    @abstractmethod
    def list_md5s(self) -> dict[str, str]:
        """Every key already published, with the lowercase hex MD5 of its stored bytes."""

    @abstractmethod
    def put(self, obj: StoredObject) -> None:
        """Store one object, replacing any previous version."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object."""

    def explain(self, error: BaseException) -> str:
        """Turn a storage exception into words a person can act on."""
        if isinstance(error, OSError) and error.strerror:
            where = f" ({error.filename})" if error.filename else ""
            return f"{error.strerror}{where}"
        return f"{type(error).__name__}: {error}"


class FolderTarget(Target):
    """A local folder a static web server serves; files are stored plain."""

    compress_text = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root}"

    def list_md5s(self) -> dict[str, str]:
        if not self.root.exists():
            return {}
        return {
            path.relative_to(self.root).as_posix(): hashlib.md5(path.read_bytes()).hexdigest()
            for path in self.root.rglob("*")
            if path.is_file()
        }

    def put(self, obj: StoredObject) -> None:
        path = self.root / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the final name and rename, so a web server never serves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".publish-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(obj.body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        path = self.root / key
        path.unlink(missing_ok=True)
        # Remove folders left empty, but never the root itself.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def explain(self, error: BaseException) -> str:
        if isinstance(error, OSError) and error.strerror:
            return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
        return super().explain(error)


class S3Target(Target):
    """A bucket (and optional key prefix) on AWS S3 or an S3-compatible store."""

    compress_text = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        addressing_style: str = "auto",
        signature_version: str | None = None,
        region_name: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_pool_connections: int = DEFAULT_WORKERS * 2,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.client = client or self._make_client(
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
            signature_version=signature_version,
            region_name=region_name,
            max_attempts=max_attempts,
            max_pool_connections=max_pool_connections,
        )

    @staticmethod
    def _make_client(
        *,
        endpoint_url: str | None,
        addressing_style: str,
        signature_version: str | None,
        region_name: str | None,
        max_attempts: int,
        max_pool_connections: int,
    ) -> Any:
        import boto3
        from botocore.config import Config

        if addressing_style not in {"auto", "path", "virtual"}:
            raise ValueError(f"addressing_style must be auto, path or virtual, not {addressing_style!r}")
        config = Config(
            s3={"addressing_style": addressing_style},
            signature_version=signature_version,
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=max_pool_connections,
            # Newer botocore adds CRC checksums to every request by default; Aliyun OSS,
            # Tencent COS and older MinIO reject or mishandle them, so only send them when
            # an operation requires it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # region_name may be None: boto3 then uses AWS_DEFAULT_REGION or the profile.
        session = boto3.session.Session()
        region = region_name or session.region_name or "us-east-1"
        return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def list_md5s(self) -> dict[str, str]:
        found = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not key or key.endswith("/"):
                    continue  # folder placeholder objects some consoles create
                # A single-part PUT's ETag is the MD5 of the stored bytes. Aliyun OSS
                # spells it in upper case; multipart ETags ("…-3") never match and so
                # are simply re-uploaded as single parts.
                found[key] = item["ETag"].strip('"').lower()
        return found

    def put(self, obj: StoredObject) -> None:
        extra = {"ContentEncoding": obj.content_encoding} if obj.content_encoding else {}
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + obj.key,
            Body=obj.body,
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
            # Lets the store reject a body damaged in transit (checksums are otherwise off).
            ContentMD5=base64.b64encode(bytes.fromhex(obj.md5)).decode("ascii"),
            **extra,
        )

    def delete(self, key: str) -> None:
        # One DeleteObject per key rather than DeleteObjects: the batch call needs a
        # request checksum that several S3-compatible stores reject.
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def explain(self, error: BaseException) -> str:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        if isinstance(error, NoCredentialsError):
            return (
                "no S3 credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE) for this bucket"
            )
        if isinstance(error, ClientError):
            err = error.response.get("Error", {})
            code = err.get("Code", "error")
            message = err.get("Message") or ""
            if code == "NoSuchBucket":
                return f"the bucket {self.bucket!r} does not exist at this endpoint"
            if code in {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                return f"{code}: {message} — check the credentials and the bucket's permissions"
            return f"{code}: {message}".rstrip(": ")
        if isinstance(error, BotoCoreError):
            # Already a sentence, e.g. "Could not connect to the endpoint URL: …".
            return str(error)
        return super().explain(error)


def open_target(
    target: str,
    *,
    endpoint_url: str | None = None,
    addressing_style: str = "auto",
    signature_version: str | None = None,
    region_name: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    workers: int = DEFAULT_WORKERS,
) -> Target:
    """Make a Target from ``file:///path`` or ``s3://bucket/prefix``."""
    parsed = urlparse(target)
    if parsed.scheme == "file":
        if parsed.netloc not in {"", "localhost"}:
            raise ValueError(f"Use file:///absolute/path (three slashes), not {target!r}")
        return FolderTarget(Path(unquote(parsed.path)))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"An S3 target needs a bucket name: s3://bucket/prefix, not {target!r}")
        return S3Target(
            parsed.netloc,
            unquote(parsed.path),
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
            signature_version=signature_version,
            region_name=region_name,
            max_attempts=max_attempts,
            max_pool_connections=max(10, workers),
        )
    raise ValueError(f"The target must start with file:// or s3://, not {target!r}")


# ---------------------------------------------------------------------------
# The shared diff / order / execute logic.
# ---------------------------------------------------------------------------


def local_md5s(
    files: list[SourceFile], *, compress_text: bool, pool: ThreadPoolExecutor, digest_cache: Path | None = None
) -> dict[str, str]:
    """The MD5 each file will have once stored (after gzip for text on S3).

    With ``digest_cache``, a file whose size and modification time match the last run's is not
    read again (rsync's quick check): an incremental build leaves unchanged files untouched, so a
    re-publish of a 12,000-page site gzips only the few pages that changed.
    """
    known = _read_digest_cache(digest_cache, compress_text)

    # Compressing only to hash: the bytes are produced again at upload time, so the
    # whole site never has to sit in memory at once.
    def md5(source: SourceFile) -> tuple[int, int, str]:
        stat = source.path.stat()
        cached = known.get(source.key)
        if cached and cached[:2] == [stat.st_size, stat.st_mtime_ns]:
            return stat.st_size, stat.st_mtime_ns, cached[2]
        return stat.st_size, stat.st_mtime_ns, stored_object(source, compress_text=compress_text).md5

    stamped = dict(zip((s.key for s in files), pool.map(md5, files), strict=True))
    if digest_cache is not None:
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
    digest_cache: Path | None = None,
) -> PublishResult:
    """Make ``target`` hold exactly the files in ``source_dir``, changing as little as possible.

    ``target`` is ``file:///path``, ``s3://bucket/prefix`` or a Target instance (the S3
    options are then ignored). Uploads go assets → other documents → HTML, deletions
    last, each phase finished before the next starts, so a publish that stops half-way
    leaves no page linking a missing file; running again finishes the job.

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
            workers=workers,
        )
    where = target.describe()
    if isinstance(target, FolderTarget):
        _check_folders_apart(source_dir, target.root)

    files = scan_source(source_dir)
    try:
        existing = target.list_md5s()
    except Exception as error:  # any storage failure here means nothing was changed
        raise PublishError(
            f"Could not list what is already published at {where}: {target.explain(error)}. Nothing was changed."
        ) from error

    # One small pool for hashing and uploading: boto3 clients are thread-safe.
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="publish") as pool:
        local = local_md5s(files, compress_text=target.compress_text, pool=pool, digest_cache=digest_cache)
        plan = make_plan(files, local, existing)
        check_mass_delete(
            plan,
            max_fraction=max_delete_fraction,
            allow=allow_mass_delete,
            target=where,
        )
        result = PublishResult(unchanged=plan.unchanged, dry_run=dry_run)
        if dry_run:
            result.uploaded_keys = [source.key for source in plan.uploads]
            result.deleted_keys = list(plan.deletes)
        else:
            _execute(plan, target, result, pool)

    _count(result, started)
    logger.info("Published to %s: %s", where, result.summary())
    return result


def _check_folders_apart(source_dir: Path, target_root: Path) -> None:
    """Refuse a target folder inside the source (it would publish into itself) or
    containing it (the source would look like stale files and be deleted)."""
    source, root = source_dir.resolve(), target_root.resolve()
    if source.is_relative_to(root) or root.is_relative_to(source):
        raise PublishError(
            f"The target folder {root} and the folder being published {source} overlap; "
            "publish to a folder outside the built site."
        )


def _count(result: PublishResult, started: float | None = None) -> None:
    """Fill in the figures from the key lists (sorted: they were filled concurrently)."""
    result.uploaded_keys.sort(key=lambda key: (phase_for(key), key))
    result.deleted_keys.sort()
    result.uploaded = len(result.uploaded_keys)
    result.deleted = len(result.deleted_keys)
    if started is not None:
        result.seconds = time.monotonic() - started


def _execute(plan: Plan, target: Target, result: PublishResult, pool: ThreadPoolExecutor) -> None:
    """Apply a plan phase by phase; on failure raise PublishError describing the state."""
    by_key = {source.key: source for source in plan.uploads}
    lock = threading.Lock()

    def upload(key: str) -> None:
        target.put(stored_object(by_key[key], compress_text=target.compress_text))

    steps: list[tuple[str, list[str], Callable[[str], None], list[str]]] = [
        (
            f"upload {phase.name.lower()}",
            [s.key for s in plan.uploads if s.phase is phase],
            upload,
            result.uploaded_keys,
        )
        for phase in Phase
    ]
    steps.append(("delete", plan.deletes, target.delete, result.deleted_keys))

    for name, keys, action, done in steps:
        if not keys:
            continue
        logger.info("%s: %d objects", name, len(keys))
        failure = _run_step(pool, keys, action, done, lock)
        if failure is not None:
            key, error = failure
            _count(result)
            total = len(plan.uploads) + len(plan.deletes)
            verb = "delete" if name == "delete" else "upload"
            raise PublishError(
                f"Publishing to {target.describe()} stopped: could not {verb} {key}: "
                f"{target.explain(error)}. {result.uploaded + result.deleted} of {total} "
                f"changes were done ({result.uploaded} uploaded, {result.deleted} deleted) "
                "before the failure. Pages already live only link files that are there; "
                "fix the problem and run publish again to finish the rest.",
                result,
            ) from error


# ---------------------------------------------------------------------------
# Publishing what the builds changed: a journal beside the build folder.
# ---------------------------------------------------------------------------

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
    only emptied when a publish succeeds, so after a failure the next run finishes the job (in full).
    Phases, headers and the mass-delete cap are those of publish(); ``options`` are passed to it.
    """
    started = time.monotonic()
    source_dir = Path(source_dir)
    if isinstance(target, str):
        target = open_target(
            target,
            **{k: options[k] for k in ("endpoint_url", "addressing_style", "signature_version", "region_name",
                                      "max_attempts", "workers") if k in options},
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
                     "full_at": now, "since_full": 0, "objects": result.uploaded + result.unchanged}
    else:
        result = _publish_paths(source_dir, target, paths, data["published"], options)
        published = {**data["published"], "since_full": int(data["published"].get("since_full", 0)) + 1,
                     "objects": max(0, int(data["published"].get("objects", 0)) - result.deleted)}
    if not dry_run:
        # Builds may have recorded more changes meanwhile: keep those, drop what was just published.
        latest = _read_journal(journal)
        latest["paths"] = sorted(set(latest.get("paths") or ()) - set(paths))
        if reason:
            latest["dirty"] = False
        latest.update(published=published, publishing=False)
        _write_journal(journal, latest)
    result.seconds = time.monotonic() - started
    return result


def _publish_paths(source_dir: Path, target: Target, paths: list[str], last: dict, options: dict) -> PublishResult:
    """Upload the given site paths that exist in source_dir and delete those that no longer do; no listing."""
    if not source_dir.is_dir():
        raise PublishError(f"The folder to publish, {source_dir}, does not exist or is not a folder.")
    if isinstance(target, FolderTarget):
        _check_folders_apart(source_dir, target.root)
    uploads, deletes = [], []
    for site_path in paths:
        key = site_path.lstrip("/")
        path = source_dir / key
        if path.is_file():
            content_type = content_type_for(key)
            uploads.append(SourceFile(key=key, path=path, phase=phase_for(key), content_type=content_type,
                                      cache_control=cache_control_for(key), is_text=_is_text_type(content_type)))
        else:
            deletes.append(key)
    uploads.sort(key=lambda s: (s.phase, s.key))
    plan = Plan(uploads=uploads, deletes=sorted(deletes), unchanged=0, existing=int(last.get("objects", 0)))
    where = target.describe()
    check_mass_delete(plan, max_fraction=options.get("max_delete_fraction", DEFAULT_MAX_DELETE_FRACTION),
                      allow=options.get("allow_mass_delete", False), target=where)
    result = PublishResult(dry_run=bool(options.get("dry_run")), full_reason="")
    if result.dry_run:
        result.uploaded_keys = [source.key for source in plan.uploads]
        result.deleted_keys = list(plan.deletes)
    elif plan.uploads or plan.deletes:
        with ThreadPoolExecutor(max_workers=max(1, options.get("workers", DEFAULT_WORKERS)), thread_name_prefix="publish") as pool:
            _execute(plan, target, result, pool)
    _count(result)
    logger.info("Published %d recorded changes to %s: %s", len(paths), where, result.summary())
    return result
