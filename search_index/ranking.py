"""Which documents match a query's words, in what order, and the facet counts and filters over them.

Matching is bitmask algebra over posting lists (snapshot.py): a word matches a document when any
text field holds it, or, for a longer word the index lacks, all of its sub-words.

Ranking is relevance first. Each candidate's base score is Whoosh's BM25F: for every query word and
every index term it is matched by, idf × BM25 over each of TEXT_FIELDS, field boosts included (so a
title counts most), summed — what Whoosh's own scorer gives
And/Or([And([Or([Term(field, term) for field in TEXT_FIELDS]) for term in word]) for word in words])
(tests/search_index/test_ranking.py checks this against Whoosh). That is multiplied by a mild
freshness factor and, for several words, a bonus where they stand together in one field (a phrase,
or near each other), read from term positions. The date breaks ties, then the docnum.

The top k is exact: work is skipped only when a bound shows it cannot change the top k (documents
with query words in the longest field only, usually the body, and the bonus of documents whose
score cannot reach the k-th best).
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from datetime import date
from itertools import islice

from .analysis import sub_words
from .schema import FIELD_BOOSTS, TEXT_FIELDS
from .snapshot import Snapshot, docnums

# Up to +10 % for something published today, half that after a year: among equally relevant
# results the newer comes first, but a better match is never buried under news.
FRESHNESS_BONUS = 0.10
FRESHNESS_HALF_LIFE_DAYS = 365.0
# Several words standing together in one field, in the order typed: score × (1 + PHRASE_BONUS × w),
# where w = (the field's boost / the largest boost)² — 1 for the title, 1/9 for the body with the
# shipped boosts: a phrase in a title says what the item is about, in a long text it may be chance.
# Words within PROXIMITY_WINDOW positions of each other (any order) earn part of PROXIMITY_BONUS.
PHRASE_BONUS = 1.5
PROXIMITY_BONUS = 0.5
PROXIMITY_WINDOW = 8
# How often the long loops look at the clock.
CLOCK_EVERY = 256

_BONUS_WEIGHT = {f: (FIELD_BOOSTS.get(f, 1.0) / max(FIELD_BOOSTS.get(g, 1.0) for g in TEXT_FIELDS)) ** 2
                 for f in TEXT_FIELDS}


def word_terms(word: str, snap: Snapshot) -> list[str]:
    """The index terms a query word is matched and scored by (all required): the word itself, or,
    when no text field has it and it is longer than two characters, its sub-words."""
    if len(word) <= 2 or _term_bits_any(word, snap):
        return [word]
    parts = [w for w in sub_words(word, snap.dictionary) if len(w) >= 2 and w != word]
    return list(dict.fromkeys(parts)) or [word]


def _term_bits_any(term: str, snap: Snapshot) -> int:
    found = 0
    for f in TEXT_FIELDS:
        found |= snap.term_bits(f, term)
    return found


def word_bits(word: str, snap: Snapshot) -> int:
    """Docnums matching one query word, as a bitmask."""
    found: int | None = None
    for term in word_terms(word, snap):
        docs = _term_bits_any(term, snap)
        found = docs if found is None else found & docs
        if not found:
            return 0
    return found or 0


def match_words(snap: Snapshot, words: list[str], *, use_or: bool, deadline: float = math.inf) -> tuple[int, bool]:
    """(docnums matching all words, or any with `use_or`, as a bitmask; False if the deadline cut it
    short, in which case only the first words were matched)."""
    if not words:
        return snap.all_bits(), True
    matched = 0
    for i, word in enumerate(words):
        if i and time.perf_counter() > deadline:
            return matched, False
        docs = word_bits(word, snap)
        matched = docs if i == 0 else (matched | docs if use_or else matched & docs)
        if not matched and not use_or:
            return 0, True
    return matched, True


def match_all(snap: Snapshot, words: list[str], *, use_or: bool) -> int:
    """Every docnum matching the words (all of them, or any with `use_or`) as a bitmask."""
    return match_words(snap, words, use_or=use_or)[0]


def facet_counts(snap: Snapshot, matched: int) -> dict[str, dict[str, int]]:
    """facet name -> value -> how many of `matched` have it, most first."""
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
    """`matched` restricted to the given type, column and district (each optional)."""
    bits = snap.facet_bits()
    for name, value in (("type", type), ("column", column), ("district", district)):
        if value:
            matched &= bits[name].get(value, 0)
    return matched


def newest_first(snap: Snapshot, bits: int, limit: int) -> list[int]:
    """The `limit` newest docnums of `bits` (an empty date last, ties by docnum)."""
    if limit <= 0 or not bits:
        return []
    wanted = set(docnums(bits))
    out = []
    for d in snap.date_order():
        if d in wanted:
            out.append(d)
            if len(out) == limit:
                break
    return out


class _Query:
    """The scoring plan of one query: its words' terms and their per-field BM25 tables."""

    def __init__(self, snap: Snapshot, words: list[str], candidates: int, use_or: bool):
        self.snap = snap
        size = len(snap.dates())
        self.bits = candidates
        self.count = candidates.bit_count()
        self.candidates = _bytes(candidates, size)
        self.terms = [word_terms(w, snap) for w in words]
        # (word index, term, field, idf, docnum -> BM25 part, largest part), one per term and field holding it.
        self.tables: list[tuple[int, str, str, float, dict[int, float], float]] = []
        for i, terms in enumerate(self.terms):
            for term in terms:
                for f in TEXT_FIELDS:
                    idf, parts, top = snap.term_weights(f, term)
                    if top:
                        self.tables.append((i, term, f, idf, parts, top))
        # With `use_or`, a word matched by sub-words scores only where all of them are (as Whoosh's
        # And of them would): per word, those documents, or None where every candidate counts.
        self.only: list[bytes | None] = [
            _bytes(word_bits(words[i], snap) & candidates, size) if use_or and len(terms) > 1 else None
            for i, terms in enumerate(self.terms)
        ]
        # Fields where a candidate holds every word: where a phrase or proximity bonus is possible.
        self.together: list[tuple[str, bytes]] = []
        if len(words) > 1 and not use_or:
            for f in sorted(TEXT_FIELDS, key=lambda f: -_BONUS_WEIGHT[f]):
                bits = candidates
                for terms in self.terms:
                    for term in terms:
                        bits &= snap.term_bits(f, term)
                if bits:
                    self.together.append((f, _bytes(bits, size)))

    def bonus(self, d: int, fields: list[str]) -> float:
        """Phrase/proximity bonus of document `d` (0 if the words stand apart in every field)."""
        best = 0.0
        for f in fields:
            weight = _BONUS_WEIGHT[f]
            if weight * PHRASE_BONUS <= best:
                break
            lists = []
            for terms in self.terms:
                found = set()
                for term in terms:
                    found.update(self.snap.positions(f, term, d))
                lists.append(sorted(found))
            if not all(lists):
                continue
            if _is_phrase(lists):
                best = max(best, weight * PHRASE_BONUS)
                continue
            span = _shortest_span(lists)
            if span <= PROXIMITY_WINDOW:
                # Never above PROXIMITY_BONUS: sub-words of one word share its position (span 0 → 1).
                best = max(best, weight * PROXIMITY_BONUS * min(1.0, (len(lists) - 1) / span))
        return best

    def top(self, limit: int, deadline: float) -> tuple[list[tuple[tuple, int]], bool]:
        """The best `limit` candidates as (rank key, docnum), best first; rank key = (score, date, -docnum).

        Documents with a query term outside the longest field (usually the body) are scored in full
        first. The others can only score from the longest field: its lists are read largest BM25
        part first (Fagin's threshold algorithm), and reading stops once the parts left cannot
        reach the k-th best — for a hot word, titles and tags usually settle the page at once.
        """
        snap = self.snap
        searcher = snap.searcher
        longest = max(TEXT_FIELDS, key=lambda f: (searcher.avg_field_length(f) or 0) if f in searcher.schema else 0)
        short = [t for t in self.tables if t[2] != longest]
        long = [t for t in self.tables if t[2] == longest]
        best = _Best(self, limit, deadline)
        candidates = self.candidates

        # 1. Candidates with a query term in a short field, scored in full.
        totals: dict[int, float] = {}
        get_total = totals.get
        listed: list[int] | None = None
        for n, (i, _term, _f, idf, parts, _top) in enumerate(short):
            if n and time.perf_counter() > deadline:
                best.complete = False
                break
            only = self.only[i]
            if len(parts) > self.count:
                # A common term with few candidates (the other words are rarer): look up the candidates.
                if listed is None:
                    listed = docnums(self.bits)
                get = parts.get
                for d in listed:
                    part = get(d)
                    if part is not None and (only is None or only[d >> 3] >> (d & 7) & 1):
                        totals[d] = get_total(d, 0.0) + idf * part
                continue
            for d, part in parts.items():
                if candidates[d >> 3] >> (d & 7) & 1 and (only is None or only[d >> 3] >> (d & 7) & 1):
                    totals[d] = get_total(d, 0.0) + idf * part
        for i, _term, _f, idf, parts, _top in long:
            only = self.only[i]
            get = parts.get
            for d in totals:
                part = get(d)
                if part is not None and (only is None or only[d >> 3] >> (d & 7) & 1):
                    totals[d] += idf * part
        best.offer_all(totals)

        # 2. Candidates with query terms in the longest field only.
        factor = (1 + FRESHNESS_BONUS) * (1 + PHRASE_BONUS * max(
            (_BONUS_WEIGHT[f] for f, _bits in self.together if f == longest), default=0.0))
        # One list per table and segment; an unread document gets at most the largest head of each table.
        lists = [(n, docs, idf, parts) for n, (_i, term, f, idf, parts, _top) in enumerate(long)
                 for docs in snap.by_part(f, term)]
        heads = [idf * top for *_key, idf, _parts, top in long]
        list_heads = [heads[n] for n, *_rest in lists]
        lookups = [(self.only[i], idf, parts.get) for i, _term, _f, idf, parts, _top in long]
        batch = 16
        while best.complete and any(heads) and not best.beats(sum(heads) * factor):
            for k, (_n, docs, idf, parts) in enumerate(lists):
                if not list_heads[k]:
                    continue
                last = None
                for d in islice(docs, batch):
                    last = d
                    if d in totals or not candidates[d >> 3] >> (d & 7) & 1:
                        continue
                    score = 0.0
                    for only, weight, get in lookups:
                        part = get(d)
                        if part is not None and (only is None or only[d >> 3] >> (d & 7) & 1):
                            score += weight * part
                    totals[d] = score
                    best.offer(d, score)
                list_heads[k] = idf * parts[last] if last is not None else 0.0
            for n in range(len(heads)):
                heads[n] = max((h for (m, *_rest), h in zip(lists, list_heads, strict=True) if m == n), default=0.0)
            best.settle()
            batch = min(batch * 2, 1024)
        return best.ranked(), best.complete


class _Best:
    """The best `limit` documents seen so far, with bonuses computed only where they can matter."""

    def __init__(self, query: _Query, limit: int, deadline: float):
        self.query = query
        self.limit = limit
        self.deadline = deadline
        self.dates = query.snap.dates()
        self.fresh = _freshness_table()
        self.together = query.together
        # The most freshness and bonus can multiply a score by.
        self.factor = (1 + FRESHNESS_BONUS) * (1 + PHRASE_BONUS * (_BONUS_WEIGHT[query.together[0][0]] if query.together else 0))
        self.heap: list[tuple[tuple, int]] = []  # min-heap of (rank key, docnum)
        # Documents whose bonus is not computed yet: (-upper bound, -score without bonus, docnum, fields).
        self.waiting: list[tuple[float, float, int, list[str]]] = []
        self.complete = True

    def _entry(self, d: int, score: float) -> tuple[float, float, int, list[str]]:
        score *= self.fresh(self.dates[d])
        fields = [f for f, bits in self.together if bits[d >> 3] >> (d & 7) & 1]
        upper = score * (1 + PHRASE_BONUS * _BONUS_WEIGHT[fields[0]]) if fields else score
        return (-upper, -score, d, fields)

    def offer_all(self, scores: dict[int, float]) -> None:
        if len(scores) > self.limit:
            # The k-th best final score is at least the k-th best score before freshness and bonus,
            # so a document that cannot reach that even with the largest of both cannot enter.
            cutoff = heapq.nlargest(self.limit, scores.values())[-1] / self.factor
            self.waiting.extend(self._entry(d, score) for d, score in scores.items() if score >= cutoff)
        else:
            self.waiting.extend(self._entry(d, score) for d, score in scores.items())
        heapq.heapify(self.waiting)
        self.settle()

    def offer(self, d: int, score: float) -> None:
        heapq.heappush(self.waiting, self._entry(d, score))

    def beats(self, bound: float) -> bool:
        """True when no document scoring at most `bound` can enter any more."""
        return len(self.heap) == self.limit and self.heap[0][0][0] > bound

    def settle(self) -> None:
        """Compute the bonus of waiting documents while they could still enter, best bound first."""
        waiting, limit, dates = self.waiting, self.limit, self.dates
        n = 0
        while waiting and not self.beats(-waiting[0][0]):
            n += 1
            if n % CLOCK_EVERY == 0 and time.perf_counter() > self.deadline:
                self.complete = False
                break
            _upper, neg_score, d, fields = heapq.heappop(waiting)
            score = -neg_score * (1 + self.query.bonus(d, fields)) if fields else -neg_score
            self._push(((score, dates[d], -d), d))
        if not self.complete:
            # Out of time: the rest fill the page without their bonus.
            for _upper, neg_score, d, _fields in heapq.nsmallest(limit, waiting):
                self._push(((-neg_score, dates[d], -d), d))
            waiting.clear()

    def _push(self, entry: tuple[tuple, int]) -> None:
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, entry)
        elif entry > self.heap[0]:
            heapq.heapreplace(self.heap, entry)

    def ranked(self) -> list[tuple[tuple, int]]:
        return sorted(self.heap, reverse=True)


def rank(
    snap: Snapshot, words: list[str], candidates: int, limit: int, *, use_or: bool = False, deadline: float = math.inf
) -> tuple[list[tuple[int, float]], bool]:
    """The best `limit` candidates as (docnum, score), best first, and False if the deadline cut the
    work short (the order is then by what was computed in time)."""
    if limit <= 0 or not candidates:
        return [], True
    if not words:
        return [(d, 0.0) for d in newest_first(snap, candidates, limit)], True
    ranked, complete = _Query(snap, words, candidates, use_or).top(limit, deadline)
    return [(d, key[0]) for key, d in ranked], complete


def _bytes(bits: int, size: int) -> bytes:
    """A bitmask as bytes, so that testing one docnum costs the same however many there are."""
    return bits.to_bytes(size // 8 + 1, "little")


def _is_phrase(lists: list[list[int]]) -> bool:
    """True if the words stand at consecutive positions in query order somewhere."""
    later = [set(positions) for positions in lists[1:]]
    return any(all(p + i + 1 in s for i, s in enumerate(later)) for p in lists[0])


def _shortest_span(lists: list[list[int]]) -> int:
    """The fewest positions from first to last word of a stretch holding every word (≥ 1)."""
    events = sorted((p, i) for i, positions in enumerate(lists) for p in positions)
    need = len(lists)
    counts = [0] * need
    have = 0
    best = math.inf
    lo = 0
    for p, i in events:
        counts[i] += 1
        if counts[i] == 1:
            have += 1
        while have == need:
            lo_p, lo_i = events[lo]
            best = min(best, p - lo_p)
            counts[lo_i] -= 1
            if not counts[lo_i]:
                have -= 1
            lo += 1
    return max(int(best), 1) if best != math.inf else 1 << 30


_fresh_cache: dict[str, float] = {}
_fresh_day: date | None = None


def _freshness_table() -> Callable[[str], float]:
    """date string -> freshness factor for today, memoised for the day."""
    global _fresh_day
    today = date.today()
    if today != _fresh_day:
        _fresh_cache.clear()
        _fresh_day = today

    def fresh(day: str) -> float:
        found = _fresh_cache.get(day)
        if found is None:
            found = 1.0
            if day:
                try:
                    age = max((today - date.fromisoformat(day)).days, 0)
                except ValueError:
                    age = None
                if age is not None:
                    found = 1 + FRESHNESS_BONUS * 0.5 ** (age / FRESHNESS_HALF_LIFE_DAYS)
            _fresh_cache[day] = found
        return found

    return fresh
