"""The suggestion table: title words, titles, people and hot terms keyed by Chinese prefix and pinyin.

Built beside each index generation (suggest.json) so suggest() is a bisect, not a search; also the
vocabulary for "您是不是要找" pinyin corrections.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import secrets
import threading
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from .analysis import analyze, dictionary_for_terms, normalize_text

TABLE_FILE = "suggest.json"
DOCS_FILE = "suggest-docs.json"  # per-document contributions, so updates re-analyse only what changed
TABLE_FORMAT = 1

# Entry kinds, in the order they are offered: hot/dictionary terms first, then words from
# titles and tags, then people, then whole titles.
KIND_TERM, KIND_WORD, KIND_PERSON, KIND_TITLE = 0, 1, 2, 3

MAX_TITLE_CHARS = 40
MAX_WORD_CHARS = 12
# A prefix like "s" matches a large share of all pinyin keys; ranking looks at this many
# matches at most so the worst case stays well under 10 ms.
MAX_SCANNED = 20000

_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_PEOPLE_SPLIT = re.compile(r"[,，、;；/|\s]+")
_PREFIX_NOISE = re.compile(r"[\s'’·]+")


def syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of `text`; Latin letters and digits pass through as chunks."""
    result = []
    for chunk in lazy_pinyin(text):
        chunk = _NOT_ALNUM.sub("", chunk.lower())
        if chunk:
            result.append(chunk)
    return result


def fuzzy_syllable(syllable: str) -> str:
    """Fold the pinyin confusions common in Northeastern speech and typing: zh/z, ch/c, sh/s, n/l,
    and -ing/-in, -eng/-en, -ang/-an."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    if s.startswith("n") and s != "ng":
        s = "l" + s[1:]
    for long, short in (("ing", "in"), ("eng", "en"), ("ang", "an")):
        if s.endswith(long):
            s = s[: -len(long)] + short
            break
    return s


def _people_names(people: str) -> list[str]:
    return [name for name in _PEOPLE_SPLIT.split(people) if 2 <= len(name) <= 12]


def _doc_contribution(stored: dict, dictionary: Any) -> list[Any]:
    """What one document adds to the table: [normalised title, title, title/tag words, people]."""
    title = (stored.get("title") or "").strip()
    words = set()
    for source in (title, stored.get("tags") or ""):
        for word in analyze(source, dictionary, search_mode=True):
            if 2 <= len(word.text) <= MAX_WORD_CHARS and _HAN.search(word.text):
                words.add(word.text)
    people = sorted({normalize_text(n) for n in _people_names(stored.get("people") or "")})
    return [normalize_text(title)[:MAX_TITLE_CHARS] if title else "", title[:MAX_TITLE_CHARS], sorted(words), people]


def _load_contributions(generation: Path) -> dict[str, list[Any]] | None:
    try:
        data = json.loads((generation / DOCS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _contributions(ix: Any, generation: Path, dictionary: Any, changed_keys: list[str] | None) -> dict[str, list[Any]]:
    """Per-document contributions: only `changed_keys` are re-analysed when the sidecar file exists.

    jieba over every title was ~2 s per incremental update at 12,000 documents; now an update
    analyses just the documents it touched.
    """
    contribs = _load_contributions(generation) if changed_keys is not None else None
    with ix.searcher() as searcher:
        if contribs is None:
            contribs = {}
            for stored in searcher.reader().all_stored_fields():
                contribs[stored["key"]] = _doc_contribution(stored, dictionary)
        else:
            for key in changed_keys:
                stored = searcher.document(key=key)
                if stored is None:
                    contribs.pop(key, None)
                else:
                    contribs[key] = _doc_contribution(stored, dictionary)
    return contribs


def _collect_entries(ix: Any, generation: Path, terms: list[str], changed_keys: list[str] | None) -> dict[str, list[Any]]:
    """text -> [display, kind, weight] from the documents' contributions and the dictionary terms."""
    dictionary = dictionary_for_terms(terms)
    contribs = _contributions(ix, generation, dictionary, changed_keys)
    _write_atomic(generation, DOCS_FILE, json.dumps(contribs, ensure_ascii=False, separators=(",", ":")))
    word_df: Counter[str] = Counter()
    people_df: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for title_norm, title, words, people in contribs.values():
        if title_norm:
            titles.setdefault(title_norm, title)
        word_df.update(words)
        people_df.update(people)
    term_df = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for term in terms:
            df = sum(reader.doc_frequency(f, term) for f in ("title", "tags", "summary", "body"))
            if df:
                term_df[term] = df

    entries: dict[str, list[Any]] = {}
    for text, title in titles.items():
        entries[text] = [title, KIND_TITLE, 1]
    for name, df in people_df.items():
        entries[name] = [name, KIND_PERSON, df]
    for word, df in word_df.items():
        entries[word] = [word, KIND_WORD, df]
    for term, df in term_df.items():
        entries[term] = [term, KIND_TERM, df]
    return entries


def _write_atomic(generation: Path, name: str, text: str) -> None:
    tmp = generation / f".{name}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, generation / name)


def write_table(ix: Any, generation: Path, terms: list[str] | tuple[str, ...], changed_keys: list[str] | None = None) -> None:
    """(Re)compute suggest.json for one index generation; `changed_keys` limits re-analysis to those documents."""
    generation = Path(generation)
    # Reuse the previous table's pinyin: pypinyin costs ~50 µs a word and most entries survive
    # an incremental update unchanged.
    cached: dict[str, list[str]] = {}
    old = generation / TABLE_FILE
    if old.exists():
        try:
            previous = json.loads(old.read_text(encoding="utf-8"))
            if previous.get("format") == TABLE_FORMAT:
                cached = {e[0]: e[4].split() for e in previous["entries"]}
        except (ValueError, KeyError, IndexError):
            cached = {}  # a damaged table is simply rebuilt from scratch

    entries = _collect_entries(ix, generation, list(terms), changed_keys)
    ranked = sorted(entries.items(), key=lambda item: (item[1][1], -item[1][2], len(item[0]), item[0]))
    rows = []
    keys: list[tuple[str, int]] = []
    for index, (text, (display, kind, weight)) in enumerate(ranked):
        syls = cached.get(text) or syllables(text)
        rows.append([text, display, kind, weight, " ".join(syls)])
        keys.append((text, index))
        if syls:
            full = "".join(syls)
            initials = "".join(s[0] for s in syls)
            if full != text:
                keys.append((full, index))
            if initials != full:
                keys.append((initials, index))
    keys.sort()
    data = {
        "format": TABLE_FORMAT,
        "entries": rows,
        "keys": [k for k, _ in keys],
        "refs": [r for _, r in keys],
    }
    _write_atomic(generation, TABLE_FILE, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


@dataclass
class SuggestionTable:
    """A loaded suggest.json."""

    entries: list[list[Any]]
    keys: list[str]
    refs: list[int]
    _by_pinyin: dict[str, list[int]] | None = field(default=None, repr=False)
    _by_fuzzy: dict[str, list[int]] | None = field(default=None, repr=False)

    def lookup(self, prefix: str, limit: int = 8) -> list[str]:
        """Entries whose text, full pinyin or pinyin initials start with `prefix`, best first."""
        prefix = _PREFIX_NOISE.sub("", normalize_text(prefix))
        if not prefix or limit < 1:
            return []
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + "\U0010ffff", lo)
        hi = min(hi, lo + MAX_SCANNED)
        # refs are entry ranks: the smallest are the best suggestions.
        best = heapq.nsmallest(limit * 4, set(self.refs[lo:hi]))
        result: list[str] = []
        seen: set[str] = set()
        for ref in best:
            display = self.entries[ref][1]
            if display not in seen:
                seen.add(display)
                result.append(display)
                if len(result) == limit:
                    break
        return result

    def _pinyin_maps(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if self._by_pinyin is None or self._by_fuzzy is None:
            exact: dict[str, list[int]] = {}
            fuzzy: dict[str, list[int]] = {}
            for index, (text, _display, kind, _weight, syls) in enumerate(self.entries):
                # Corrections come from words and terms only: titles are too long to be a typo
                # of a query word, and people's names are matched exactly.
                if kind in (KIND_TERM, KIND_WORD) and _HAN.search(text):
                    parts = syls.split()
                    exact.setdefault("".join(parts), []).append(index)
                    fuzzy.setdefault(" ".join(fuzzy_syllable(p) for p in parts), []).append(index)
            self._by_pinyin, self._by_fuzzy = exact, fuzzy
        return self._by_pinyin, self._by_fuzzy

    def sound_alikes(self, text: str) -> list[str]:
        """Known words that sound like `text` (same length), best first: exact pinyin, then fuzzy."""
        parts = syllables(text)
        if not parts:
            return []
        exact, fuzzy = self._pinyin_maps()
        found: list[int] = list(exact.get("".join(parts), []))
        for index in fuzzy.get(" ".join(fuzzy_syllable(p) for p in parts), []):
            if index not in found:
                found.append(index)
        return [self.entries[i][0] for i in found if len(self.entries[i][0]) == len(text) and self.entries[i][0] != text]

    def exact_pinyin(self, letters: str) -> str | None:
        """The best Chinese word or term whose full pinyin is exactly `letters` (sigezixin)."""
        exact, _fuzzy = self._pinyin_maps()
        found = exact.get(letters.lower())
        return self.entries[min(found)][0] if found else None


_cache_lock = threading.Lock()
_cache: dict[str, tuple[int, SuggestionTable]] = {}


def load_table(generation: Path) -> SuggestionTable:
    """The suggestion table of a generation, cached until the file changes."""
    path = Path(generation) / TABLE_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"suggestion table {path} is missing: rebuild the search index to recreate it"
        ) from exc
    key = str(path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != TABLE_FORMAT:
        raise ValueError(f"suggestion table {path} has an unknown format; rebuild the search index")
    table = SuggestionTable(entries=data["entries"], keys=data["keys"], refs=data["refs"])
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = (mtime, table)
    return table
