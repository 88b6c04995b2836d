"""Which documents match a query's words and in what order: bitmask matching, facet counts,
BM25F ranking over the candidates, phrase bonus."""

from __future__ import annotations

import heapq

from .analysis import normalize_text, sub_words
from .highlight import SNIPPET_SCAN_CHARS
from .schema import TEXT_FIELDS
from .snapshot import Snapshot, bits_of, docnums

RERANK_DEPTH = 30
STRONG_FIELDS = ("title", "people", "tags", "summary")
PHRASE_BOOST = 2.0


def word_bits(word: str, snap: Snapshot) -> int:
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
        docs = word_bits(part, snap) if part != word else 0
        result = docs if result is None else result & docs
        if not result:
            return 0
    return result or 0


def phrase_rerank(rows: list[tuple[dict, float]], words: list[str]) -> list[tuple[dict, float]]:
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


def newest_first(snap: Snapshot, docnums: int, limit: int) -> list[int]:
    if limit <= 0 or not docnums:
        return []
    out = []
    for d in snap.date_order():
        if docnums >> d & 1:
            out.append(d)
            if len(out) == limit:
                break
    return out



def strong_docs(snap: Snapshot, words: list[str], matched: int) -> int | None:
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


def match_all(snap: Snapshot, words: list[str], *, use_or: bool) -> int:
    """Every matching docnum as a bitmask, from cached posting lists (no scoring)."""
    if not words:
        return snap.all_bits()
    masks = [word_bits(w, snap) for w in words]
    matched = masks[0]
    for docs in masks[1:]:
        matched = matched | docs if use_or else matched & docs
    return matched


def facet_counts(snap: Snapshot, matched: int) -> dict[str, dict[str, int]]:
    out = {}
    for name, values in snap.facet_bits().items():
        counts = {}
        for value, bits in values.items():
            n = (matched & bits).bit_count()
            if n:
                counts[value] = n
        out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def filtered(snap: Snapshot, matched: int, type: str | None, column: str | None, district: str | None) -> int:
    bits = snap.facet_bits()
    for name, value in (("type", type), ("column", column), ("district", district)):
        if value:
            matched &= bits[name].get(value, 0)
    return matched


def scored_parts(word: str, snap: Snapshot) -> list[str]:
    """The index terms a query word is scored by: itself, or its sub-words when the index lacks it
    (the same rule word_bits() matches by)."""
    if len(word) <= 2 or any(snap.term_bits(f, word) for f in TEXT_FIELDS):
        return [word]
    parts = [w for w in sub_words(word, snap.dictionary) if len(w) >= 2 and w != word]
    return parts or [word]


def rank(snap: Snapshot, words: list[str], candidates: int, fields: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
    """The best `limit` candidates as (docnum, score), best first, ties by docnum.

    Whoosh's scoring of our queries: each word (or each of its sub-words) scores its best field
    (DisjunctionMax), the words' scores add up (And / Or). Only candidates are looked at.
    """
    if limit <= 0 or not candidates:
        return []
    if not words:
        return [(d, 0.0) for d in newest_first(snap, candidates, limit)]
    cset = set(docnums(candidates))
    total: dict[int, float] = {}
    for word in words:
        for part in scored_parts(word, snap):
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
        rest = candidates & ~bits_of(total)
        ranked += [(d, 0.0) for d in newest_first(snap, rest, limit - len(ranked))]
    return ranked

