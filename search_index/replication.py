"""Search scale-out: the writer publishes its live index generation as a versioned artefact to a folder or a
bucket; any number of search nodes follow the newest one, verify it and swap it in atomically.

Artefact store (a folder or a bucket prefix, written through site_builder.publish's targets):
    blobs/<sha256>            the bytes of one index file, named by their SHA-256 (written once, shared by versions)
    versions/<version>.json   a manifest: version, created, generation, document count, and every file
                              with its size and SHA-256
    latest                    {"version", "manifest", "sha256"} of the newest manifest, written last

Files are content-addressed, so a publish after an incremental update uploads only what changed (Whoosh's new
segment and TOC, the rewritten meta and suggestion tables) and a follower downloads only those, hard-linking the
rest from the generation it serves: deltas at file granularity, with nothing to apply. A follower builds the new
generation beside the live one, checks every file against the manifest, and only then replaces CURRENT; a
damaged or half-uploaded artefact is refused and the node keeps answering from what it has.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from site_builder.publish.files import CACHE_IMMUTABLE, CACHE_NO_CACHE, StoredObject
from site_builder.publish.targets import FolderTarget, S3Target, Target, open_target

# Not public in indexer.py, which its engineers own; used here rather than copied so that the follower takes
# the writer's locks, pointer swap, generation names and pruning exactly as the writer does.
from .indexer import (
    GENERATION_PREFIX,
    META_FILE,
    WRITE_LOCK,
    IndexNotFoundError,
    _file_lock,
    _new_generation_name,
    _remove_old_generations,
    _write_pointer,
    current_generation,
    read_meta,
)
from .sync import LABELS_FILE

logger = logging.getLogger(__name__)

FORMAT = "dangshi-search-index/1"
LATEST_KEY = "latest"
VERSIONS_PREFIX = "versions/"
BLOBS_PREFIX = "blobs/"
# Manifests kept in the store (the newest first); blobs no kept manifest names are deleted. A follower more
# than this many publishes behind when it starts downloading may find a blob gone and simply retries.
DEFAULT_KEEP_VERSIONS = 5
# Written inside each generation a follower installs: the manifest it came from (what the node serves).
INSTALLED_FILE = "artefact.json"
# Files in the manifest live in the generation ("generation/<name>") or, from this list only, beside it.
INDEX_LEVEL_FILES = (LABELS_FILE,)
GENERATION_DIR = "generation/"
PUBLISH_LOCK = ".publish.lock"
FOLLOW_LOCK = ".follow.lock"
CHUNK = 1 << 20


class ArtefactRefused(RuntimeError):
    """The artefact in the store is incomplete or does not match its manifest; nothing was changed."""


@dataclass(frozen=True)
class ArtefactFile:
    """One file of an artefact: its path (``generation/<name>`` or an index-level name), size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass
class PublishReport:
    """What one publish did."""

    version: str
    unchanged: bool = False  # the live generation was already the newest published version
    files: int = 0
    bytes: int = 0
    uploaded: int = 0
    uploaded_bytes: int = 0
    pruned_versions: int = 0
    pruned_blobs: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class FollowReport:
    """What one pass of a follower did: ``installed`` a new version, found it ``current``, or the store ``empty``."""

    status: str
    version: str = ""
    generation: str = ""
    files: int = 0
    downloaded: int = 0
    downloaded_bytes: int = 0
    reused: int = 0
    seconds: float = 0.0
    doc_count: int | None = None
    created: str = ""

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _Staged:
    """Hard links to one consistent state of the live index, and their hashes."""

    root: Path
    generation: str
    files: list[ArtefactFile] = field(default_factory=list)
    md5: dict[str, str] = field(default_factory=dict)  # sha256 -> md5, for comparing with the store's listing


# --- reading the store ---------------------------------------------------------------------------------------
# Targets only list, put and delete (all a site publish needs); reading is added here for the two target kinds.


def _open_object(target: Target, key: str) -> Iterator[bytes] | None:
    """The bytes of one stored object in chunks, or None when it does not exist."""
    if isinstance(target, FolderTarget):
        path = target.root / key
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            return None
        return _chunks_of(handle)
    if isinstance(target, S3Target):
        try:
            response = target.client.get_object(Bucket=target.bucket, Key=target.prefix + key)
        except target.client.exceptions.NoSuchKey:
            return None
        return response["Body"].iter_chunks(CHUNK)
    raise TypeError(f"cannot read search index artefacts from {target.describe()}")


def _chunks_of(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def read_object(target: Target, key: str) -> bytes | None:
    """The bytes of one stored object (a pointer or a manifest), or None when it does not exist."""
    chunks = _open_object(target, key)
    return None if chunks is None else b"".join(chunks)


def open_store(url: str, **options: Any) -> Target:
    """The artefact store at ``file:///path`` or ``s3://bucket/prefix`` (options: endpoint_url, addressing_style)."""
    return open_target(url, **options)


def read_latest(target: Target) -> dict[str, Any] | None:
    """The store's `latest` pointer, or None when nothing was published yet."""
    raw = read_object(target, LATEST_KEY)
    if raw is None:
        return None
    try:
        pointer = json.loads(raw)
        if not all(isinstance(pointer.get(k), str) for k in ("version", "manifest", "sha256")):
            raise ValueError("version, manifest and sha256 must be strings")
    except (ValueError, AttributeError) as exc:
        raise ArtefactRefused(f"the `latest` pointer in {target.describe()} is not valid ({exc}); republish") from exc
    return pointer


def read_manifest(target: Target, pointer: dict[str, Any]) -> dict[str, Any]:
    """The manifest `pointer` names, checked against the pointer's SHA-256, for safe paths and for an index.

    Its "files" come back as ArtefactFile entries.
    """
    where = f"{target.describe()}/{pointer['manifest']}"
    if not pointer["manifest"].startswith(VERSIONS_PREFIX):
        raise ArtefactRefused(f"the `latest` pointer names {pointer['manifest']!r}, not a manifest under versions/")
    raw = read_object(target, pointer["manifest"])
    if raw is None:
        raise ArtefactRefused(f"manifest {where} is missing (a publish did not finish, or it was pruned)")
    if hashlib.sha256(raw).hexdigest() != pointer["sha256"]:
        raise ArtefactRefused(f"manifest {where} does not match the SHA-256 in `latest` (damaged or half-written)")
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT or manifest.get("version") != pointer["version"]:
            raise ValueError(f"not version {pointer['version']} in format {FORMAT}")
        manifest["files"] = [ArtefactFile(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in manifest["files"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArtefactRefused(f"manifest {where} is not readable: {exc}") from exc
    for entry in manifest["files"]:
        _check_path(entry.path)
    paths = {entry.path for entry in manifest["files"]}
    if f"{GENERATION_DIR}{META_FILE}" not in paths or not any(p.endswith(".toc") for p in paths):
        raise ArtefactRefused(f"manifest {where} lists no Whoosh index (no TOC or no {META_FILE})")
    return manifest


def _check_path(path: str) -> None:
    """Refuse any path that could land outside the index folder (the manifest comes over the network)."""
    name = path.removeprefix(GENERATION_DIR)
    safe = name not in {"", ".", ".."} and "/" not in name and "\\" not in name and not name.startswith(".")
    if not safe or (name == path and path not in INDEX_LEVEL_FILES) or name == INSTALLED_FILE:
        raise ArtefactRefused(f"the manifest lists {path!r}, which is not an index file")


def _blob_key(sha256: str) -> str:
    return f"{BLOBS_PREFIX}{sha256}"


# --- the writer --------------------------------------------------------------------------------------------------


@contextmanager
def _staging(index_dir: Path, lock_name: str) -> Iterator[Path]:
    """A private folder inside `index_dir` (same file system, so hard links work), under `lock_name`.

    Leftovers of a process killed mid-way are removed first: the lock says nobody else is using them. Publishing
    and following have their own locks and folders (a restored CMS host may do both).
    """
    role = lock_name.strip(".").split(".")[0]
    with _file_lock(index_dir / lock_name, 600.0, role):
        for old in index_dir.glob(f".{role}-*"):
            shutil.rmtree(old, ignore_errors=True)
        root = index_dir / f".{role}-{secrets.token_hex(4)}"
        root.mkdir()
        try:
            yield root
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def _is_index_file(path: Path) -> bool:
    # Whoosh's lock file and temporary files (ours and suggestions.py's start with a dot) are not part of an index.
    name = path.name
    return path.is_file() and not name.startswith(".") and not name.endswith("WRITELOCK") and name != INSTALLED_FILE


def _stage_live(index_dir: Path, root: Path) -> _Staged:
    """Hard-link the live generation and the labels into `root` while no update can commit.

    Index files are never changed in place (Whoosh writes new segments and TOCs; meta and suggestion tables are
    replaced by rename), so the links keep this exact state after the lock is released, and hashing needs no lock.
    """
    (root / GENERATION_DIR).mkdir()
    with _file_lock(index_dir / WRITE_LOCK, 60.0, "write"):
        generation = current_generation(index_dir)
        for path in sorted(generation.iterdir()):
            if _is_index_file(path):
                _link_or_copy(path, root / GENERATION_DIR / path.name)
        for name in INDEX_LEVEL_FILES:
            if (index_dir / name).is_file():
                _link_or_copy(index_dir / name, root / name)
    staged = _Staged(root=root, generation=generation.name)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        sha, md5, size = _hash_file(path)
        staged.files.append(ArtefactFile(path.relative_to(root).as_posix(), size, sha))
        staged.md5[sha] = md5
    return staged


def _hash_file(path: Path) -> tuple[str, str, int]:
    """(SHA-256, MD5, size) in one read: the manifest names blobs by SHA-256, stores compare MD5s."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), size


def _put_json(target: Target, key: str, data: dict[str, Any]) -> bytes:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    target.put(StoredObject(key, body, hashlib.md5(body).hexdigest(), "application/json", CACHE_NO_CACHE, None))
    return body


def publish(index_dir: Path, target: Target, *, keep: int = DEFAULT_KEEP_VERSIONS) -> PublishReport:
    """Publish the live generation of `index_dir` as a new version in `target` (blobs, manifest, then `latest`).

    Uploads only blobs the store lacks or holds with other bytes (so a publish also repairs a damaged store);
    writes no new version when the live state equals the newest one. Then keeps the `keep` newest manifests
    and the blobs they name.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with _staging(index_dir, PUBLISH_LOCK) as root:
        staged = _stage_live(index_dir, root)
        files = staged.files
        report = PublishReport(version="", files=len(files), bytes=sum(f.size for f in files))
        stored = target.list_md5s()
        for entry in {f.sha256: f for f in files}.values():
            md5 = staged.md5[entry.sha256]
            if stored.get(_blob_key(entry.sha256)) != md5:  # missing, or damaged in the store: (re)write it
                body = (root / entry.path).read_bytes()
                target.put(StoredObject(_blob_key(entry.sha256), body, md5, "application/octet-stream", CACHE_IMMUTABLE, None))
                report.uploaded += 1
                report.uploaded_bytes += entry.size
        newest = _newest_manifest(target)
        if newest is not None and newest["files"] == files:
            report.version, report.unchanged = newest["version"], True
            report.seconds = round(time.perf_counter() - started, 3)
            return report

        meta = read_meta(root / GENERATION_DIR)
        version = _new_generation_name().removeprefix(GENERATION_PREFIX)  # sorts by time, like generations
        manifest = {
            "format": FORMAT,
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "generation": staged.generation,
            "doc_count": meta.get("doc_count"),
            "dictionary_version": meta.get("dictionary_version"),
            "files": [f.__dict__ for f in files],
        }
        manifest_key = f"{VERSIONS_PREFIX}{version}.json"
        body = _put_json(target, manifest_key, manifest)
        # Last: until this is written, followers see the previous version, complete.
        _put_json(target, LATEST_KEY, {"version": version, "manifest": manifest_key, "sha256": hashlib.sha256(body).hexdigest()})
        report.version = version
        report.pruned_versions, report.pruned_blobs = _prune(target, keep, stored, current=manifest)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _newest_manifest(target: Target) -> dict[str, Any] | None:
    """The manifest of the newest published version, or None when there is none or it cannot be read."""
    try:
        pointer = read_latest(target)
        return None if pointer is None else read_manifest(target, pointer)
    except ArtefactRefused as exc:
        logger.warning("Publishing a new search index version over a damaged one: %s", exc)
        return None


def _prune(target: Target, keep: int, stored: dict[str, str], current: dict[str, Any]) -> tuple[int, int]:
    """Delete all but the `keep` newest manifests, then the blobs none of the kept ones names."""
    manifests = sorted(
        {k for k in stored if k.startswith(VERSIONS_PREFIX) and k.endswith(".json")}
        | {f"{VERSIONS_PREFIX}{current['version']}.json"},
        reverse=True,
    )
    kept, dropped = manifests[: max(1, keep)], manifests[max(1, keep) :]
    referenced = {f["sha256"] for f in current["files"]}
    for key in kept:
        raw = read_object(target, key) if key != f"{VERSIONS_PREFIX}{current['version']}.json" else None
        if raw is not None:
            # Read plainly, not through read_manifest: an older manifest needs no pointer to be kept.
            try:
                referenced |= {f["sha256"] for f in json.loads(raw)["files"]}
            except (ValueError, KeyError, TypeError):
                logger.warning("Search index manifest %s in %s is unreadable; its blobs may be pruned", key, target.describe())
    for key in dropped:
        target.delete(key)
    orphans = [k for k in stored if k.startswith(BLOBS_PREFIX) and k.removeprefix(BLOBS_PREFIX) not in referenced]
    for key in orphans:
        target.delete(key)
    return len(dropped), len(orphans)


# --- the followers -----------------------------------------------------------------------------------------------


def installed_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The manifest of the version the live generation of `index_dir` was installed from (None: built locally)."""
    try:
        generation = current_generation(Path(index_dir))
        return json.loads((generation / INSTALLED_FILE).read_text(encoding="utf-8"))
    except (IndexNotFoundError, FileNotFoundError, ValueError):
        return None


def follow_once(target: Target, index_dir: Path) -> FollowReport:
    """Install the newest published version into `index_dir` unless it already serves it.

    The new generation is assembled in a private folder (files the live generation already has are hard-linked,
    the others downloaded), every file is checked against the manifest's size and SHA-256, and only then is it
    renamed into place and CURRENT replaced. Raises ArtefactRefused (the node keeps serving what it has) when the
    artefact is damaged or incomplete; storage errors propagate as the target raised them.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _staging(index_dir, FOLLOW_LOCK) as root:
        pointer = read_latest(target)
        if pointer is None:
            return FollowReport(status="empty")
        serving = installed_manifest(index_dir)
        if serving is not None and serving.get("version") == pointer["version"]:
            return FollowReport(status="current", version=pointer["version"], generation=current_generation(index_dir).name)
        manifest = read_manifest(target, pointer)
        report = _assemble(target, index_dir, manifest, root)
        name = _install(index_dir, manifest, root)
    report.generation = name
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _local_copies(index_dir: Path) -> dict[str, Path]:
    """sha256 -> a file of the live generation that had those bytes when it was installed (None if built locally).

    Only a hint: a writer's updates may have replaced a file since, so every reused file is checked again.
    """
    serving = installed_manifest(index_dir)
    if serving is None:
        return {}
    generation = current_generation(index_dir)
    found = {}
    for entry in serving.get("files", []):
        path = entry["path"]
        found[entry["sha256"]] = generation / path.removeprefix(GENERATION_DIR) if path.startswith(GENERATION_DIR) else index_dir / path
    return found


def _fetch_blob(target: Target, version: str, entry: ArtefactFile, sink: IO[bytes] | None) -> None:
    """Stream one blob into `sink` (None: only read it) and check it against the manifest's entry."""
    chunks = _open_object(target, _blob_key(entry.sha256))
    if chunks is None:
        raise ArtefactRefused(
            f"version {version} in {target.describe()} lacks {entry.path} (blob {entry.sha256[:12]}…): "
            "a half-finished upload or a pruned version"
        )
    sha, size = hashlib.sha256(), 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    if (sha.hexdigest(), size) != (entry.sha256, entry.size):
        raise ArtefactRefused(
            f"version {version} in {target.describe()}: {entry.path} is {size} bytes with SHA-256 "
            f"{sha.hexdigest()[:12]}…, the manifest says {entry.size} bytes and {entry.sha256[:12]}… (damaged)"
        )


def _assemble(target: Target, index_dir: Path, manifest: dict[str, Any], root: Path) -> FollowReport:
    """Every file of `manifest` in `root`, each checked: hard-linked from the live generation when it has the same
    bytes, downloaded otherwise."""
    (root / GENERATION_DIR).mkdir()
    local = _local_copies(index_dir)
    version = manifest["version"]
    report = FollowReport(
        status="installed", version=version, files=len(manifest["files"]),
        doc_count=manifest.get("doc_count"), created=manifest.get("created", ""),
    )
    for entry in manifest["files"]:
        dest = root / entry.path
        source = local.get(entry.sha256)
        if source is not None and source.is_file() and source.stat().st_size == entry.size:
            _link_or_copy(source, dest)
            if _hash_file(dest)[0] == entry.sha256:
                report.reused += 1
                continue
            dest.unlink()
        with open(dest, "wb") as handle:
            _fetch_blob(target, version, entry, handle)
        report.downloaded += 1
        report.downloaded_bytes += entry.size
    return report


def _install(index_dir: Path, manifest: dict[str, Any], root: Path) -> str:
    """Move the verified generation into place and make it live; the old one stays for readers that hold it."""
    generation_dir = root / GENERATION_DIR
    installed = {**manifest, "files": [entry.__dict__ for entry in manifest["files"]]}
    (generation_dir / INSTALLED_FILE).write_text(json.dumps(installed, ensure_ascii=False), encoding="utf-8")
    name = _new_generation_name()
    os.rename(generation_dir, index_dir / name)
    for entry in manifest["files"]:
        if not entry.path.startswith(GENERATION_DIR):
            os.replace(root / entry.path, index_dir / entry.path)
    _write_pointer(index_dir, name)
    _remove_old_generations(index_dir)
    return name


def verify_latest(target: Target) -> dict[str, Any]:
    """Read every file of the newest version and check it against its manifest; returns the manifest.

    For backups (cms/backup.py): a restore checks everything before it changes anything.
    """
    pointer = read_latest(target)
    if pointer is None:
        raise ArtefactRefused(f"nothing was published to {target.describe()}")
    manifest = read_manifest(target, pointer)
    for entry in manifest["files"]:
        _fetch_blob(target, manifest["version"], entry, None)
    return manifest
