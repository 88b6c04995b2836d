"""「您是不是要找」: a query that sounds or spells like the one typed and finds something."""

from __future__ import annotations

import re
from typing import Any

from .analysis import query_words
from .ranking import match_all
from .schema import TEXT_FIELDS
from .snapshot import Snapshot
from .suggestions import SuggestionTable

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z]{3,}")


def _doc_freq(searcher: Any, word: str) -> int:
    return max(searcher.doc_frequency(f, word) for f in TEXT_FIELDS)


def correction(text: str, words: list[str], snap: Snapshot) -> str | None:
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
    new_words = query_words(candidate, snap.dictionary)
    if not new_words:
        return None
    if not match_all(snap, new_words, use_or=False):
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

