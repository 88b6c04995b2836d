"""Build, swap and incrementally update the on-disk search index (no Django).

Layout of `index_dir`:
    CURRENT            one line: the name of the live generation directory (replaced atomically)
    gen-<stamp>-<rnd>/ a complete Whoosh index plus meta.json (dictionary version, terms, counts)
                       and suggest.json (the suggestion table, see suggestions.py)
    BUILDING, pending.jsonl   only while a full build runs: updates made meanwhile, replayed
                       into the new generation just before it goes live
    .build.lock, .write.lock  advisory locks (fcntl) so two writers never interleave
"""

from __future__ import annotations

import errno
import fcntl
import json
import multiprocessing
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError

from . import suggestions
from .analysis import (
    ANALYZER_VERSION,
    dictionary_for_terms,
    dictionary_version,
    effective_terms,
    version_of_terms,
)
from .schema import TEXT_FIELDS, build_schema, to_fields

POINTER_FILE = "CURRENT"
META_FILE = "meta.json"
BUILDING_FILE = "BUILDING"
PENDING_FILE = "pending.jsonl"
BUILD_LOCK = ".build.lock"
WRITE_LOCK = ".write.lock"
GENERATION_PREFIX = "gen-"

# Generations kept after a swap (the live one included). A reader that opened an older
# generation keeps working until it has been superseded this many times; Whoosh opens some
# files lazily, so deleting a generation under a reader could break it.
KEEP_GENERATIONS = 3

DEFAULT_LOCK_TIMEOUT = 30.0

# A full build forks helpers only for at least this much text per process: below it (the tests,
# a tiny catalogue) the fork and the extra segment cost more than the analysis they share.
MIN_CHARS_PER_PROCESS = 200_000
# Analysis is CPU-bound: more processes than cores only contend. The cap bounds memory
# (each process holds its own posting buffer) on a large machine.
MAX_BUILD_PROCESSES = 8


class IndexNotFoundError(FileNotFoundError):
    """No built index at the given directory."""


class IndexBusyError(RuntimeError):
    """Another process holds the index's write or build lock for longer than the timeout."""


@dataclass(frozen=True)
class BuildReport:
    """What a full build produced."""

    generation: str
    doc_count: int
    seconds: float
    size_bytes: int
    dictionary_version: str
    processes: int  # that analysed and indexed in parallel
    text_chars: int  # characters of the analysed fields of the documents indexed in parallel


@contextmanager
def _file_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive fcntl lock on `path`, waiting at most `timeout` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"could not get the {what} lock on {path} within {timeout:.0f} s: another "
                        "index build or update is running; retry when it finishes (the task "
                        "queue retries by itself)"
                    ) from exc
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path:
    """The directory of the live generation; IndexNotFoundError if none was built yet."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / POINTER_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise IndexNotFoundError(
            f"no search index at {index_dir}: build one first (build_index, or the rebuild task)"
        ) from exc
    generation = index_dir / name
    if not name.startswith(GENERATION_PREFIX) or not generation.is_dir():
        raise IndexNotFoundError(
            f"{index_dir / POINTER_FILE} points at {name!r}, which is not an index generation; "
            "run a full rebuild"
        )
    return generation


def read_meta(generation: Path) -> dict[str, Any]:
    """meta.json of one generation."""
    return json.loads((Path(generation) / META_FILE).read_text(encoding="utf-8"))


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _new_generation_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"


def _read_docs(docs: Iterable[Mapping[str, Any]]) -> tuple[list[dict], dict[str, dict], int]:
    """Validated field dicts in input order, the later versions of repeated keys, and the count read.

    Whoosh's update_document cannot replace a document buffered in the same writer, so a
    repeated key keeps its first place and its last version is applied after the commit.
    """
    count = 0
    first: list[dict] = []
    seen: set[str] = set()
    repeats: dict[str, dict] = {}
    for doc in docs:
        fields = to_fields(doc)
        count += 1
        if fields["key"] in seen:
            repeats[fields["key"]] = fields
            continue
        seen.add(fields["key"])
        first.append(fields)
    return first, repeats, count


def _text_chars(fields: Mapping[str, Any]) -> int:
    return sum(len(fields.get(name, "")) for name in TEXT_FIELDS)


def default_processes(text_chars: int) -> int:
    """Processes for a full build: one per usable core, fewer when the text is too short to pay a fork."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_BUILD_PROCESSES, text_chars // MIN_CHARS_PER_PROCESS))


def _split(fields_list: list[dict], parts: int) -> list[list[dict]]:
    """`fields_list` cut into at most `parts` contiguous, non-empty runs of about equal text length."""
    sizes = [_text_chars(fields) + 1 for fields in fields_list]
    total = sum(sizes)
    chunks: list[list[dict]] = [[] for _ in range(max(1, min(parts, len(fields_list))))]
    done = 0
    for fields, size in zip(fields_list, sizes, strict=True):
        chunks[min(len(chunks) - 1, done * len(chunks) // total)].append(fields)
        done += size
    return [chunk for chunk in chunks if chunk]


# The runs of a parallel build, set by the building process just before it forks its helpers,
# which inherit them (nothing is pickled on the way in).
_build_chunks: list[list[dict]] = []


def _write_segment(generation: str, chunk_no: int, limitmb: int) -> Any:
    """Analyse and index one run of documents into a segment of its own; returns Whoosh's Segment.

    Runs in a helper process (or the building process itself); the building process holds
    Whoosh's write lock for all of them, as Whoosh's own multiprocessing writer does.
    """
    ix = whoosh_index.open_dir(generation)
    writer = ix.writer(_lk=False, limitmb=limitmb)
    # No cancel() on an error: it would delete the temporary folder all the processes share,
    # failing the others with a misleading error; the caller removes the whole generation.
    for fields in _build_chunks[chunk_no]:
        writer.add_document(**fields)
    return writer._finalize_segment()


def _add_in_parallel(ix: Any, generation: Path, fields_list: list[dict], procs: int, limitmb: int, lock_timeout: float) -> int:
    """Index `fields_list` in up to `procs` processes, each run in its own segment; returns how many.

    The runs are contiguous and their segments listed in input order, so every document gets the
    same number, terms, postings and field lengths as in a single-process build (Whoosh numbers
    documents across segments in TOC order, and BM25F statistics are index-wide). The segments
    are not merged: merging is a serial re-read of every posting that would cost about as much as
    the parallel part saves. Helpers are forked so they inherit the loaded jieba dictionary.
    Whoosh's own `ix.writer(procs=N)` hands batches to whichever process is free, so document
    numbers would change from build to build; the private steps used here are the ones its
    MpWriter uses (Whoosh-Reloaded pinned in requirements.txt).
    """
    global _build_chunks
    chunks = _split(fields_list, procs)
    writer = _writer(ix, lock_timeout)  # holds Whoosh's lock; its own segment stays empty
    try:
        _build_chunks = chunks
        if len(chunks) > 1:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(len(chunks) - 1, mp_context=context) as pool:
                helpers = [pool.submit(_write_segment, str(generation), n, limitmb) for n in range(1, len(chunks))]
                segments = [_write_segment(str(generation), 0, limitmb)]
                segments += [future.result() for future in helpers]
        else:
            segments = [_write_segment(str(generation), 0, limitmb)] if chunks else []
    except BaseException:
        writer.cancel()
        raise
    finally:
        _build_chunks = []
    # How Whoosh's MpWriter commits the segments of its sub-writers (multisegment=True).
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()
    return len(chunks)


def _last_per_key(docs: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Validated field dicts, one per key, the last occurrence winning."""
    latest: dict[str, dict] = {}
    for doc in docs:
        fields = to_fields(doc)
        latest.pop(fields["key"], None)
        latest[fields["key"]] = fields
    return list(latest.values())


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_index(
    docs: Iterable[Mapping[str, Any]],
    index_dir: Path,
    extra_terms: Iterable[str] = (),
    *,
    limitmb: int = 512,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    procs: int | None = None,
) -> BuildReport:
    """Build a complete index from `docs` into a new generation and make it live atomically.

    Readers of the previous generation keep answering throughout. Updates made with
    update_documents()/delete_documents() while the build runs are replayed into the new
    generation before the swap, so none is lost. Duplicate keys: the last document wins.
    `procs` processes analyse and index (default: default_processes()); the result is the same
    for any number. `limitmb` is Whoosh's posting buffer per process: past it, sorted runs are
    spilled to disk and merged again, which at 20,000 documents cost 20% more CPU with 128 MB
    than with 512 (each process then peaks at ~570 MB).
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    terms = effective_terms(extra_terms)
    version = version_of_terms(terms)

    with _file_lock(index_dir / BUILD_LOCK, lock_timeout, "build"):
        name = _new_generation_name()
        generation = index_dir / name
        with _file_lock(index_dir / WRITE_LOCK, lock_timeout, "write"):
            # From here on, concurrent updates are also journalled for the new generation.
            # A leftover marker from a crashed build is simply overwritten.
            (index_dir / PENDING_FILE).unlink(missing_ok=True)
            _write_json_atomic(index_dir / BUILDING_FILE, {"generation": name})
        try:
            generation.mkdir()
            ix = whoosh_index.create_in(str(generation), build_schema(terms))
            fields_list, repeats, count = _read_docs(docs)
            text_chars = sum(map(_text_chars, fields_list))
            # Loaded before the helpers fork, so they share it instead of each reading jieba's
            # dictionary again (~1 s apiece).
            _ = dictionary_for_terms(terms).tokenizer
            used = _add_in_parallel(
                ix, generation, fields_list, procs or default_processes(text_chars), limitmb, lock_timeout
            )
            del fields_list
            if repeats:
                writer = _writer(ix, lock_timeout)
                for fields in repeats.values():
                    writer.update_document(**fields)
                writer.commit()

            with _file_lock(index_dir / WRITE_LOCK, lock_timeout, "write"):
                _replay_pending(index_dir, ix)
                doc_count = ix.doc_count()
                suggestions.write_table(ix, generation, terms)
                _write_json_atomic(
                    generation / META_FILE,
                    {
                        "dictionary_version": version,
                        "analyzer_version": ANALYZER_VERSION,
                        "terms": list(terms),
                        "doc_count": doc_count,
                        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "documents_read": count,
                    },
                )
                _write_pointer(index_dir, name)
                (index_dir / BUILDING_FILE).unlink(missing_ok=True)
                (index_dir / PENDING_FILE).unlink(missing_ok=True)
        except BaseException:
            with _file_lock(index_dir / WRITE_LOCK, lock_timeout, "write"):
                (index_dir / BUILDING_FILE).unlink(missing_ok=True)
                (index_dir / PENDING_FILE).unlink(missing_ok=True)
            shutil.rmtree(generation, ignore_errors=True)
            raise
        _remove_old_generations(index_dir)

    return BuildReport(
        generation=name,
        doc_count=doc_count,
        seconds=round(time.perf_counter() - started, 3),
        size_bytes=_dir_size(generation),
        dictionary_version=version,
        processes=used,
        text_chars=text_chars,
    )


def _write_pointer(index_dir: Path, name: str) -> None:
    # os.replace is atomic on POSIX: a reader sees either the old or the new name, never half.
    tmp = index_dir / f".{POINTER_FILE}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / POINTER_FILE)


def _remove_old_generations(index_dir: Path, keep: int = KEEP_GENERATIONS) -> None:
    try:
        live = current_generation(index_dir).name
    except IndexNotFoundError:
        return
    generations = sorted(
        (p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith(GENERATION_PREFIX)),
        key=lambda p: p.name,
        reverse=True,
    )
    # Newest first: the live generation plus the (keep - 1) newest others survive.
    others = [p for p in generations if p.name != live]
    for path in others[keep - 1 :]:
        shutil.rmtree(path, ignore_errors=True)


def _replay_pending(index_dir: Path, ix: Any) -> None:
    """Apply updates journalled while a build ran (caller holds the write lock)."""
    pending = index_dir / PENDING_FILE
    if not pending.exists():
        return
    # Only the last operation per key matters; collapsing them also avoids two buffered
    # versions of one key in the same writer.
    last: dict[str, dict[str, Any]] = {}
    for line in pending.read_text(encoding="utf-8").splitlines():
        if line.strip():
            op = json.loads(line)
            key = op["doc"]["key"] if op["op"] == "update" else op["key"]
            last.pop(key, None)
            last[key] = op
    writer = _writer(ix, DEFAULT_LOCK_TIMEOUT)
    try:
        for key, op in last.items():
            if op["op"] == "update":
                writer.update_document(**to_fields(op["doc"]))
            else:
                writer.delete_by_term("key", key)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _journal(index_dir: Path, ops: list[dict[str, Any]]) -> None:
    """Record ops for a build in progress (caller holds the write lock)."""
    if not (index_dir / BUILDING_FILE).exists():
        return
    with open(index_dir / PENDING_FILE, "a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(op, ensure_ascii=False) + "\n" for op in ops)


def _writer(ix: Any, timeout: float, **kwargs: Any) -> Any:
    """A Whoosh writer; its own lock is normally free because we hold ours first."""
    try:
        return ix.writer(timeout=timeout, **kwargs)
    except LockError as exc:
        raise IndexBusyError(
            f"Whoosh's write lock in {ix.storage.folder} stayed taken for {timeout:.0f} s; if no "
            "indexing process is running, a crashed one left it: delete the generation's "
            "*_WRITELOCK file"
        ) from exc


def _open_live(index_dir: Path) -> tuple[Path, Any]:
    generation = current_generation(index_dir)
    return generation, whoosh_index.open_dir(str(generation))


def update_documents(
    docs: Iterable[Mapping[str, Any]], index_dir: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> int:
    """Add or replace documents (matched by key) in the live index; returns how many.

    Documents are validated before anything is written, so one bad record changes nothing.
    """
    index_dir = Path(index_dir)
    docs = list(docs)
    fields_list = _last_per_key(docs)  # validates everything before the first write
    if not fields_list:
        return 0
    with _file_lock(index_dir / WRITE_LOCK, lock_timeout, "write"):
        generation, ix = _open_live(index_dir)
        writer = _writer(ix, lock_timeout)
        try:
            for fields in fields_list:
                writer.update_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        _journal(index_dir, [{"op": "update", "doc": dict(doc)} for doc in docs])
        _after_change(ix, generation, [fields["key"] for fields in fields_list])
    return len(fields_list)


def delete_documents(
    keys: Iterable[str], index_dir: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> int:
    """Delete documents by key from the live index; returns how many were found and deleted."""
    index_dir = Path(index_dir)
    keys = [k for k in keys if k]
    if not keys:
        return 0
    with _file_lock(index_dir / WRITE_LOCK, lock_timeout, "write"):
        generation, ix = _open_live(index_dir)
        writer = _writer(ix, lock_timeout)
        deleted = 0
        try:
            for key in keys:
                deleted += writer.delete_by_term("key", key)
        except BaseException:
            writer.cancel()
            raise
        if deleted:
            writer.commit()
        else:
            writer.cancel()
        # Journalled even when nothing was found here: a build in progress may hold these keys.
        _journal(index_dir, [{"op": "delete", "key": key} for key in keys])
        if deleted:
            # sync_item deletes every key an item could have had, and most never existed:
            # rewriting the suggestion table for nothing took 1-2 s at 20,000 documents.
            _after_change(ix, generation, keys)
    return deleted


def _after_change(ix: Any, generation: Path, changed_keys: list[str]) -> None:
    """Keep meta.json's count and the suggestion table in step with an incremental change."""
    meta = read_meta(generation)
    meta["doc_count"] = ix.doc_count()
    meta["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    suggestions.write_table(ix, generation, meta["terms"], changed_keys)
    _write_json_atomic(generation / META_FILE, meta)


def index_is_stale(index_dir: Path, extra_terms: Iterable[str] = ()) -> bool:
    """True when the live index was built with another dictionary than the current one.

    `extra_terms` are the editors' terms as they are now. A missing index counts as stale.
    """
    try:
        meta = read_meta(current_generation(index_dir))
    except (IndexNotFoundError, FileNotFoundError):
        return True
    return meta.get("dictionary_version") != dictionary_version(extra_terms)


def index_size_bytes(index_dir: Path) -> int:
    """Bytes on disk of the live generation (Whoosh files, meta and suggestion table)."""
    return _dir_size(current_generation(index_dir))


def index_info(index_dir: Path) -> dict[str, Any]:
    """Health figures for admins: generation, doc count, size, dictionary version, dates."""
    generation = current_generation(index_dir)
    meta = read_meta(generation)
    return {
        "generation": generation.name,
        "doc_count": meta.get("doc_count"),
        "size_bytes": _dir_size(generation),
        "dictionary_version": meta.get("dictionary_version"),
        "built_at": meta.get("built_at"),
        "updated_at": meta.get("updated_at"),
        "building": (Path(index_dir) / BUILDING_FILE).exists(),
    }


def keys_with_prefix(index_dir: Path, prefix: str) -> list[str]:
    """Keys of live documents starting with `prefix` ("episode:7:"), read from the key field's terms."""
    generation = current_generation(Path(index_dir))
    ix = whoosh_index.open_dir(str(generation))
    with ix.searcher() as searcher:
        found = []
        for key in searcher.reader().expand_prefix("key", prefix):
            key = key.decode("utf-8") if isinstance(key, bytes) else key
            if any(True for _ in searcher.documents(key=key)):
                found.append(key)
        return found
