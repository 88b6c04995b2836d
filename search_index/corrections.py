"""「您是不是要找」: a query that sounds or spells like the one typed and finds something.

Pinyin typed on a phone (full yanan, initials sgzx, mixed 延an, several words run together), sound-alike
characters (四个自心) and near spellings (marxsim) are looked up in the generation's suggestion table,
whose lookups are bisects with capped scans (suggestions.py). Each candidate query is checked with the
same bitmasks search uses, so a correction always finds something; the search for one stops at the
caller's deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from .analysis import query_words
from .ranking import match_all
from .snapshot import Snapshot
from .suggestions import SuggestionTable, contains_in_order, han_syllables, typed_units

# Runs of characters and letters a correction may replace; digits and punctuation stay as typed.
_RUN = re.compile(r"[\u3400-\u9fffa-z']+")
_LETTER = re.compile(r"[a-z]")
_SEPARATORS = re.compile(r"[\s']+")

MAX_TRIES = 12  # candidate queries checked against the index at most
ALTERNATIVES = 4  # replacements kept per run
MIN_INITIALS = 3  # two initials (dy) name too many words to stand for one
MIN_TYPO_CHARS = 5  # shorter Latin strings are too ambiguous to respell
MAX_WINDOW = 8  # longest stretch of characters replaced by one sound-alike word
MAX_PIECE_CHARS = 72  # longest full pinyin of a suggestion word (12 syllables)


def correction(text: str, words: list[str], snap: Snapshot, *, deadline: float) -> str | None:
    """A query that sounds or spells like `text` and finds something, or None.

    `deadline` is a time.perf_counter() value: past it, no further candidate is looked for or checked.
    """
    try:
        table = snap.table
    except FileNotFoundError:
        return None
    seen = {text}
    for candidate in _candidates(text, table, deadline):
        if time.perf_counter() > deadline or len(seen) > MAX_TRIES:
            return None
        if candidate in seen:
            continue
        seen.add(candidate)
        new_words = query_words(candidate, snap.dictionary)
        if new_words and match_all(snap, new_words, use_or=False):
            return candidate
    return None


def _candidates(text: str, table: SuggestionTable, deadline: float) -> Iterator[str]:
    """Candidate queries, most likely first."""
    compact = _SEPARATORS.sub("", text)
    if compact != text and compact.isascii() and compact.isalpha():
        # Pinyin with spaces or apostrophes (yan an, xi'an) or a split Latin word (marx sim).
        yield from _letter_alternatives(compact, table, deadline)
    runs = list(_RUN.finditer(text))
    choices: list[list[str]] = []
    for match in runs:
        if time.perf_counter() > deadline:
            return
        run = match.group(0)
        if _LETTER.search(run):
            choices.append(_letter_alternatives(run, table, deadline) or [run])
        else:
            choices.append([_correct_han_run(run, table, deadline)])

    def query(picks: list[str]) -> str:
        out, last = [], 0
        for match, pick in zip(runs, picks, strict=True):
            out += [text[last : match.start()], pick]
            last = match.end()
        return "".join(out) + text[last:]

    firsts = [alternatives[0] for alternatives in choices]
    yield query(firsts)
    for i, alternatives in enumerate(choices):
        for alternative in alternatives[1:]:
            yield query(firsts[:i] + [alternative] + firsts[i + 1 :])


def _letter_alternatives(run: str, table: SuggestionTable, deadline: float) -> list[str]:
    """What a run holding Latin letters may have meant, best first (empty when nothing fits)."""
    plain = run.replace("'", "")
    if not plain:
        return []
    if plain.isalpha() and plain.isascii() and table.is_word(plain):
        return [plain]  # a Latin word the index has
    units = typed_units(plain)
    full = "".join(letters for letters, _ in units)
    chars = "".join(ch for _, ch in units)
    initials = "".join(letters[0] if ch else letters for letters, ch in units)
    stages = (
        lambda: table.by_pinyin(full),
        lambda: table.by_initials(initials) if len(initials) >= MIN_INITIALS else [],
        lambda: table.by_fuzzy(full),
        lambda: _segmented(units, table, deadline),
        lambda: table.near_spellings(full, 1 if len(full) < 8 else 2) if not chars and len(full) >= MIN_TYPO_CHARS else [],
    )
    for stage in stages:
        if time.perf_counter() > deadline:
            return []
        found = stage()
        if found:
            # Words keeping the characters that were typed come first: 延an is 延安, not 燕安.
            found = sorted(dict.fromkeys(found), key=lambda w: not contains_in_order(w, chars))
            return found[:ALTERNATIVES]
    return []


def _segmented(units: list[tuple[str, str]], table: SuggestionTable, deadline: float) -> list[str]:
    """Several words' pinyin run together (sigezixindangshi → 四个自信 党史): the cut into the fewest
    known full-pinyin keys, each read as its best word. Cuts never split a typed character's syllable."""
    n = len(units)
    # best[j] = (pieces, start of the last piece) for the first j units
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0)
    for i in range(n):
        if best[i] is None:
            continue
        if time.perf_counter() > deadline:
            return []
        key = ""
        for j in range(i + 1, n + 1):
            key += units[j - 1][0]
            exact, starts = table.pinyin_state(key)
            if not starts or len(key) > MAX_PIECE_CHARS:
                break
            if exact and (best[j] is None or best[i][0] + 1 < best[j][0]):
                best[j] = (best[i][0] + 1, i)
    if best[n] is None or best[n][0] < 2:
        return []
    pieces: list[str] = []
    j = n
    while j:
        i = best[j][1]
        chars = "".join(ch for _, ch in units[i:j])
        words = table.by_pinyin("".join(letters for letters, _ in units[i:j]))
        pieces.append(min(words, key=lambda w: not contains_in_order(w, chars)))
        j = i
    return [" ".join(reversed(pieces))]


def _correct_han_run(run: str, table: SuggestionTable, deadline: float) -> str:
    """Replace unknown stretches of a Chinese run with known sound-alike words, longest first."""
    syls = han_syllables(run)
    out: list[str] = []
    i = 0
    while i < len(run):
        if time.perf_counter() > deadline:
            return run
        for j in range(min(len(run), i + MAX_WINDOW), i + 1, -1):
            window = run[i:j]
            if table.is_word(window):
                # A word the index knows is kept as it is.
                out.append(window)
                i = j
                break
            if all(syls[i:j]):
                # Names in the table may be several index words; only single known words replace a window.
                alike = [w for w in table.sound_alikes(window, syls[i:j]) if table.is_word(w)]
                if alike:
                    out.append(alike[0])
                    i = j
                    break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)
