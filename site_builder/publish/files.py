"""Rules for one file of the built site: its key, content type, caching, compression and upload phase."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import posixpath
import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from .result import PublishError

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
    suffix = _suffix(lower)
    if lower.endswith(".atom.xml"):
        base = "application/atom+xml"
    elif lower.endswith(".rss.xml"):
        base = "application/rss+xml"
    else:
        base = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(lower)[0] or "application/octet-stream"
    return f"{base}; charset=utf-8" if is_text_type(base) else base


def is_text_type(content_type: str) -> bool:
    """True for content types stored with a charset and gzipped on S3."""
    base = content_type.split(";", 1)[0].strip()
    return base.startswith("text/") or base in _TEXT_APPLICATION_TYPES or base.endswith(("+xml", "+json"))


def phase_for(key: str) -> Phase:
    """Which upload phase a key belongs to."""
    suffix = _suffix(key.lower())
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


def _suffix(key: str) -> str:
    """What Path(key).suffix says, without building a Path: this runs for every file of a 12,000-file site."""
    return posixpath.splitext(posixpath.basename(key))[1]


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


def source_file(key: str, path: Path) -> SourceFile:
    """The SourceFile for a site key and the file holding it."""
    content_type = content_type_for(key)
    return SourceFile(
        key=key,
        path=path,
        phase=phase_for(key),
        content_type=content_type,
        cache_control=cache_control_for(key),
        is_text=is_text_type(content_type),
    )


def scan_source(source_dir: Path) -> list[SourceFile]:
    """Every file under the built site, sorted by key (one walk of plain strings: 12,000 files)."""
    if not source_dir.is_dir():
        raise PublishError(f"The folder to publish, {source_dir}, does not exist or is not a folder.")
    root_dir = os.fspath(source_dir)
    found = []
    for root, dirs, names in os.walk(root_dir):
        dirs.sort()
        prefix = root[len(root_dir) + 1:].replace(os.sep, "/") + "/" if root != root_dir else ""  # roots start with root_dir
        for name in names:
            full = os.path.join(root, name)
            if os.path.isfile(full):  # a link to a folder is walked as a folder's name: skip it like rglob's is_file did
                found.append((prefix + name, full))
    found.sort()
    return [source_file(key, Path(full)) for key, full in found]
