"""Open index snapshots and the tables ranking reads from them.

A Snapshot is one Whoosh searcher over the live generation. What ranking needs from it (posting
bitmasks, BM25F term weights, term positions, facet bitmasks, dates) is read per Whoosh *segment* and
kept in a process-wide cache: a segment's files never change once written (deletions are recorded
beside them), so after an incremental update the new searcher reuses everything read from the large
segment and reads only the small new one. That keeps the first query after an update as fast as the
rest. Snapshots are pooled across requests by pooled_snapshot().
"""

from __future__ import annotations

import copy
import math
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .analysis import Dictionary, dictionary_for_terms
from .indexer import current_generation, read_meta
from .schema import PAGE_TEXT_FIELD, PAGE_TYPE
from .suggestions import SuggestionTable, load_table

# Whoosh's default BM25F parameters (whoosh.scoring.BM25F), reproduced by Snapshot.term_weights().
B = 0.75
K1 = 1.2
# A segment's per-term BM25 parts depend on the index-wide average field length, which moves a little
# with every update; they are reused while it has moved less than this (scores then differ from a
# fresh computation by less than this fraction) and recomputed after.
AVGFL_TOLERANCE = 0.01
# Facets counted per result: field -> facet name in SearchResult.facets.
FACET_FIELDS = {"type": "type", "columns": "column", "district": "district"}
DATE_FIELD = "date"

# A segment this small (one added by an update) is read from its stored documents: cheaper than
# walking its term lists for facets and dates.
SMALL_SEGMENT = 256
# Postings held per segment (about 150 bytes each with their BM25 parts and positions), least
# recently used dropped first, and segments held per process.
SEGMENT_POSTINGS_BUDGET = 600_000
MAX_SEGMENTS = 24
SNAPSHOT_TERM_CACHE = 2000


# --- Whoosh-Reloaded 2.7.5 internals (pinned in requirements.txt) -------------------------------
# Read here and nowhere else. Walking a Whoosh matcher posting by posting costs microseconds each;
# reading each block's arrays is about a tenth of that. tests/search_index/test_ranking.py checks
# the scores built from them against Whoosh's own BM25F scorer, so an upgrade or a fork switch that
# changes these internals fails there rather than changing results silently.


def _read_postings(leaf: Any, fieldname: str, term: str) -> tuple[array, array, tuple | None]:
    """All postings of `term` in one segment, deleted documents included:
    (segment docnums ascending, Whoosh weights = frequency × field boost, encoded positions or None)."""
    ids, weights = array("I"), array("f")
    if (fieldname, term) not in leaf:
        return ids, weights, None
    fmt = leaf.schema[fieldname].format
    with_values = fmt.supports("positions")
    values: list = []
    raw = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, term), fmt)
    while raw.is_active():
        raw._read_ids()
        raw._read_weights()
        ids.extend(raw._ids)
        weights.extend(raw._weights)
        if with_values:
            raw._read_values()
            values.extend(raw._values)
        raw._next_block()
    return ids, weights, (tuple(values) if with_values else None)


def _refreshed_searcher(ix: Any, old: Any) -> Any:
    """A searcher of the index's latest generation that keeps `old`'s open segment readers.

    Opening a segment reader costs milliseconds per segment (the terms file's hash directory, the
    stored-fields offsets on first use), after every update. A segment's files never change, only
    its deletions, so an old reader gets the new segment (with its deletions) and keeps its files.
    Whoosh's own reuse (searcher.refresh()) is broken in 2.7.5: it appends the old segments to the
    new ones, so replaced or deleted documents stay visible. `old` must not be used afterwards.
    """
    toc = ix._read_toc()
    reusable = {r.segment().segment_id(): r for r, _offset in old.reader().leaf_readers() if r.segment() is not None}
    readers = []
    for segment in toc.segments:
        reader = reusable.pop(segment.segment_id(), None)
        if reader is None:
            reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        else:
            reader = copy.copy(reader)
            reader._segment = segment
            reader._gen = toc.generation
            reader._perdoc = copy.copy(reader._perdoc)
            reader._perdoc._segment = segment
            reader.__dict__.pop("deleted_docs_set", None)  # a cached_property of the old deletions
        readers.append(reader)
    for reader in reusable.values():  # segments merged away by the update
        reader.close()
    if not readers:
        merged = EmptyReader(toc.schema)
    elif len(readers) == 1:
        merged = readers[0]
    else:
        merged = MultiReader(readers, generation=toc.generation)
    return Searcher(merged, fromindex=ix)


def _read_lengths(leaf: Any, fieldname: str) -> list[int]:
    """segment docnum -> length of `fieldname` as Whoosh's scorer sees it (byte-quantised)."""
    column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return [0] * leaf.doc_count_all()
    table = [byte_to_length(b) for b in range(256)]
    return [table[b] for b in column]


# --- per-segment tables -------------------------------------------------------------------------


@dataclass
class Postings:
    """One term's postings in one segment (deletions not applied) and what is derived from them."""

    ids: array
    weights: array
    values: tuple | None
    bits: int
    scored: Scored | None = None
    _positions_of: dict[int, bytes] | None = None

    def encoded_positions(self, docnum: int) -> bytes | None:
        if self.values is None:
            return None
        if self._positions_of is None:
            self._positions_of = dict(zip(self.ids, self.values, strict=True))
        return self._positions_of.get(docnum)


@dataclass(frozen=True)
class Scored:
    """A term's BM25 parts in one segment, computed at one average field length (replaced whole)."""

    avgfl: float
    parts: dict[int, float]  # segment docnum -> BM25 part (the score divided by the idf)
    by_part: array  # segment docnums, largest part first
    max_part: float
    _shifted: dict[int, dict[int, float]] = field(default_factory=dict)
    _merged: dict[tuple, tuple[tuple, dict[int, float]]] = field(default_factory=dict)

    def shifted(self, offset: int) -> dict[int, float]:
        """`parts` keyed by docnum + offset (the segment's docnums in a snapshot), kept per offset."""
        if not offset:
            return self.parts
        found = self._shifted.get(offset)
        if found is None:
            found = self._shifted[offset] = {d + offset: p for d, p in self.parts.items()}
        return found

    def merged(self, offset: int, others: tuple[tuple[Scored, int], ...]) -> dict[int, float]:
        """This segment's parts at `offset` and the `others` at theirs in one table, kept for the
        same others: after an update, a term the new segment lacks reuses the table of before."""
        key = (offset, tuple((id(scored), at) for scored, at in others))
        found = self._merged.get(key)
        if found is not None and all(a is b for (a, _), (b, _) in zip(found[0], others, strict=True)):
            return found[1]
        table = dict(self.shifted(offset))
        for scored, at in others:
            table.update(scored.shifted(at))
        if len(self._merged) >= 2:
            self._merged.clear()  # tables of layouts before the last update or two
        self._merged[key] = (others, table)
        return table


class Segment:
    """What ranking reads from one immutable Whoosh segment, read once and shared by every snapshot
    (and thread) that contains the segment."""

    def __init__(self, size: int):
        self.size = size
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._held = 0
        self._lengths: dict[str, list[int]] = {}
        self._dates: list[str] | None = None
        self._keys: list[str] | None = None
        self._order: list[int] | None = None
        self._facets: dict[str, dict[str, int]] | None = None
        self._lock = threading.Lock()

    def postings(self, leaf: Any, fieldname: str, term: str) -> Postings:
        key = (fieldname, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        ids, weights, values = _read_postings(leaf, fieldname, term)
        found = Postings(ids=ids, weights=weights, values=values, bits=bits_of(ids, self.size))
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._held += len(ids)
                while self._held > SEGMENT_POSTINGS_BUDGET and len(self._postings) > 1:
                    _key, old = self._postings.popitem(last=False)
                    self._held -= len(old.ids)
        return found

    def lengths(self, leaf: Any, fieldname: str) -> list[int]:
        found = self._lengths.get(fieldname)
        if found is None:
            found = self._lengths[fieldname] = _read_lengths(leaf, fieldname)
        return found

    def scored(self, leaf: Any, fieldname: str, term: str, avgfl: float) -> Scored:
        """The term's BM25 parts at an average field length within AVGFL_TOLERANCE of `avgfl`."""
        post = self.postings(leaf, fieldname, term)
        found = post.scored
        if found is None or abs(found.avgfl / avgfl - 1) > AVGFL_TOLERANCE:
            lengths = self.lengths(leaf, fieldname)
            parts = {}
            for d, tf in zip(post.ids, post.weights, strict=True):
                # whoosh.scoring.bm25() without the idf factor, which is index-wide and applied by the caller.
                parts[d] = (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * (lengths[d] or 1) / avgfl))
            by_part = array("I", sorted(parts, key=parts.__getitem__, reverse=True))
            found = post.scored = Scored(avgfl, parts, by_part, parts[by_part[0]] if by_part else 0.0)
        return found

    def _stored(self, leaf: Any) -> list[dict]:
        return [leaf.stored_fields(d) for d in range(self.size)]

    def dates(self, leaf: Any) -> list[str]:
        """segment docnum -> "YYYY-MM-DD" or "", from the date field's column (a small segment's
        from its stored documents)."""
        if self._dates is None and self.size <= SMALL_SEGMENT:
            self._dates = [stored.get(DATE_FIELD) or "" for stored in self._stored(leaf)]
        if self._dates is None:
            decoded: dict[bytes, str] = {}
            dates = []
            for raw in leaf.column_reader(DATE_FIELD, translate=False):
                text = decoded.get(raw)
                if text is None:
                    text = decoded[raw] = raw.decode("utf-8")
                dates.append(text)
            self._dates = dates
        return self._dates

    def newest_first(self, leaf: Any) -> list[int]:
        """Segment docnums, newest date first (an empty date last), ties by docnum."""
        if self._order is None:
            self._order = sorted(range(self.size), key=self.date_keys(leaf).__getitem__)
        return self._order

    def date_keys(self, leaf: Any) -> list[str]:
        """segment docnum -> a key that sorts newest first."""
        if self._keys is None:
            self._keys = [_neg_date(date) for date in self.dates(leaf)]
        return self._keys

    def facets(self, leaf: Any) -> dict[str, dict[str, int]]:
        """facet name -> value -> bitmask of segment docnums, from the facet fields' posting lists (a
        small segment's from its stored documents)."""
        if self._facets is None and self.size <= SMALL_SEGMENT:
            facets = {name: {} for name in FACET_FIELDS.values()}
            for d, stored in enumerate(self._stored(leaf)):
                for fieldname, name in FACET_FIELDS.items():
                    for value in (stored.get(fieldname) or "").split(","):
                        if value:
                            facets[name][value] = facets[name].get(value, 0) | 1 << d
            self._facets = facets
        if self._facets is None:
            facets = {}
            for fieldname, name in FACET_FIELDS.items():
                values = {}
                for raw in leaf.lexicon(fieldname):
                    value = raw.decode("utf-8")
                    values[value] = bits_of(_read_postings(leaf, fieldname, value)[0], self.size)
                facets[name] = values
            self._facets = facets
        return self._facets


_segments: OrderedDict[tuple[str, str], Segment] = OrderedDict()
_segments_lock = threading.Lock()


def _segment_for(generation: Path, leaf: Any) -> Segment:
    key = (str(generation), leaf.segment().segment_id())
    with _segments_lock:
        found = _segments.get(key)
        if found is None:
            found = _segments[key] = Segment(leaf.doc_count_all())
            while len(_segments) > MAX_SEGMENTS:
                _segments.popitem(last=False)
        else:
            _segments.move_to_end(key)
        return found


# --- snapshots ----------------------------------------------------------------------------------


@dataclass
class Leaf:
    """One segment as a snapshot sees it: where its docnums start and which of them are deleted."""

    reader: Any
    offset: int
    segment: Segment
    deleted: int  # bitmask of deleted segment docnums


@dataclass
class Snapshot:
    """One open generation of the index; keeps answering after a rebuild swaps in a newer one."""

    index_dir: Path
    generation: Path
    ix: Any
    searcher: Any
    dictionary: Dictionary

    _leaves: list[Leaf] | None = None
    _offsets: list[int] = field(default_factory=list)
    _term_bits: dict[tuple[str, str], int] = field(default_factory=dict)
    _term_weights: dict[tuple[str, str], tuple[float, dict[int, float], float]] = field(default_factory=dict)
    _all_bits: int | None = None
    _dates: list[str] | None = None
    _date_order: list[int] | None = None
    _facet_bits: dict[str, dict[str, int]] | None = None
    results: OrderedDict = field(default_factory=OrderedDict)

    def reset(self) -> None:
        """Forget everything derived from the searcher (after it was replaced); segment tables stay."""
        self._leaves = None
        self._offsets = []
        self._term_bits = {}
        self._term_weights = {}
        self._all_bits = None
        self._dates = None
        self._date_order = None
        self._facet_bits = None
        self.results = OrderedDict()

    def leaves(self) -> list[Leaf]:
        if self._leaves is None:
            leaves = []
            for reader, offset in self.searcher.reader().leaf_readers():
                if not reader.doc_count_all():
                    continue  # an empty index has a reader without segments
                deleted = bits_of(reader.deleted_docs_set) if reader.has_deletions() else 0
                leaves.append(Leaf(reader, offset, _segment_for(self.generation, reader), deleted))
            self._leaves = leaves
            self._offsets = [leaf.offset for leaf in leaves]
        return self._leaves

    def term_bits(self, fieldname: str, term: str) -> int:
        """Live docnums with `term` in `fieldname` as a bitmask (bit n = docnum n).

        Bitmasks (Python ints) make the AND/OR of words, the facet counts and the filters a few
        microseconds each instead of set operations over thousands of docnums.
        """
        key = (fieldname, term)
        found = self._term_bits.get(key)
        if found is None:
            found = 0
            for leaf in self.leaves():
                bits = leaf.segment.postings(leaf.reader, fieldname, term).bits
                found |= (bits & ~leaf.deleted) << leaf.offset
            if len(self._term_bits) > SNAPSHOT_TERM_CACHE:
                self._term_bits.clear()
            self._term_bits[key] = found
        return found

    def term_weights(self, fieldname: str, term: str) -> tuple[float, dict[int, float], float]:
        """(idf, docnum -> BM25 part, largest part) of `term` in `fieldname`: idf × part is the score
        Whoosh's default BM25F scorer gives the term in that document (field boost included, since
        Whoosh stores it in the term's weight). May include deleted docnums; look up live ones only."""
        key = (fieldname, term)
        found = self._term_weights.get(key)
        if found is None and fieldname not in self.searcher.schema:
            found = (0.0, {}, 0.0)  # an index built before the field existed
        if found is None:
            avgfl = self.avg_length(fieldname) or 1
            tables = [leaf.segment.scored(leaf.reader, fieldname, term, avgfl) for leaf in self.leaves()]
            top = max((scored.max_part for scored in tables), default=0.0)
            nonempty = [(scored, leaf.offset) for scored, leaf in zip(tables, self.leaves(), strict=True) if scored.parts]
            if not nonempty:
                merged = {}
            elif len(nonempty) == 1:
                merged = nonempty[0][0].shifted(nonempty[0][1])  # shared with the segment, not copied
            else:
                merged = nonempty[0][0].merged(nonempty[0][1], tuple(nonempty[1:]))
            idf = self._idf(fieldname, term) if top else 0.0
            found = (idf, merged, top)
            if len(self._term_weights) > SNAPSHOT_TERM_CACHE // 4:
                self._term_weights.clear()
            self._term_weights[key] = found
        return found

    def avg_length(self, fieldname: str) -> float:
        """Whoosh's average field length (over every document, deleted ones included), except that fields the
        pages of books never have (all but the body) are averaged over the other documents: 400,000 pages without
        a title would otherwise make every title look 30 times too long, and a page's running head would outrank
        the book's own title. Without page documents this is exactly Whoosh's figure."""
        searcher = self.searcher
        documents = searcher.doc_count_all()
        if fieldname != PAGE_TEXT_FIELD:
            documents -= searcher.reader().doc_frequency("type", PAGE_TYPE)
        return searcher.reader().field_length(fieldname) / documents if documents > 0 else 0.0

    def _idf(self, fieldname: str, term: str) -> float:
        # whoosh.scoring.WeightingModel.idf() from the posting counts already read (Whoosh would look
        # the term up in every segment's term table again): deleted documents count, as in Whoosh.
        frequency = sum(len(leaf.segment.postings(leaf.reader, fieldname, term).ids) for leaf in self.leaves())
        return math.log(self.searcher.doc_count_all() / (frequency + 1)) + 1

    def by_part(self, fieldname: str, term: str) -> list[Iterator[int]]:
        """Per segment, the docnums holding `term` in `fieldname`, largest BM25 part first (deleted
        ones included), for ranking that stops reading once the rest cannot matter."""
        avgfl = self.avg_length(fieldname) if fieldname in self.searcher.schema else None
        if not avgfl:
            return []
        runs = []
        for leaf in self.leaves():
            order = leaf.segment.scored(leaf.reader, fieldname, term, avgfl).by_part
            if order:
                runs.append(map(leaf.offset.__add__, order) if leaf.offset else iter(order))
        return runs

    def positions(self, fieldname: str, term: str, docnum: int) -> list[int]:
        """Word positions of `term` in `fieldname` of one live document (empty if it lacks the term)."""
        leaves = self.leaves()
        i = bisect_right(self._offsets, docnum) - 1
        if i < 0:
            return []
        leaf = leaves[i]
        encoded = leaf.segment.postings(leaf.reader, fieldname, term).encoded_positions(docnum - leaf.offset)
        if encoded is None:
            return []
        return leaf.reader.schema[fieldname].format.decode_positions(encoded)

    def all_bits(self) -> int:
        if self._all_bits is None:
            bits = 0
            for leaf in self.leaves():
                bits |= (((1 << leaf.segment.size) - 1) & ~leaf.deleted) << leaf.offset
            self._all_bits = bits
        return self._all_bits

    def dates(self) -> list[str]:
        """docnum -> "YYYY-MM-DD" or "" (deleted docnums included)."""
        if self._dates is None:
            dates: list[str] = []
            for leaf in self.leaves():
                dates[leaf.offset :] = leaf.segment.dates(leaf.reader)
            self._dates = dates
        return self._dates

    def date_order(self) -> list[int]:
        """Every docnum (deleted ones included), newest date first (an empty date last), ties by docnum."""
        if self._date_order is None:
            leaves = self.leaves()
            if len(leaves) == 1 and leaves[0].offset == 0:
                self._date_order = leaves[0].segment.newest_first(leaves[0].reader)
            else:
                # Each segment's order is already sorted: Timsort merges the runs in linear time.
                # A stable sort keeps equal dates in docnum order.
                keys = [key for leaf in leaves for key in leaf.segment.date_keys(leaf.reader)]
                runs = [d + leaf.offset for leaf in leaves for d in leaf.segment.newest_first(leaf.reader)]
                self._date_order = sorted(runs, key=keys.__getitem__)
        return self._date_order

    def facet_bits(self) -> dict[str, dict[str, int]]:
        """facet name -> value -> bitmask of its live docnums; a facet count is one AND and a bit_count."""
        if self._facet_bits is None:
            merged: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS.values()}
            for leaf in self.leaves():
                for name, values in leaf.segment.facets(leaf.reader).items():
                    out = merged[name]
                    for value, bits in values.items():
                        out[value] = out.get(value, 0) | (bits & ~leaf.deleted) << leaf.offset
            self._facet_bits = {name: {v: b for v, b in values.items() if b} for name, values in merged.items()}
        return self._facet_bits

    @property
    def table(self) -> SuggestionTable:
        return load_table(self.generation)

    def close(self) -> None:
        self.searcher.close()


def open_snapshot(index_dir: Path) -> Snapshot:
    """Open the live generation of `index_dir` for searching."""
    index_dir = Path(index_dir)
    generation = current_generation(index_dir)
    # Without mmap: Whoosh-Reloaded 2.7.5 copies each file of a memory-mapped compound segment into a
    # BytesIO whenever a reader opens it (tens of megabytes, ~100 ms at 20,000 documents, after every
    # update); plain file reads cost nothing to open, and what ranking reads is cached per segment.
    ix = FileStorage(str(generation), supports_mmap=False, readonly=True).open_index()
    meta = read_meta(generation)
    return Snapshot(
        index_dir=index_dir,
        generation=generation,
        ix=ix,
        searcher=ix.searcher(),
        # The terms the index was built with, not today's: queries must cut text the same way.
        dictionary=dictionary_for_terms(meta["terms"]),
    )


# Snapshots are opened once and reused by whichever thread needs one next (a dev server or a
# threaded WSGI worker starts a thread per request); each is used by one thread at a time, since
# Whoosh searchers are not safe to share. Their segment tables are shared (see Segment).
_idle: dict[Path, list[Snapshot]] = {}
_idle_lock = threading.Lock()
MAX_IDLE_SNAPSHOTS = 8


@contextmanager
def pooled_snapshot(index: Path | str | Snapshot) -> Iterator[Snapshot]:
    """A snapshot of the live generation for the duration of one query, refreshed after swaps and updates."""
    if isinstance(index, Snapshot):
        yield index
        return
    index_dir = Path(index)
    with _idle_lock:
        idle = _idle.setdefault(index_dir, [])
        snap = idle.pop() if idle else None
    live = current_generation(index_dir)
    if snap is None or snap.generation != live:
        if snap is not None:
            snap.close()
        snap = open_snapshot(index_dir)
    elif not snap.searcher.up_to_date():
        # An incremental update committed a new Whoosh generation inside the same directory.
        snap.searcher = _refreshed_searcher(snap.ix, snap.searcher)
        snap.reset()
    try:
        yield snap
    finally:
        with _idle_lock:
            if len(idle) < MAX_IDLE_SNAPSHOTS:
                idle.append(snap)
                snap = None
        if snap is not None:
            snap.close()


def bits_of(docnums: Any, size: int | None = None) -> int:
    """A bitmask with bit n set for each docnum n (`size`: an upper bound of the docnums, if known)."""
    if size is None:
        docnums = list(docnums)
        if not docnums:
            return 0
        size = max(docnums) + 1
    buf = bytearray(size // 8 + 1)
    for i in docnums:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def docnums(bits: int) -> list[int]:
    """The docnums set in a bitmask, ascending."""
    if not bits:
        return []
    text = bin(bits)[:1:-1]  # least significant bit first
    out = []
    find = text.find
    i = find("1")
    while i != -1:
        out.append(i)
        i = find("1", i + 1)
    return out


def _neg_date(date: str) -> str:
    # "2021-07-01" sorts newest first as its digit complement; an empty date sorts last.
    return date.translate(_COMPLEMENT) if date else "~"


_COMPLEMENT = str.maketrans("0123456789", "9876543210")
