"""Publish a built static site to a local folder or an S3-compatible bucket, uploading only the objects
whose bytes changed, in an order that keeps the live site consistent.

files: rules for one file · targets: folder and S3 · diff: what to change · mirror: publish() in phases ·
journal: publish_changes(), only what the builds recorded · result: PublishResult and the errors.
"""

from .diff import DEFAULT_MAX_DELETE_FRACTION, Plan, check_mass_delete, local_md5s, make_plan
from .files import (
    CACHE_DEFAULT,
    CACHE_IMMUTABLE,
    CACHE_NO_CACHE,
    Phase,
    SourceFile,
    StoredObject,
    cache_control_for,
    content_type_for,
    gzip_bytes,
    is_fingerprinted,
    phase_for,
    scan_source,
    source_file,
    stored_object,
)
from .journal import (
    DEFAULT_FULL_EVERY_PUBLISHES,
    DEFAULT_FULL_EVERY_SECONDS,
    MAX_JOURNAL_PATHS,
    note_build_finished,
    note_build_started,
    publish_changes,
)
from .mirror import publish
from .result import MassDeleteRefused, PublishError, PublishResult
from .targets import DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT, DEFAULT_WORKERS, FolderTarget, S3Target, Target, open_target

__all__ = [
    "CACHE_DEFAULT",
    "CACHE_IMMUTABLE",
    "CACHE_NO_CACHE",
    "DEFAULT_FULL_EVERY_PUBLISHES",
    "DEFAULT_FULL_EVERY_SECONDS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_DELETE_FRACTION",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKERS",
    "MAX_JOURNAL_PATHS",
    "FolderTarget",
    "MassDeleteRefused",
    "Phase",
    "Plan",
    "PublishError",
    "PublishResult",
    "S3Target",
    "SourceFile",
    "StoredObject",
    "Target",
    "cache_control_for",
    "check_mass_delete",
    "content_type_for",
    "gzip_bytes",
    "is_fingerprinted",
    "local_md5s",
    "make_plan",
    "note_build_finished",
    "note_build_started",
    "open_target",
    "phase_for",
    "publish",
    "publish_changes",
    "scan_source",
    "source_file",
    "stored_object",
]
