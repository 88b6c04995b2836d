"""Search and suggest over a built index: the entry points the views, the CLI and the builder call.

User text never reaches Whoosh's query parser: it is analysed into words and matched against posting
bitmasks (ranking.py), so operators, wildcards and field prefixes are just text. Snapshots live in
snapshot.py, snippets in highlight.py, 「您是不是要找」 in corrections.py.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .analysis import normalize_text, query_words
from .corrections import correction
from .highlight import SNIPPET_CHARS, SNIPPET_SCAN_CHARS, highlight, highlight_terms
from .ranking import facet_counts, filtered, match_words, rank
from .snapshot import Snapshot, pooled_snapshot

# Raw input is cut before normalising (so a 10,000-character paste costs nothing), then the
# normalised query is cut again; nobody types more than a sentence into a phone search box.
MAX_RAW_CHARS = 400
MAX_QUERY_CHARS = 100
MAX_PER_PAGE = 50
MAX_PAGE = 100
# Every query stops working at this budget and answers with what it has (partial=True). Chosen so
# that, with the last steps after it (a page of snippets), no query takes over 100 ms in-process;
# a normal query needs a few milliseconds (bench/bench_search_core.py).
TIME_LIMIT_SECONDS = 0.06
RESULT_CACHE_SIZE = 256


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
    """A page of results with facet counts (counted before filters) and query diagnostics.

    `corrected_query`: with `used_correction` the hits are for it (nothing matched the words typed:
    「以下是“…”的结果」), otherwise it is only offered (「您是不是要找」). `partial`: the time limit
    cut the work short; the hits are the best found in time.
    """

    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    page: int
    pages: int
    per_page: int
    corrected_query: str | None = None
    used_correction: bool = False
    used_or_fallback: bool = False
    partial: bool = False
    elapsed_ms: float = 0.0
    words: list[str] = field(default_factory=list)

    @property
    def query_html(self) -> str:
        return html.escape(self.query)


def _clip_query(q: str) -> str:
    raw = (q or "")[:MAX_RAW_CHARS]
    return normalize_text(raw).strip()[:MAX_QUERY_CHARS]


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

    All words must match (each in any text field), ranked by relevance (ranking.py). If that finds
    nothing, any word may match (`used_or_fallback`). If still nothing, a sound-alike or spelling
    correction that finds something is searched instead (`used_correction`).
    """
    started = time.perf_counter()  # the time limit counts from here, opening the snapshot included
    with pooled_snapshot(index) as snap:
        return _search(snap, q, type=type, column=column, district=district, page=page, per_page=per_page,
                       started=started)


def _search(
    snap: Snapshot, q: str, *, type: str | None, column: str | None, district: str | None, page: int, per_page: int,
    started: float,
) -> SearchResult:
    deadline = started + TIME_LIMIT_SECONDS
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    page = min(max(int(page), 1), MAX_PAGE)
    text = _clip_query(q)
    cache_key = (text, type or "", column or "", district or "", page, per_page)
    cached = snap.results.get(cache_key)
    if cached is not None:
        # Same generation and searcher (the cache is dropped with them), so the same answer.
        snap.results.move_to_end(cache_key)
        return _copy_result(cached, started)
    words = query_words(text, snap.dictionary)
    has_filters = bool(type or column or district)

    result = SearchResult(query=text, total=0, hits=[], facets={"type": {}, "column": {}, "district": {}},
                          page=page, pages=0, per_page=per_page, words=words)
    if not words and not has_filters:
        result.elapsed_ms = _ms(started)
        return result

    matched, complete = match_words(snap, words, use_or=False, deadline=deadline)
    if not matched and complete and words:
        if len(words) > 1:
            matched, complete = match_words(snap, words, use_or=True, deadline=deadline)
            result.used_or_fallback = bool(matched)
        # Offered even when the OR fallback finds something: 四个自心 matches 四个 alone, but the
        # member meant 四个自信. Searched instead only when nothing matched the words typed.
        corrected, corrected_in_time = _correction(text, words, snap, deadline)
        complete = complete and corrected_in_time
        if not matched and complete and corrected:
            words = query_words(corrected, snap.dictionary)
            matched, complete = match_words(snap, words, use_or=False, deadline=deadline)
            result.used_correction = bool(matched)
            result.words = words
        result.corrected_query = corrected
    result.facets = facet_counts(snap, matched)

    if has_filters:
        matched = filtered(snap, matched, type, column, district)
    result.total = matched.bit_count()
    result.pages = math.ceil(result.total / per_page) if result.total else 0

    if matched and (page - 1) * per_page < result.total:
        ranked, ranked_fully = rank(snap, words, matched, page * per_page, use_or=result.used_or_fallback,
                                    deadline=deadline)
        complete = complete and ranked_fully
        # Past the deadline the page still gets its titles and texts, unmarked (marking is the costly part).
        marks: list[str] = []
        if time.perf_counter() <= deadline:
            marks = highlight_terms(words, snap.dictionary)
        else:
            complete = False
        stored_fields = snap.searcher.stored_fields
        for docnum, score in ranked[(page - 1) * per_page :]:
            result.hits.append(_make_hit(stored_fields(docnum), score, marks))
    result.partial = not complete
    result.elapsed_ms = _ms(started)
    if not result.partial:
        snap.results[cache_key] = result
        if len(snap.results) > RESULT_CACHE_SIZE:
            snap.results.popitem(last=False)
    return _copy_result(result, started)


def _correction(text: str, words: list[str], snap: Snapshot, deadline: float) -> tuple[str | None, bool]:
    """(a correction of the query or None, False if the deadline left no time to look for one)."""
    if time.perf_counter() > deadline:
        return None, False
    found = correction(text, words, snap, deadline=deadline)
    return found, found is not None or time.perf_counter() <= deadline


def _copy_result(result: SearchResult, started: float) -> SearchResult:
    """A shallow copy callers may change without touching the cached one."""
    copy = replace(result, hits=list(result.hits), facets={k: dict(v) for k, v in result.facets.items()},
                   words=list(result.words))
    copy.elapsed_ms = _ms(started)
    return copy


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _make_hit(stored: dict[str, Any], score: float | None, marks: list[str]) -> Hit:
    title = stored.get("title") or stored.get("heading") or ""
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


# --- suggestions ----------------------------------------------------------------------------

MAX_PREFIX_CHARS = 40


def suggest(index: Path | str | Snapshot, prefix: str, limit: int = 8) -> list[str]:
    """Completions for what the member is typing: Chinese prefix, full pinyin or initials."""
    with pooled_snapshot(index) as snap:
        return snap.table.lookup((prefix or "")[:MAX_PREFIX_CHARS], limit=min(max(int(limit), 1), 20))
