"""Open index snapshots: one Whoosh searcher per generation with per-searcher tables (posting
bitmasks, BM25F term scores, field lengths, facets, date order), pooled across requests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from .analysis import Dictionary, dictionary_for_terms
from .indexer import current_generation, read_meta
from .suggestions import SuggestionTable, load_table

TERM_CACHE_SIZE = 4000
# Whoosh's default BM25F parameters, reproduced by Snapshot.term_scores().
B = 0.75
K1 = 1.2


@dataclass
class Snapshot:
    """One open generation of the index; keeps answering after a rebuild swaps in a newer one."""

    index_dir: Path
    generation: Path
    ix: Any
    searcher: Any
    meta: dict[str, Any]
    dictionary: Dictionary

    _facet_rows: dict[int, tuple[str, tuple[str, ...], str]] | None = None
    _facet_bits: dict[str, dict[str, int]] | None = None
    _term_bits: dict[tuple[str, str], int] = field(default_factory=dict)
    _all_bits: int | None = None
    _date_order: list[int] | None = None
    _term_scores: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)
    _lengths: dict[str, list[int]] = field(default_factory=dict)
    results: OrderedDict = field(default_factory=OrderedDict)

    def reset(self) -> None:
        """Forget everything derived from the searcher (after it was replaced)."""
        self._facet_rows = None
        self._facet_bits = None
        self._term_bits = {}
        self._all_bits = None
        self._date_order = None
        self._term_scores = {}
        self._lengths = {}
        self.results = OrderedDict()

    def term_bits(self, fieldname: str, word: str) -> int:
        """Live docnums containing `word` in `fieldname` as a bitmask (bit n = docnum n).

        Read block by block from the posting lists: iterating a Whoosh matcher posting by posting
        costs microseconds each. Reading each block's id array (whoosh3 W3LeafMatcher internals,
        Whoosh-Reloaded 2.7.5 pinned) is about a tenth of that. Bitmasks (Python ints) make the
        AND/OR of words, the facet counts and the filters a few microseconds each instead of
        set operations over thousands of docnums. Cached per searcher.
        """
        key = (fieldname, word)
        cached = self._term_bits.get(key)
        if cached is not None:
            return cached
        found = 0
        for leaf, offset in self.searcher.reader().leaf_readers():
            if (fieldname, word) not in leaf:
                continue
            raw = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, word), leaf.schema[fieldname].format)
            buf = bytearray((leaf.doc_count_all() + 8) // 8)
            while raw.is_active():
                if raw._ids is None:
                    raw._read_ids()
                for i in raw._ids:
                    buf[i >> 3] |= 1 << (i & 7)
                raw._next_block()
            bits = int.from_bytes(buf, "little")
            if leaf.has_deletions():
                bits &= ~bits_of(leaf.deleted_docs_set)
            found |= bits << offset
        if len(self._term_bits) > TERM_CACHE_SIZE:
            self._term_bits.clear()
        self._term_bits[key] = found
        return found

    def field_lengths(self, fieldname: str) -> list[int]:
        """docnum -> length of `fieldname` (Whoosh's byte-quantised lengths), read once per searcher."""
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            table = [byte_to_length(b) for b in range(256)]
            lengths = []
            for leaf, offset in self.searcher.reader().leaf_readers():
                del lengths[offset:]
                column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if column is None:
                    lengths.extend([0] * leaf.doc_count_all())
                else:
                    lengths.extend(table[b] for b in column)
            self._lengths[fieldname] = lengths
        return lengths

    def term_scores(self, fieldname: str, word: str) -> dict[int, float]:
        """docnum -> BM25F score of `word` in `fieldname`, exactly as Whoosh's default BM25F scorer
        computes it (B=0.75, K1=1.2, weights with the field boost, quantised field lengths).

        Scoring with Whoosh's matchers walked every block of every posting list of a query (unpickling
        each) on every query; these per-term tables are built once per searcher, so ranking is dict
        lookups over the candidates. Cached per searcher.
        """
        key = (fieldname, word)
        cached = self._term_scores.get(key)
        if cached is not None:
            return cached
        scores: dict[int, float] = {}
        if self.term_bits(fieldname, word):
            searcher = self.searcher
            idf = searcher.idf(fieldname, word)
            avgfl = searcher.avg_field_length(fieldname) or 1
            lengths = self.field_lengths(fieldname)
            for leaf, offset in searcher.reader().leaf_readers():
                if (fieldname, word) not in leaf:
                    continue
                raw = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, word), leaf.schema[fieldname].format)
                while raw.is_active():
                    if raw._ids is None:
                        raw._read_ids()
                    if raw._weights is None:
                        raw._read_weights()
                    for i, tf in zip(raw._ids, raw._weights, strict=True):
                        d = i + offset
                        fl = lengths[d] or 1
                        scores[d] = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
                    raw._next_block()
        if len(self._term_scores) > TERM_CACHE_SIZE // 4:
            self._term_scores.clear()
        self._term_scores[key] = scores
        return scores

    def all_bits(self) -> int:
        if self._all_bits is None:
            self._all_bits = bits_of(self.searcher.reader().all_doc_ids())
        return self._all_bits

    def date_order(self) -> list[int]:
        """Every live docnum, newest date first (an empty date last), ties by docnum."""
        if self._date_order is None:
            dated = [(_neg_date(stored.get("date") or ""), d) for d, stored in self.searcher.reader().iter_docs()]
            self._date_order = [d for _key, d in sorted(dated)]
        return self._date_order

    @property
    def table(self) -> SuggestionTable:
        return load_table(self.generation)

    def facet_rows(self) -> dict[int, tuple[str, tuple[str, ...], str]]:
        """docnum -> (type, columns, district), read once per searcher."""
        if self._facet_rows is None:
            rows = {}
            for docnum, stored in self.searcher.reader().iter_docs():
                columns = tuple(c for c in (stored.get("columns") or "").split(",") if c)
                rows[docnum] = (stored.get("type") or "", columns, stored.get("district") or "")
            self._facet_rows = rows
        return self._facet_rows

    def facet_bits(self) -> dict[str, dict[str, int]]:
        """facet name -> value -> bitmask of its docnums, built once per searcher.

        Whoosh's FacetCollector rebuilt its categorizers on every search, and counting a Counter
        over every matched docnum was still ~10 ms for a hot word at 12,000 documents; a facet
        count is now one AND and a bit_count per value.
        """
        if self._facet_bits is None:
            docs: dict[str, dict[str, list[int]]] = {"type": {}, "column": {}, "district": {}}
            for docnum, (doc_type, columns, district) in self.facet_rows().items():
                if doc_type:
                    docs["type"].setdefault(doc_type, []).append(docnum)
                for column in columns:
                    docs["column"].setdefault(column, []).append(docnum)
                if district:
                    docs["district"].setdefault(district, []).append(docnum)
            self._facet_bits = {
                name: {value: bits_of(nums) for value, nums in values.items()} for name, values in docs.items()
            }
        return self._facet_bits

    def close(self) -> None:
        self.searcher.close()


def open_snapshot(index_dir: Path) -> Snapshot:
    """Open the live generation of `index_dir` for searching."""
    index_dir = Path(index_dir)
    generation = current_generation(index_dir)
    ix = whoosh_index.open_dir(str(generation))
    meta = read_meta(generation)
    return Snapshot(
        index_dir=index_dir,
        generation=generation,
        ix=ix,
        searcher=ix.searcher(),
        meta=meta,
        # The terms the index was built with, not today's: queries must cut text the same way.
        dictionary=dictionary_for_terms(meta["terms"]),
    )


# Snapshots are opened once and reused by whichever thread needs one next (a dev server or a
# threaded WSGI worker starts a thread per request); each is used by one thread at a time, since
# Whoosh searchers are not safe to share. Opening one costs ~100 ms of per-term tables.
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
        # Not searcher.refresh(): in Whoosh-Reloaded 2.7.5 (and wesh) FileIndex._reader(reuse=)
        # appends the old reader's segments to the new ones, so replaced or deleted documents
        # stay visible. A fresh searcher costs about a millisecond.
        snap.searcher.close()
        snap.searcher = snap.ix.searcher()
        snap.reset()
        snap.meta = read_meta(snap.generation)
    try:
        yield snap
    finally:
        with _idle_lock:
            if len(idle) < MAX_IDLE_SNAPSHOTS:
                idle.append(snap)
                snap = None
        if snap is not None:
            snap.close()



def bits_of(docnums: Any) -> int:
    """A bitmask with bit n set for each docnum n."""
    nums = list(docnums)
    if not nums:
        return 0
    buf = bytearray(max(nums) // 8 + 1)
    for i in nums:
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
