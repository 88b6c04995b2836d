"""Search and suggest over a built index: programmatic queries, facets, snippets, corrections.

User text never reaches Whoosh's query parser: it is analysed into words and the query is built
from Term/Phrase objects, so operators, wildcards and field prefixes are just text.
"""

from __future__ import annotations

import heapq
import html
import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import zhconv
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.query import (
    And,
    DisjunctionMax,
    Or,
    Query,
    Term,
)
from whoosh.util.numeric import byte_to_length

from .analysis import (
    Dictionary,
    dictionary_for_terms,
    normalize_text,
    query_words,
    sub_words,
)
from .indexer import current_generation, read_meta
from .schema import TEXT_FIELDS
from .suggestions import SuggestionTable, load_table

# Raw input is cut before normalising (so a 10,000-character paste costs nothing), then the
# normalised query is cut again; nobody types more than a sentence into a phone search box.
MAX_RAW_CHARS = 400
MAX_QUERY_CHARS = 100
MAX_WORDS = 10
MAX_PER_PAGE = 50
MAX_PAGE = 100
TIME_LIMIT_SECONDS = 0.5
TERM_CACHE_SIZE = 4000
RESULT_CACHE_SIZE = 256
RERANK_DEPTH = 30
STRONG_FIELDS = ("title", "people", "tags", "summary")
PHRASE_BOOST = 2.0
SNIPPET_CHARS = 90
# Snippets are cut from the first part of the stored excerpt only, to bound the work per hit.
SNIPPET_SCAN_CHARS = 1500
# A doc matching a word in one field scores mostly by its best field; 0.1 adds a little for
# also matching elsewhere (title and body beats title alone).
DISMAX_TIEBREAK = 0.1
# Whoosh's default BM25F parameters, reproduced by Snapshot.term_scores().
B = 0.75
K1 = 1.2

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z]{3,}")
_ASCII_ALNUM = re.compile(r"[0-9a-z]")


@dataclass
class Hit:
    """One search result, ready for a template or JSON. `snippet_html`/`title_html` are safe HTML."""

    key: str
    type: str
    title: str
    url: str
    cover: str
    date: str
    district: str
    columns: list[str]
    title_html: str
    snippet_html: str
    score: float


@dataclass
class SearchResult:
    """A page of results with facet counts (counted before filters) and query diagnostics."""

    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    page: int
    pages: int
    per_page: int
    corrected_query: str | None = None
    used_or_fallback: bool = False
    partial: bool = False
    elapsed_ms: float = 0.0
    words: list[str] = field(default_factory=list)

    @property
    def query_html(self) -> str:
        return html.escape(self.query)


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
                bits &= ~_bits_of(leaf.deleted_docs_set)
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
            self._all_bits = _bits_of(self.searcher.reader().all_doc_ids())
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
                name: {value: _bits_of(nums) for value, nums in values.items()} for name, values in docs.items()
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
def _snapshot(index: Path | str | Snapshot) -> Iterator[Snapshot]:
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


def _clip_query(q: str) -> str:
    raw = (q or "")[:MAX_RAW_CHARS]
    return normalize_text(raw).strip()[:MAX_QUERY_CHARS]


def _doc_freq(searcher: Any, word: str) -> int:
    return max(searcher.doc_frequency(f, word) for f in TEXT_FIELDS)


def _any_field(word: str, fields: tuple[str, ...] = TEXT_FIELDS) -> Query:
    return DisjunctionMax([Term(f, word) for f in fields], tiebreak=DISMAX_TIEBREAK)


def _word_query(word: str, searcher: Any, dictionary: Dictionary, fields: tuple[str, ...] = TEXT_FIELDS) -> Query:
    """A word in any text field; a long word the index never saw is tried as its sub-words."""
    if len(word) > 2 and not _doc_freq(searcher, word):
        # The index holds 国有企业改革-like text as whole words plus their 2/3-character
        # sub-words; a query word the index lacks may still be present as sub-words.
        parts = [w for w in sub_words(word, dictionary) if len(w) >= 2]
        if parts:
            return And([_any_field(p, fields) for p in parts])
    return _any_field(word, fields)


def _build_query(
    words: list[str], searcher: Any, dictionary: Dictionary, *, use_or: bool, fields: tuple[str, ...] = TEXT_FIELDS
) -> Query:
    """Which documents match: all words (or, for the fallback, any word)."""
    parts = [_word_query(w, searcher, dictionary, fields) for w in words]
    if use_or:
        return Or(parts)
    return And(parts) if len(parts) > 1 else parts[0]


def _filter_query(type: str | None, column: str | None, district: str | None) -> Query | None:
    terms = []
    if type:
        terms.append(Term("type", type))
    if column:
        terms.append(Term("columns", column))
    if district:
        terms.append(Term("district", district))
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else And(terms)


def _bits_of(docnums: Any) -> int:
    """A bitmask with bit n set for each docnum n."""
    nums = list(docnums)
    if not nums:
        return 0
    buf = bytearray(max(nums) // 8 + 1)
    for i in nums:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def _docnums(bits: int) -> list[int]:
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


def _word_bits(word: str, snap: Snapshot) -> int:
    """Docnums with `word` in any text field; an unknown long word matches through all its sub-words."""
    found = 0
    for f in TEXT_FIELDS:
        found |= snap.term_bits(f, word)
    if found or len(word) <= 2:
        return found
    parts = [w for w in sub_words(word, snap.dictionary) if len(w) >= 2]
    if not parts:
        return found
    result: int | None = None
    for part in parts:
        docs = _word_bits(part, snap) if part != word else 0
        result = docs if result is None else result & docs
        if not result:
            return 0
    return result or 0


def _phrase_rerank(rows: list[tuple[dict, float]], words: list[str]) -> list[tuple[dict, float]]:
    """Documents where the words stand together, in order, in the title or excerpt move up.

    Done on the top RERANK_DEPTH hits from stored text: Whoosh's Phrase matcher walks the position
    lists of every candidate and cost up to a second on common word pairs.
    """
    if len(words) < 2 or not rows:
        return rows
    phrases = {"".join(words), " ".join(words)}
    out = []
    for stored, score in rows:
        title = normalize_text(stored.get("title") or "")
        excerpt = normalize_text((stored.get("excerpt") or "")[:SNIPPET_SCAN_CHARS])
        if any(p in title for p in phrases):
            score = score * (1 + PHRASE_BOOST)
        elif any(p in excerpt for p in phrases):
            score = score * (1 + PHRASE_BOOST / 2)
        out.append((stored, score))
    out.sort(key=lambda row: -row[1])
    return out


def _newest_first(snap: Snapshot, docnums: int, limit: int) -> list[int]:
    if limit <= 0 or not docnums:
        return []
    out = []
    for d in snap.date_order():
        if docnums >> d & 1:
            out.append(d)
            if len(out) == limit:
                break
    return out


def _neg_date(date: str) -> str:
    # "2021-07-01" sorts newest first as its digit complement; an empty date sorts last.
    return date.translate(_COMPLEMENT) if date else "~"


_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def _strong_docs(snap: Snapshot, words: list[str], matched: int) -> int | None:
    """Matched docnums with every word in a STRONG_FIELDS field; None when a word is only sub-words."""
    strong = matched
    for word in words:
        docs = 0
        for f in STRONG_FIELDS:
            docs |= snap.term_bits(f, word)
        if not docs and not snap.term_bits("body", word):
            return None  # matched through sub-words: keep the general path
        strong &= docs
    return strong


def _match_all(snap: Snapshot, words: list[str], *, use_or: bool) -> int:
    """Every matching docnum as a bitmask, from cached posting lists (no scoring)."""
    if not words:
        return snap.all_bits()
    masks = [_word_bits(w, snap) for w in words]
    matched = masks[0]
    for docs in masks[1:]:
        matched = matched | docs if use_or else matched & docs
    return matched


def _facets(snap: Snapshot, matched: int) -> dict[str, dict[str, int]]:
    out = {}
    for name, values in snap.facet_bits().items():
        counts = {}
        for value, bits in values.items():
            n = (matched & bits).bit_count()
            if n:
                counts[value] = n
        out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _filtered(snap: Snapshot, matched: int, type: str | None, column: str | None, district: str | None) -> int:
    bits = snap.facet_bits()
    for name, value in (("type", type), ("column", column), ("district", district)):
        if value:
            matched &= bits[name].get(value, 0)
    return matched


def _scored_parts(word: str, snap: Snapshot) -> list[str]:
    """The index terms a query word is scored by: itself, or its sub-words when the index lacks it
    (the same rule _word_bits() matches by)."""
    if len(word) <= 2 or any(snap.term_bits(f, word) for f in TEXT_FIELDS):
        return [word]
    parts = [w for w in sub_words(word, snap.dictionary) if len(w) >= 2 and w != word]
    return parts or [word]


def _rank(snap: Snapshot, words: list[str], candidates: int, fields: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
    """The best `limit` candidates as (docnum, score), best first, ties by docnum.

    Whoosh's scoring of our queries: each word (or each of its sub-words) scores its best field
    (DisjunctionMax), the words' scores add up (And / Or). Only candidates are looked at.
    """
    if limit <= 0 or not candidates:
        return []
    if not words:
        return [(d, 0.0) for d in _newest_first(snap, candidates, limit)]
    cset = set(_docnums(candidates))
    total: dict[int, float] = {}
    for word in words:
        for part in _scored_parts(word, snap):
            best: dict[int, float] = {}
            get = best.get
            for f in fields:
                scores = snap.term_scores(f, part)
                if not scores:
                    continue
                if len(scores) <= len(cset):
                    for d, score in scores.items():
                        if d in cset and score > get(d, 0.0):
                            best[d] = score
                else:
                    for d in cset:
                        score = scores.get(d)
                        if score is not None and score > get(d, 0.0):
                            best[d] = score
            tget = total.get
            for d, score in best.items():
                total[d] = tget(d, 0.0) + score
    ranked = heapq.nsmallest(limit, total.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) < limit and len(total) < len(cset):
        # Candidates no scored term reaches (cannot happen for matches found by the same words,
        # but a filter-only match must still be listed): after the scored ones, newest first.
        rest = candidates & ~_bits_of(total)
        ranked += [(d, 0.0) for d in _newest_first(snap, rest, limit - len(ranked))]
    return ranked


def search(
    index: Path | str | Snapshot,
    q: str,
    *,
    type: str | None = None,
    column: str | None = None,
    district: str | None = None,
    page: int = 1,
    per_page: int = 10,
) -> SearchResult:
    """Search the index for `q` (any user text) with optional filters; never raises on odd input.

    All words must match (each in any of title/people/tags/summary/body); a phrase match ranks
    higher. If that finds nothing, any word may match (`used_or_fallback`). If still nothing,
    `corrected_query` may offer a sound-alike or spelling correction.
    """
    with _snapshot(index) as snap:
        return _search(snap, q, type=type, column=column, district=district, page=page, per_page=per_page)


def _search(
    snap: Snapshot, q: str, *, type: str | None, column: str | None, district: str | None, page: int, per_page: int
) -> SearchResult:
    started = time.perf_counter()
    searcher = snap.searcher
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = min(max(int(page), 1), MAX_PAGE)
    text = _clip_query(q)
    cache_key = (text, type or "", column or "", district or "", page, per_page)
    cached = snap.results.get(cache_key)
    if cached is not None:
        # Same generation and searcher (the cache is dropped with them), so the same answer.
        snap.results.move_to_end(cache_key)
        return _copy_result(cached, started)
    words = query_words(text, snap.dictionary)[:MAX_WORDS]
    filtered = bool(type or column or district)

    result = SearchResult(query=text, total=0, hits=[], facets={"type": {}, "column": {}, "district": {}},
                          page=page, pages=0, per_page=per_page, words=words)
    if not words and not filtered:
        result.elapsed_ms = _ms(started)
        return result

    matched = _match_all(snap, words, use_or=False)
    if not matched and words:
        # Offered even when the OR fallback below finds something: 四个自心 matches 四个 alone,
        # but the member meant 四个自信.
        result.corrected_query = _correction(text, words, snap)
    if not matched and len(words) > 1:
        matched = _match_all(snap, words, use_or=True)
        result.used_or_fallback = bool(matched)
    result.facets = _facets(snap, matched)
    partial = False

    if filtered:
        matched = _filtered(snap, matched, type, column, district)
    result.total = matched.bit_count()
    result.pages = math.ceil(result.total / per_page) if result.total else 0

    if matched and (page - 1) * per_page < result.total:
        wanted = page * per_page
        depth = max(wanted, RERANK_DEPTH) if len(words) > 1 else wanted
        stored_fields = searcher.stored_fields
        strong = _strong_docs(snap, words, matched) if words and not result.used_or_fallback else None
        if strong is not None and strong.bit_count() >= wanted:
            # Enough documents have every word in title, people, tags or summary: rank only those,
            # with only those fields. Skips the long body posting lists, most of a hot word's cost.
            ranked = _rank(snap, words, strong, STRONG_FIELDS, depth)
        elif strong is not None:
            # Few strong matches: rank those, then the body-only matches newest first (a body
            # mention says little about what a document is about).
            ranked = _rank(snap, words, strong, STRONG_FIELDS, depth)
            rows = _phrase_rerank([(stored_fields(d), score) for d, score in ranked], words)
            rest = _newest_first(snap, matched & ~strong, wanted - len(rows))
            rows += [(stored_fields(docnum), 0.0) for docnum in rest]
        else:
            ranked = _rank(snap, words, matched, TEXT_FIELDS, depth)
        if strong is None or strong.bit_count() >= wanted:
            rows = _phrase_rerank([(stored_fields(d), score) for d, score in ranked], words)
        marks = _highlight_terms(words, snap.dictionary)
        for stored, score in rows[(page - 1) * per_page : wanted]:
            result.hits.append(_make_hit(stored, score, marks))
    result.partial = partial
    result.elapsed_ms = _ms(started)
    if not partial:
        snap.results[cache_key] = result
        if len(snap.results) > RESULT_CACHE_SIZE:
            snap.results.popitem(last=False)
    return _copy_result(result, started)


def _copy_result(result: SearchResult, started: float) -> SearchResult:
    """A shallow copy callers may change without touching the cached one."""
    copy = replace(result, hits=list(result.hits), facets={k: dict(v) for k, v in result.facets.items()},
                   words=list(result.words))
    copy.elapsed_ms = _ms(started)
    return copy


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _make_hit(stored: dict[str, Any], score: float | None, marks: list[str]) -> Hit:
    title = stored.get("title") or ""
    excerpt = stored.get("excerpt") or ""
    return Hit(
        key=stored["key"],
        type=stored.get("type") or "",
        title=title,
        url=stored.get("url") or "",
        cover=stored.get("cover") or "",
        date=stored.get("date") or "",
        district=stored.get("district") or "",
        columns=[c for c in (stored.get("columns") or "").split(",") if c],
        title_html=highlight(title, marks, width=len(title) or 1),
        snippet_html=highlight(excerpt[:SNIPPET_SCAN_CHARS], marks, width=SNIPPET_CHARS),
        score=round(float(score or 0.0), 4),
    )


# --- snippets -------------------------------------------------------------------------------


def _highlight_terms(words: list[str], dictionary: Dictionary) -> list[str]:
    terms = set(words)
    for word in words:
        terms.update(w for w in sub_words(word, dictionary) if len(w) >= 2)
    # Longest first, so 国有企业 is marked whole rather than as 国有 + 企业.
    return sorted(terms, key=lambda t: (-len(t), t))


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """normalize_text(text) plus, for each normalised character, its index in `text`."""
    lowered = text.lower()
    if len(lowered) == len(text) and unicodedata.is_normalized("NFKC", text):
        # The common case (already NFKC, lowercasing keeps the length): one character each.
        joined, mapping = lowered, list(range(len(text)))
    else:
        pieces = [unicodedata.normalize("NFKC", ch).lower() for ch in text]
        joined = "".join(pieces)
        mapping = [i for i, piece in enumerate(pieces) for _ in piece]
    converted = zhconv.convert(joined, "zh-hans")
    # zhconv converts character for character nearly always; when a phrase conversion changes
    # the length the map would be wrong, so fall back to the unconverted text.
    return (converted if len(converted) == len(joined) else joined), mapping


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A window of `text` of about `width` characters around the first match, HTML-escaped,
    with matches of `terms` (normalised words) wrapped in <mark>."""
    if not text:
        return ""
    norm, mapping = _normalized_with_map(text)
    spans: list[tuple[int, int]] = []
    taken = [False] * len(norm)
    for term in terms:
        start = norm.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]) and _on_boundary(norm, term, start, end):
                spans.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = norm.find(term, end)
    spans.sort()
    # Adjacent matches (第 3 集) become one mark.
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    spans = merged
    # Map normalised spans back to original characters.
    orig_spans = [(mapping[s], mapping[e - 1] + 1) for s, e in spans]
    if orig_spans:
        first = orig_spans[0][0]
        lo = max(0, min(first - width // 4, len(text) - width))
    else:
        lo = 0
    hi = min(len(text), lo + width)
    out = ["…" if lo > 0 else ""]
    cursor = lo
    for s, e in orig_spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out.append(html.escape(text[cursor:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cursor = e
    out.append(html.escape(text[cursor:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def _on_boundary(norm: str, term: str, start: int, end: int) -> bool:
    """Latin/digit terms must not be part of a longer Latin/digit run (art ≠ party)."""
    if not _ASCII_ALNUM.match(term[0]):
        return True
    before = norm[start - 1] if start > 0 else " "
    after = norm[end] if end < len(norm) else " "
    return not _ASCII_ALNUM.match(before) and not _ASCII_ALNUM.match(after)


# --- corrections ----------------------------------------------------------------------------


def _correction(text: str, words: list[str], snap: Snapshot) -> str | None:
    """A query that sounds or spells like `text` and finds something, or None."""
    searcher = snap.searcher
    try:
        table = snap.table
    except FileNotFoundError:
        return None
    candidate = text
    compact = re.sub(r"[\s']+", "", text)
    if compact.isascii() and compact.isalpha():
        # Pure pinyin typed without switching the keyboard: sigezixin → 四个自信.
        by_pinyin = table.exact_pinyin(compact)
        if by_pinyin:
            candidate = by_pinyin
    if candidate == text:
        candidate = _HAN_RUN.sub(lambda m: _correct_han_run(m.group(0), searcher, table), candidate)
        candidate = _LATIN_WORD.sub(lambda m: _correct_latin(m.group(0), searcher), candidate)
    if candidate == text:
        return None
    new_words = query_words(candidate, snap.dictionary)[:MAX_WORDS]
    if not new_words:
        return None
    q = _build_query(new_words, searcher, snap.dictionary, use_or=False)
    if not any(True for _ in searcher.docs_for_query(q)):
        return None
    return candidate


def _correct_han_run(run: str, searcher: Any, table: SuggestionTable) -> str:
    """Replace unknown stretches of a Chinese run with known sound-alike words, longest first."""
    out: list[str] = []
    i = 0
    while i < len(run):
        for j in range(min(len(run), i + 8), i + 1, -1):
            window = run[i:j]
            if _doc_freq(searcher, window):
                # A word the index knows is kept as it is.
                out.append(window)
                i = j
                break
            alike = [w for w in table.sound_alikes(window) if _doc_freq(searcher, w)]
            if alike:
                out.append(alike[0])
                i = j
                break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def _correct_latin(word: str, searcher: Any) -> str:
    if _doc_freq(searcher, word):
        return word
    for fieldname in ("title", "body"):
        found = searcher.suggest(fieldname, word, limit=1, maxdist=2)
        if found:
            return found[0]
    return word


# --- suggestions ----------------------------------------------------------------------------

MAX_PREFIX_CHARS = 40


def suggest(index: Path | str | Snapshot, prefix: str, limit: int = 8) -> list[str]:
    """Completions for what the member is typing: Chinese prefix, full pinyin or initials."""
    with _snapshot(index) as snap:
        return snap.table.lookup((prefix or "")[:MAX_PREFIX_CHARS], limit=min(max(int(limit), 1), 20))
