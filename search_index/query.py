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
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import zhconv
from whoosh import index as whoosh_index
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.query import (
    And,
    AndMaybe,
    DisjunctionMax,
    Every,
    Or,
    Phrase,
    Query,
    Term,
)

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
# Phrase positions in long bodies were the most expensive part of ranking; title and summary
# carry the signal ("四个自信" as a phrase in a title).
PHRASE_FIELDS = ("title", "summary")
RERANK_DEPTH = 30
STRONG_FIELDS = ("title", "people", "tags", "summary")
PHRASE_BOOST = 2.0
SNIPPET_CHARS = 90
# Snippets are cut from the first part of the stored excerpt only, to bound the work per hit.
SNIPPET_SCAN_CHARS = 1500
# A doc matching a word in one field scores mostly by its best field; 0.1 adds a little for
# also matching elsewhere (title and body beats title alone).
DISMAX_TIEBREAK = 0.1

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
    _term_docs: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    _all_docs: frozenset[int] | None = None
    _dates: dict[int, str] | None = None
    results: OrderedDict = field(default_factory=OrderedDict)

    def term_docs(self, fieldname: str, word: str) -> frozenset[int]:
        """Live docnums containing `word` in `fieldname`, read block by block from the posting lists.

        Iterating a Whoosh matcher posting by posting costs microseconds each; a hot word with
        thousands of postings in five fields made "which documents match" most of a query's time.
        Reading each block's id array (whoosh3 W3LeafMatcher internals, Whoosh-Reloaded 2.7.5
        pinned) and intersecting Python sets costs about a tenth. Cached per searcher.
        """
        key = (fieldname, word)
        cached = self._term_docs.get(key)
        if cached is not None:
            return cached
        found: set[int] = set()
        for leaf, offset in self.searcher.reader().leaf_readers():
            if (fieldname, word) not in leaf:
                continue
            raw = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, word), leaf.schema[fieldname].format)
            ids: set[int] = set()
            while raw.is_active():
                if raw._ids is None:
                    raw._read_ids()
                ids.update(raw._ids)
                raw._next_block()
            if leaf.has_deletions():
                ids -= set(leaf.deleted_docs_set)
            found.update(i + offset for i in ids) if offset else found.update(ids)
        if len(self._term_docs) > TERM_CACHE_SIZE:
            self._term_docs.clear()
        result = self._term_docs[key] = frozenset(found)
        return result

    def dates(self) -> dict[int, str]:
        if self._dates is None:
            self._dates = {d: stored.get("date") or "" for d, stored in self.searcher.reader().iter_docs()}
        return self._dates

    def all_docs(self) -> frozenset[int]:
        if self._all_docs is None:
            self._all_docs = frozenset(self.searcher.reader().all_doc_ids())
        return self._all_docs

    @property
    def table(self) -> SuggestionTable:
        return load_table(self.generation)

    def facet_rows(self) -> dict[int, tuple[str, tuple[str, ...], str]]:
        """docnum -> (type, columns, district), read once per searcher.

        Whoosh's FacetCollector rebuilds its categorizers on every search (for the multi-valued
        columns field it walks every posting list), which was most of a query's time; counting
        from this map over the matched docnums costs a few milliseconds at 12,000 documents.
        """
        if self._facet_rows is None:
            rows = {}
            for docnum, stored in self.searcher.reader().iter_docs():
                columns = tuple(c for c in (stored.get("columns") or "").split(",") if c)
                rows[docnum] = (stored.get("type") or "", columns, stored.get("district") or "")
            self._facet_rows = rows
        return self._facet_rows

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


_local = threading.local()


def _snapshot_for(index: Path | str | Snapshot) -> Snapshot:
    """A per-thread cached snapshot of the live generation, refreshed after swaps and updates."""
    if isinstance(index, Snapshot):
        return index
    index_dir = Path(index)
    cache: dict[Path, Snapshot] = getattr(_local, "snapshots", None) or {}
    _local.snapshots = cache
    snap = cache.get(index_dir)
    live = current_generation(index_dir)
    if snap is None or snap.generation != live:
        if snap is not None:
            snap.close()
        snap = cache[index_dir] = open_snapshot(index_dir)
    elif not snap.searcher.up_to_date():
        # An incremental update committed a new Whoosh generation inside the same directory.
        # Not searcher.refresh(): in Whoosh-Reloaded 2.7.5 (and wesh) FileIndex._reader(reuse=)
        # appends the old reader's segments to the new ones, so replaced or deleted documents
        # stay visible. A fresh searcher costs about a millisecond.
        snap.searcher.close()
        snap.searcher = snap.ix.searcher()
        snap._facet_rows = None
        snap._term_docs = {}
        snap._all_docs = None
        snap._dates = None
        snap.results = OrderedDict()
        snap.meta = read_meta(snap.generation)
    return snap


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


def _ranking_query(matching: Query, words: list[str]) -> Query:
    """How matches are ordered: documents where the words stand together in this order first.

    Kept out of the matching pass: phrase matchers are the most expensive part of a query.
    """
    if len(words) < 2:
        return matching
    bonus = Or([Phrase(f, words, boost=PHRASE_BOOST) for f in PHRASE_FIELDS])
    return AndMaybe(matching, bonus)


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


class _Deadline:
    def __init__(self, seconds: float):
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        # Never hand Whoosh a zero or negative limit: a tiny one still returns partial results.
        return max(self.end - time.perf_counter(), 0.01)


def _run(searcher: Any, q: Query, collector: Any, deadline: _Deadline) -> tuple[Any, bool]:
    """Run with a time limit; on timeout return what was collected so far."""
    # use_alarm=False: SIGALRM only works on the main thread, and web servers search on others.
    limited = TimeLimitCollector(collector, timelimit=deadline.left(), use_alarm=False)
    try:
        searcher.search_with_collector(q, limited)
    except TimeLimit:
        return limited.results(), True
    return limited.results(), False


def _word_docs(word: str, snap: Snapshot) -> frozenset[int] | set[int]:
    """Docnums with `word` in any text field; an unknown long word matches through all its sub-words."""
    found: set[int] = set()
    for f in TEXT_FIELDS:
        found |= snap.term_docs(f, word)
    if found or len(word) <= 2:
        return found
    parts = [w for w in sub_words(word, snap.dictionary) if len(w) >= 2]
    if not parts:
        return found
    result: set[int] | None = None
    for part in parts:
        docs = _word_docs(part, snap) if part != word else set()
        result = set(docs) if result is None else result & docs
        if not result:
            return set()
    return result or set()


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


def _newest_first(snap: Snapshot, docnums: set[int], limit: int) -> list[int]:
    if limit <= 0 or not docnums:
        return []
    dates = snap.dates()
    return heapq.nsmallest(limit, docnums, key=lambda d: (_neg_date(dates.get(d, "")), d))


def _neg_date(date: str) -> str:
    # "2021-07-01" sorts newest first as its digit complement; an empty date sorts last.
    return date.translate(_COMPLEMENT) if date else "~"


_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def _strong_docs(snap: Snapshot, words: list[str], matched: set[int]) -> set[int] | None:
    """Matched docnums with every word in a STRONG_FIELDS field; None when a word is only sub-words."""
    strong = set(matched)
    for word in words:
        docs: set[int] = set()
        for f in STRONG_FIELDS:
            docs |= snap.term_docs(f, word)
        if not docs and not any(snap.term_docs("body", word)):
            return None  # matched through sub-words: keep the general path
        strong &= docs
    return strong


def _match_all(snap: Snapshot, words: list[str], *, use_or: bool) -> set[int]:
    """Every matching docnum, by set operations over cached posting lists (no scoring)."""
    if not words:
        return set(snap.all_docs())
    sets = sorted((_word_docs(w, snap) for w in words), key=len)
    if use_or:
        return set().union(*sets)
    matched = set(sets[0])
    for docs in sets[1:]:
        matched &= docs
        if not matched:
            break
    return matched


def _facets(snap: Snapshot, matched: set[int]) -> dict[str, dict[str, int]]:
    rows = snap.facet_rows()
    counters: dict[str, Counter[str]] = {"type": Counter(), "column": Counter(), "district": Counter()}
    for docnum in matched:
        row = rows.get(docnum)
        if row is None:
            continue
        doc_type, columns, district = row
        if doc_type:
            counters["type"][doc_type] += 1
        counters["column"].update(columns)
        if district:
            counters["district"][district] += 1
    return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counters.items()}


def _filtered(snap: Snapshot, matched: set[int], type: str | None, column: str | None, district: str | None) -> set[int]:
    rows = snap.facet_rows()
    out = set()
    for docnum in matched:
        row = rows.get(docnum)
        if row is None:
            continue
        if (not type or row[0] == type) and (not column or column in row[1]) and (not district or row[2] == district):
            out.add(docnum)
    return out


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
    started = time.perf_counter()
    deadline = _Deadline(TIME_LIMIT_SECONDS)
    snap = _snapshot_for(index)
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
    main_q = _build_query(words, searcher, snap.dictionary, use_or=False) if words else Every()
    if not matched and words:
        # Offered even when the OR fallback below finds something: 四个自心 matches 四个 alone,
        # but the member meant 四个自信.
        result.corrected_query = _correction(text, words, snap)
    if not matched and len(words) > 1:
        matched = _match_all(snap, words, use_or=True)
        main_q = _build_query(words, searcher, snap.dictionary, use_or=True)
        result.used_or_fallback = bool(matched)
    result.facets = _facets(snap, matched)
    partial = False

    if filtered:
        matched = _filtered(snap, matched, type, column, district)
    result.total = len(matched)
    result.pages = math.ceil(result.total / per_page) if result.total else 0

    if matched and (page - 1) * per_page < result.total:
        ranked_q = main_q
        wanted = page * per_page
        depth = max(wanted, RERANK_DEPTH) if len(words) > 1 else wanted
        rows: list[tuple[dict, float]] = []
        strong = _strong_docs(snap, words, matched) if words and not result.used_or_fallback else None
        if strong is not None and len(strong) >= wanted:
            # Enough documents have every word in title, people, tags or summary: rank only those,
            # with only those fields. Skips the long body posting lists, most of a hot word's cost.
            strong_q = _build_query(words, searcher, snap.dictionary, use_or=False, fields=STRONG_FIELDS)
            ranked = searcher.search(strong_q, limit=depth, filter=strong)
            rows = [(hit.fields(), hit.score) for hit in ranked]
        elif strong is not None:
            # Few strong matches: rank those, then the body-only matches newest first (scoring
            # every long body posting list was hundreds of milliseconds for common words).
            if strong:
                strong_q = _build_query(words, searcher, snap.dictionary, use_or=False, fields=STRONG_FIELDS)
                rows = [(hit.fields(), hit.score) for hit in searcher.search(strong_q, limit=depth, filter=strong)]
                rows = _phrase_rerank(rows, words)
            rest = _newest_first(snap, matched - strong, wanted - len(rows))
            rows += [(searcher.stored_fields(docnum), 0.0) for docnum in rest]
        elif filtered:
            # A known set: rank only inside it. (Require() with block-quality skipping trips an
            # assertion in Whoosh's IntersectionMatcher.)
            ranked = searcher.search(ranked_q, limit=depth, filter=matched)
            rows = [(hit.fields(), hit.score) for hit in ranked]
        else:
            collector = searcher.collector(limit=depth)
            ranked, partial = _run(searcher, ranked_q, collector, deadline)
            rows = [(hit.fields(), hit.score) for hit in ranked]
        if strong is None or len(strong) >= wanted:
            rows = _phrase_rerank(rows, words)
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
    snap = _snapshot_for(index)
    return snap.table.lookup((prefix or "")[:MAX_PREFIX_CHARS], limit=min(max(int(limit), 1), 20))
