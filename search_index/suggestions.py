"""The suggestion table (suggest.json beside each index generation): the words of every searched field,
people, tags, column and district names, whole titles and dictionary terms, keyed by Chinese prefix, full
pinyin and pinyin initials, so suggest() is a bisect, not a search.

It is also the bounded vocabulary 「您是不是要找」 draws on (corrections.py): exact, initial and fuzzy
pinyin and near spellings are bisects over sorted key lists, never a walk over the index's terms.
"""

from __future__ import annotations

import gc
import heapq
import json
import os
import re
import secrets
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin
from whoosh.support.levenshtein import distance

from .analysis import normalize_text
from .schema import FIELD_BOOSTS, TEXT_FIELDS

TABLE_FILE = "suggest.json"
DOCS_FILE = "suggest-docs.json"  # per-document titles and names, so updates re-read only what changed
WORDS_FILE = "suggest-words.json"  # per-segment words, so updates read only the new segments' terms
TABLE_FORMAT = 3

# Entry kinds, in the order they are offered: dictionary terms first, then words of any searched
# field, then names (people, tags, columns, districts), then whole titles.
KIND_TERM, KIND_WORD, KIND_NAME, KIND_TITLE = 0, 1, 2, 3

MAX_TITLE_CHARS = 40
# The most frequent words are kept: a corpus of book contents can hold far more distinct words than
# anyone types, and the table is reloaded after every update.
MAX_WORDS = 30_000
# A prefix like "s" matches a large share of all pinyin keys; ranking looks at this many
# matches at most so the worst case stays well under 10 ms.
MAX_SCANNED = 20000
# Near spellings are looked for among at most this many keys sharing each half of the typed key.
MAX_SPELLING_CANDIDATES = 100

_HAN = re.compile(r"[\u3400-\u9fff]")
_HAN_WORD = re.compile(r"[\u3400-\u9fff]{2,30}")  # 30: the longest dictionary term
_LATIN_WORD = re.compile(r"[a-z]{3,20}")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NAMES_SPLIT = re.compile(r"[,，、;；/|\s]+")
_PREFIX_NOISE = re.compile(r"[\s'’·]+")
_SCRIPT_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z]+")
# Separates the entries of a column in suggest.json: JSON leaves it unescaped (a newline's escape
# made parsing three times slower), and no entry holds it: titles and names have their whitespace
# collapsed, words never contain any.
_SEP = "\u2028"
# Pinyin confusions common in Northeastern speech and phone typing: zh/z, ch/c, sh/s, -ng/-n, n/l.
# Folded on the whole key (syllable boundaries are unknown in what was typed), the same on both sides.
_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("n", "l"))


def syllables(text: str) -> list[str]:
    """Toneless pinyin syllables of `text`; Latin letters and digits pass through as chunks."""
    result = []
    for chunk in lazy_pinyin(text):
        chunk = _NOT_ALNUM.sub("", chunk.lower())
        if chunk:
            result.append(chunk)
    return result


def han_syllables(run: str) -> list[str]:
    """One toneless syllable per character of a run of Chinese characters ("" where pypinyin has none),
    read in context so 银行 is yin hang."""
    return [s.lower() for s in lazy_pinyin(run, errors=lambda chars: [""] * len(chars))]


def typed_units(text: str) -> list[tuple[str, str]]:
    """What a member typed as (letters, character) units: a Chinese character with its syllable,
    each Latin letter on its own with "" — 延an is [("yan", "延"), ("a", ""), ("n", "")]."""
    units: list[tuple[str, str]] = []
    for run in _SCRIPT_RUN.findall(text):
        if _HAN.match(run):
            units += list(zip(han_syllables(run), run, strict=True))
        else:
            units += [(letter, "") for letter in run]
    return units


def fold(key: str) -> str:
    """A pinyin key with the usual confusions folded away: zhongguo and zongguo fold alike."""
    for long, short in _FOLDS:
        key = key.replace(long, short)
    return key


def contains_in_order(word: str, chars: str) -> bool:
    """Whether every character of `chars` occurs in `word`, in this order."""
    rest = iter(word)
    return all(ch in rest for ch in chars)


# --- building --------------------------------------------------------------------------------


def _names(stored: dict) -> list[str]:
    """People, tags, column and district names of a stored document, normalised: whole phrases an
    editor chose, which the analyzer may have cut into several words (基层动态 → 基层 动态)."""
    lines = (stored.get("tags") or "").split("\n") + (stored.get("labels") or "").split("\n")
    raw = _NAMES_SPLIT.split(stored.get("people") or "") + lines
    names = {" ".join(normalize_text(n).split()) for n in raw}
    return sorted(n for n in names if 2 <= len(n) <= 12)


def _doc_contribution(stored: dict) -> list[Any]:
    """What one document adds besides its words: [normalised title, title, names]."""
    title = " ".join((stored.get("title") or "").split())[:MAX_TITLE_CHARS]
    return [normalize_text(title) if title else "", title, _names(stored)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _contributions(searcher: Any, generation: Path, changed_keys: list[str] | None) -> dict[str, list[Any]]:
    """Per-document contributions: only `changed_keys` are re-read when the sidecar file exists."""
    saved = _read_json(generation / DOCS_FILE) if changed_keys is not None else None
    if isinstance(saved, dict) and saved.get("format") == TABLE_FORMAT:
        contribs = saved["docs"]
        for key in changed_keys or ():
            stored = searcher.document(key=key)
            if stored is None:
                contribs.pop(key, None)
            else:
                contribs[key] = _doc_contribution(stored)
    else:
        contribs = {stored["key"]: _doc_contribution(stored) for stored in searcher.reader().all_stored_fields()}
    _write_atomic(generation, DOCS_FILE, json.dumps({"format": TABLE_FORMAT, "docs": contribs},
                                                    ensure_ascii=False, separators=(",", ":")))
    return contribs


def _segment_words(leaf: Any) -> list[list[Any]]:
    """[word, weight, field, first docnum] for each word in one segment's searched fields.

    Weight is the field-boosted document frequency; the field and docnum are a witness that the
    word is still in a live document, so deletions are checked without reading posting lists.
    """
    found: dict[str, list[Any]] = {}
    for fieldname in TEXT_FIELDS:
        boost = FIELD_BOOSTS[fieldname]
        for raw, info in leaf.iter_field(fieldname):
            word = raw.decode("utf-8")
            if not (_HAN_WORD.fullmatch(word) or _LATIN_WORD.fullmatch(word)):
                continue
            row = found.get(word)
            if row is None:
                found[word] = [word, info.doc_frequency() * boost, fieldname, info.min_id()]
            else:
                row[1] += info.doc_frequency() * boost
    return list(found.values())


def _is_live(leaf: Any, word: str, fieldname: str, first: int) -> bool:
    if not leaf.is_deleted(first):
        return True
    # Postings of a segment reader skip deleted documents.
    return any(leaf.postings(f, word).is_active() for f in TEXT_FIELDS if (f, word) in leaf)


def _vocabulary(reader: Any, generation: Path) -> dict[str, float]:
    """Word -> weight over the live documents of every segment.

    A segment's terms never change, so they are read once per segment (the sidecar remembers them);
    an update reads only its own small segment. Words of deleted documents are dropped, so an
    unpublished item's words stop being suggested with the update that removes it.
    """
    saved = _read_json(generation / WORDS_FILE)
    cached = saved.get("segments", {}) if isinstance(saved, dict) and saved.get("format") == TABLE_FORMAT else {}
    segments: dict[str, list[list[Any]]] = {}
    weights: dict[str, float] = {}
    for leaf, _offset in reader.leaf_readers():
        segment = leaf.segment()
        if segment is None:  # an empty index
            continue
        name = segment.segment_id()
        rows = cached.get(name)
        if rows is None:
            rows = _segment_words(leaf)
        segments[name] = rows
        deletions = leaf.has_deletions()
        for word, weight, fieldname, first in rows:
            if deletions and not _is_live(leaf, word, fieldname, first):
                continue
            weights[word] = weights.get(word, 0.0) + weight
    if segments.keys() != cached.keys():
        _write_atomic(generation, WORDS_FILE, json.dumps({"format": TABLE_FORMAT, "segments": segments},
                                                         ensure_ascii=False, separators=(",", ":")))
    if len(weights) > MAX_WORDS:
        weights = dict(heapq.nlargest(MAX_WORDS, weights.items(), key=lambda kv: kv[1]))
    return weights


def _collect_entries(ix: Any, generation: Path, terms: list[str], changed_keys: list[str] | None) -> dict[str, list[Any]]:
    """text -> [display, kind, weight]; a text offered as several kinds keeps the best kind."""
    with ix.searcher() as searcher:
        contribs = _contributions(searcher, generation, changed_keys)
        words = _vocabulary(searcher.reader(), generation)
    entries: dict[str, list[Any]] = {}

    def offer(text: str, display: str, kind: int, weight: float) -> None:
        if text not in entries or kind < entries[text][1]:
            entries[text] = [display, kind, weight]

    name_counts: dict[str, int] = {}
    for title_norm, title, names in contribs.values():
        if title_norm:
            offer(title_norm, title, KIND_TITLE, 1)
        for name in names:
            name_counts[name] = name_counts.get(name, 0) + 1
    for name, count in name_counts.items():
        offer(name, name, KIND_NAME, count)
    term_set = set(terms)
    for word, weight in words.items():
        offer(word, word, KIND_TERM if word in term_set else KIND_WORD, round(weight, 1))
    return entries


def _write_atomic(generation: Path, name: str, text: str) -> None:
    tmp = generation / f".{name}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, generation / name)


def _index(pairs: list[tuple[str, int]]) -> dict[str, str]:
    """A sorted key list as two columns: the keys, and their entry numbers comma-separated."""
    pairs.sort()
    return {"keys": _SEP.join(k for k, _ in pairs), "refs": ",".join(str(r) for _, r in pairs)}


@contextmanager
def _without_gc() -> Iterator[None]:
    """Suspend the cyclic garbage collector: a table holds some 100,000 small strings and lists, whose
    creation set off repeated full collections costing a quarter of each update. None form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_table(ix: Any, generation: Path, terms: list[str] | tuple[str, ...], changed_keys: list[str] | None = None) -> None:
    """(Re)compute suggest.json for one index generation; `changed_keys` limits re-reading to those documents.

    The file holds columns of text rather than nested lists: a search process loads it after every
    update, and a few long strings parse several times faster than 100,000 short ones; each column
    is split only when a lookup first needs it.
    """
    with _without_gc():
        _write_table(ix, Path(generation), terms, changed_keys)


def _write_table(ix: Any, generation: Path, terms: list[str] | tuple[str, ...], changed_keys: list[str] | None) -> None:
    # Reuse the previous table's pinyin: pypinyin costs ~50 µs a word and most entries survive
    # an incremental update unchanged.
    cached: dict[str, str] = {}
    previous = _read_json(generation / TABLE_FILE)
    if isinstance(previous, dict) and previous.get("format") == TABLE_FORMAT:
        cached = dict(zip(_split(previous["texts"]), _split(previous["syllables"]), strict=True))

    entries = _collect_entries(ix, generation, list(terms), changed_keys)
    ranked = sorted(entries.items(), key=lambda item: (item[1][1], -item[1][2], len(item[0]), item[0]))
    texts, displays, kinds, syllable_lines = [], [], [], []
    prefix: list[tuple[str, int]] = []
    spell: list[tuple[str, int]] = []
    backward: list[tuple[str, int]] = []
    fuzzy: list[tuple[str, int]] = []
    for index, (text, (display, kind, _weight)) in enumerate(ranked):
        han = bool(_HAN.search(text))
        syls = cached.get(text)
        if syls is None:
            syls = " ".join(syllables(text)) if han else ""
        texts.append(text)
        displays.append("" if display == text else display)
        kinds.append(str(kind))
        syllable_lines.append(syls)
        prefix.append((text, index))
        full = syls.replace(" ", "") if han else text
        if han and full:
            initials = "".join(s[0] for s in syls.split())
            prefix.append((full, index))
            if initials != full:
                prefix.append((initials, index))
        if kind != KIND_TITLE and full:
            # Titles are too long to be what a query word was meant to be.
            spell.append((full, index))
            backward.append((full[::-1], index))
            if han:
                fuzzy.append((fold(full), index))
    data: dict[str, Any] = {
        "format": TABLE_FORMAT,
        "texts": _SEP.join(texts),
        "displays": _SEP.join(displays),
        "kinds": "".join(kinds),
        "syllables": _SEP.join(syllable_lines),
    }
    for name, pairs in (("keys", prefix), ("spell", spell), ("backward", backward), ("fuzzy", fuzzy)):
        data[name] = _index(pairs)
    _write_atomic(generation, TABLE_FILE, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


# --- reading ---------------------------------------------------------------------------------


def _split(column: str) -> list[str]:
    return column.split(_SEP) if column else []


def _equal(keys: list[str], refs: list[int], key: str) -> list[int]:
    lo = bisect_left(keys, key)
    return sorted(refs[lo : bisect_right(keys, key, lo)])


def _starting(keys: list[str], refs: list[int], prefix: str, cap: int) -> list[int]:
    lo = bisect_left(keys, prefix)
    hi = min(bisect_left(keys, prefix + "\U0010ffff", lo), lo + cap)
    return refs[lo:hi]


class SuggestionTable:
    """A loaded suggest.json. Entries are ranked: a smaller entry number is a better suggestion.

    Columns and key lists are split from the file's strings on first use: suggest() never pays for
    the correction lists, nor a correction for the display texts.
    """

    def __init__(self, data: dict[str, Any]):
        self._data = data
        self._indexes: dict[str, tuple[list[str], list[int]]] = {}

    @cached_property
    def texts(self) -> list[str]:
        return _split(self._data["texts"])

    @cached_property
    def displays(self) -> list[str]:
        return [d or t for d, t in zip(_split(self._data["displays"]), self.texts, strict=True)]

    @cached_property
    def syllables(self) -> list[str]:
        return _split(self._data["syllables"])

    @property
    def kinds(self) -> str:
        return self._data["kinds"]  # one digit an entry

    def _index(self, name: str) -> tuple[list[str], list[int]]:
        index = self._indexes.get(name)
        if index is None:
            column = self._data[name]
            index = self._indexes[name] = (_split(column["keys"]), json.loads(f"[{column['refs']}]"))
        return index

    def lookup(self, prefix: str, limit: int = 8) -> list[str]:
        """Entries whose text, full pinyin or pinyin initials start with `prefix`, best first.

        A prefix mixing characters and letters (延an) is read as pinyin; entries holding its
        characters are offered.
        """
        prefix = _PREFIX_NOISE.sub("", normalize_text(prefix))
        if not prefix or limit < 1:
            return []
        keys, refs = self._index("keys")
        if _HAN.search(prefix) and re.search("[a-z]", prefix):
            units = typed_units(prefix)
            chars = "".join(ch for _, ch in units)
            candidates: set[int] = set()
            for key in ("".join(letters for letters, _ in units),  # 延an
                        "".join(letters[0] if ch else letters for letters, ch in units)):  # 习jp
                candidates.update(_starting(keys, refs, key, MAX_SCANNED))
            best = [ref for ref in sorted(candidates) if contains_in_order(self.texts[ref], chars)][: limit * 4]
        else:
            best = heapq.nsmallest(limit * 4, set(_starting(keys, refs, prefix, MAX_SCANNED)))
        result: list[str] = []
        seen: set[str] = set()
        displays = self.displays
        for ref in best:
            if displays[ref] not in seen:
                seen.add(displays[ref])
                result.append(displays[ref])
                if len(result) == limit:
                    break
        return result

    def _texts(self, refs: list[int]) -> list[str]:
        return [self.texts[ref] for ref in refs]

    def _full(self, ref: int) -> str:
        return self.syllables[ref].replace(" ", "") or self.texts[ref]

    def _equal(self, name: str, key: str) -> list[int]:
        return _equal(*self._index(name), key)

    def is_word(self, text: str) -> bool:
        """Whether `text` is a word or term of the index (names and titles may be several words)."""
        return any(self.texts[r] == text and int(self.kinds[r]) <= KIND_WORD for r in self._equal("keys", text))

    def by_pinyin(self, key: str) -> list[str]:
        """Words, terms and names whose full pinyin is `key` (yanan → 延安), best first."""
        return self._texts(self._equal("spell", key))

    def by_initials(self, key: str) -> list[str]:
        """Words, terms and names whose pinyin initials are `key` (xjp → 习近平), best first."""
        return [self.texts[r] for r in self._equal("keys", key)
                if int(self.kinds[r]) != KIND_TITLE and "".join(s[0] for s in self.syllables[r].split()) == key]

    def by_fuzzy(self, key: str) -> list[str]:
        """Words, terms and names whose pinyin folds like `key` (zongguomen → 中国梦), best first."""
        return self._texts(self._equal("fuzzy", fold(key)))

    def pinyin_state(self, key: str) -> tuple[bool, bool]:
        """(some entry's full pinyin is `key`, some entry's full pinyin starts with `key`)."""
        spell, _refs = self._index("spell")
        lo = bisect_left(spell, key)
        starts = lo < len(spell) and spell[lo].startswith(key)
        return starts and spell[lo] == key, starts

    def near_spellings(self, key: str, maxdist: int) -> list[str]:
        """Entries whose full pinyin (or Latin spelling) is within `maxdist` edits of `key`, closest first.

        Candidates share the first or the last half of `key` (one of them survives a single typo),
        at most MAX_SPELLING_CANDIDATES each, so the cost does not grow with the vocabulary.
        """
        half = len(key) // 2
        refs = set(_starting(*self._index("spell"), key[:half], MAX_SPELLING_CANDIDATES))
        refs.update(_starting(*self._index("backward"), key[::-1][: len(key) - half], MAX_SPELLING_CANDIDATES))
        scored = []
        for ref in refs:
            full = self._full(ref)
            if abs(len(full) - len(key)) <= maxdist:
                d = distance(key, full, limit=maxdist)
                if d <= maxdist:
                    scored.append((d, ref))
        return [self.texts[ref] for _d, ref in sorted(scored)]

    def sound_alikes(self, text: str, syls: list[str]) -> list[str]:
        """Other known words as long as `text` that sound like it (`syls` its syllables), best first."""
        full = "".join(syls)
        found = self._equal("spell", full)
        found += [r for r in self._equal("fuzzy", fold(full)) if r not in found]
        return [w for w in self._texts(found) if len(w) == len(text) and w != text]


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
    data = json.loads(path.read_bytes())
    if data.get("format") != TABLE_FORMAT:
        raise ValueError(f"suggestion table {path} has an unknown format; rebuild the search index")
    table = SuggestionTable(data)
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = (mtime, table)
    return table
