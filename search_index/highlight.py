"""Snippets: a window of stored text around the first match, HTML-escaped, matches in <mark>."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

import zhconv

from .analysis import Dictionary, sub_words

SNIPPET_CHARS = 90
# Snippets are cut from the first part of the stored excerpt only, to bound the work per hit.
SNIPPET_SCAN_CHARS = 1500
_ASCII_ALNUM = re.compile(r"[0-9a-z]")


def highlight_terms(words: list[str], dictionary: Dictionary) -> list[str]:
    terms = set(words)
    for word in words:
        terms.update(w for w in sub_words(word, dictionary) if len(w) >= 2)
    # Longest first, so 国有企业 is marked whole rather than as 国有 + 企业.
    return sorted(terms, key=lambda t: (-len(t), t))


class _Fold(dict):
    """Character ordinal -> that character NFKC-normalised and lowercased (and with `to_hans`, also
    made simplified Chinese), worked out on first use: str.translate() then folds a text at C speed."""

    def __init__(self, to_hans: bool):
        super().__init__()
        self.to_hans = to_hans

    def __missing__(self, ordinal: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(ordinal)).lower()
        if self.to_hans:
            folded = zhconv.convert(folded, "zh-hans")
        self[ordinal] = folded
        return folded


_FOLD = _Fold(to_hans=False)
_FOLD_HANS = _Fold(to_hans=True)


def _normalized_with_map(text: str) -> tuple[str, Sequence[int]]:
    """normalize_text(text) plus, for each normalised character, its index in `text`."""
    folded = text.translate(_FOLD)
    if len(folded) == len(text):
        mapping: Sequence[int] = range(len(text))  # one character each: the common case
    else:
        pieces = [_FOLD[ord(ch)] for ch in text]
        folded = "".join(pieces)
        mapping = [i for i, piece in enumerate(pieces) for _ in piece]
    if folded.translate(_FOLD_HANS) == folded:
        return folded, mapping  # no traditional characters: zhconv would change nothing
    converted = zhconv.convert(folded, "zh-hans")
    # zhconv converts character for character nearly always; when a phrase conversion changes
    # the length the map would be wrong, so fall back to the unconverted text.
    return (converted if len(converted) == len(folded) else folded), mapping


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

