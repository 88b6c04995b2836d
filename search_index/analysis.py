"""Chinese text analysis for the search index: normalisation, the jieba dictionary and a Whoosh analyzer.

Indexing and querying must cut text with the same dictionary; `Dictionary.version` names it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from math import log
from pathlib import Path
from typing import NamedTuple

import jieba
import zhconv
from jieba import finalseg
from whoosh.analysis import Analyzer, Token, Tokenizer

# Imported from its defining module: the wesh fork no longer re-exports it from whoosh.analysis.
from whoosh.analysis.analyzers import CompositeAnalyzer

# Bump when the tokenizer's behaviour or the schema changes (normalisation, stop list handling,
# frequencies, fields, boosts), so every index built by older code reports itself stale.
ANALYZER_VERSION = "3"  # 2: the labels field, summary boosted above body; 3: the stored heading of book pages

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionary"
SHIPPED_TERM_FILES = (
    DICTIONARY_DIR / "party_terms.txt",
    DICTIONARY_DIR / "changchun_districts.txt",
)
STOPWORDS_FILE = DICTIONARY_DIR / "stopwords.txt"

# Frequency given to custom terms. jieba's own suggest_freq() often returns 1 for unknown
# words, which is too weak to keep e.g. 三会一课 whole; a fixed floor keeps terms whole
# without being so large that they swallow neighbours: measured, 1000 keeps 中国梦想 as
# 中国/梦想 while 3000 already cuts it 中国梦/想.
CUSTOM_TERM_FREQ = 1000

# Longest term accepted from editors: longer strings are sentences, not dictionary words.
MAX_TERM_LENGTH = 30

# Only tokens containing a letter, digit or CJK ideograph are kept; punctuation, spaces and
# symbols are dropped (emoji included).
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# How many dictionary versions keep a jieba tokenizer in memory (each costs ~50 MB).
_MAX_CACHED_DICTIONARIES = 3

# Distinct words whose sub-words a Dictionary remembers (a few hundred bytes each).
_MAX_MEMOISED_WORDS = 200_000


def normalize_text(text: str) -> str:
    """Fold full-width/half-width forms (NFKC), case, and traditional → simplified Chinese."""
    if not text:
        return ""
    if text.isascii():
        # NFKC and zhconv leave ASCII as it is; skipping them saves their per-character loops.
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).lower()
    return zhconv.convert(folded, "zh-hans")


def _read_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a UTF-8 data file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"search dictionary file {path} is missing; it ships with the search_index package, "
            "reinstall or restore it from git"
        ) from exc
    lines = []
    for line in raw.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def shipped_terms() -> list[str]:
    """The party-history terms and district names shipped in search_index/dictionary/."""
    terms: list[str] = []
    for path in SHIPPED_TERM_FILES:
        terms.extend(_read_lines(path))
    return terms


def load_stopwords() -> frozenset[str]:
    """The small stop list in dictionary/stopwords.txt, normalised like any text."""
    return frozenset(normalize_text(word) for word in _read_lines(STOPWORDS_FILE))


def clean_term(term: str) -> str:
    """Normalise one dictionary term; raise ValueError if it cannot be a jieba word."""
    cleaned = normalize_text(term).strip()
    if not cleaned:
        raise ValueError("a dictionary term is empty after normalisation")
    if any(ch.isspace() for ch in cleaned):
        # jieba's user dictionaries cannot hold spaces, and a phrase is better served by
        # phrase search than by a single token.
        raise ValueError(f"dictionary term {term!r} contains whitespace; add its words separately")
    if len(cleaned) > MAX_TERM_LENGTH:
        raise ValueError(f"dictionary term {term!r} is longer than {MAX_TERM_LENGTH} characters")
    return cleaned


def effective_terms(extra_terms: Iterable[str] = ()) -> tuple[str, ...]:
    """Sorted, de-duplicated normalised terms: shipped files plus the editors' extra terms."""
    terms = {clean_term(t) for t in shipped_terms()}
    terms.update(clean_term(t) for t in extra_terms if t and t.strip())
    return tuple(sorted(terms))


def version_of_terms(terms: Iterable[str]) -> str:
    """Stable short hash of a term list plus ANALYZER_VERSION."""
    digest = hashlib.sha256()
    digest.update(f"analyzer:{ANALYZER_VERSION}\n".encode())
    for term in sorted(set(terms)):
        digest.update(term.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def dictionary_version(extra_terms: Iterable[str] = ()) -> str:
    """The version an index built now with these extra terms would record."""
    return version_of_terms(effective_terms(extra_terms))


@dataclass
class Dictionary:
    """One effective term list and the private jieba tokenizer loaded with it (built lazily)."""

    terms: tuple[str, ...]
    version: str
    _tokenizer: jieba.Tokenizer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # word -> its sub-words as (text, offset), or None when the word is not indexed at all.
    _words: dict[str, tuple[tuple[str, int], ...] | None] = field(default_factory=dict, repr=False)
    # dictionary word -> log(frequency / total), as jieba's route calculation computes it.
    _log_freq: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _tokenizer_with_terms(self.terms)
        return self._tokenizer

    def cut(self, text: str) -> Iterator[str]:
        """The words of jieba's `Tokenizer.cut(text, HMM=True)` (jieba 0.42.1), about twice as fast.

        jieba spends most of its time building a dict of lists for each block's word graph, then
        a generator of tuples per character taking log() of every candidate again. The same
        dynamic programme is run here in one backward pass with the logs remembered; candidates
        and tie-breaks are jieba's, so the words are identical (tests compare the two).
        """
        for block in _JIEBA_HAN.split(text):
            if not block:
                continue
            if _JIEBA_HAN.match(block):
                yield from self._cut_block(block)
            else:
                for piece in _JIEBA_SKIP.split(block):
                    if _JIEBA_SKIP.match(piece):
                        yield piece
                    else:
                        yield from piece

    def _cut_block(self, sentence: str) -> Iterator[str]:
        tokenizer = self.tokenizer
        freq = tokenizer.FREQ
        log_freq = self._log_freq
        if len(log_freq) >= _MAX_MEMOISED_WORDS:
            log_freq.clear()
        log_total = log(tokenizer.total)
        n = len(sentence)
        # score[i]: best log probability of sentence[i:]; last[i]: last index of its first word.
        score = [0.0] * (n + 1)
        last = list(range(n))
        for start in range(n - 1, -1, -1):
            best: float | None = None
            end = start + 1
            frag = sentence[start]
            while end <= n and frag in freq:
                if freq[frag]:
                    weight = log_freq.get(frag)
                    if weight is None:
                        weight = log_freq[frag] = log(freq[frag]) - log_total
                    value = weight + score[end]
                    # jieba takes max() of (value, end) tuples: on equal values the longer word wins.
                    if best is None or value >= best:
                        best = value
                        last[start] = end - 1
                end += 1
                frag = sentence[start:end]
            if best is None:
                best = log(freq.get(sentence[start]) or 1) - log_total + score[start + 1]
            score[start] = best
        # Runs of single characters go to jieba's HMM, as in jieba's __cut_DAG.
        buf = ""
        x = 0
        while x < n:
            y = last[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    yield from _flush_singles(buf, freq)
                    buf = ""
                yield sentence[x:y]
            x = y
        if buf:
            yield from _flush_singles(buf, freq)

    def word_parts(self, word: str) -> tuple[tuple[str, int], ...] | None:
        """None for a stop word or punctuation; else the sub-words of `word` with their offsets.

        Sub-words are the 2- and 3-grams of a word longer than two characters that are dictionary
        words (not stop words), each once, in order. Memoised: text repeats the same words, so this
        saves the checks on every occurrence.
        """
        try:
            return self._words[word]
        except KeyError:
            pass
        parts: tuple[tuple[str, int], ...] | None = None
        if word not in stopwords() and _WORDLIKE.search(word):
            found: list[tuple[str, int]] = []
            if len(word) > 2:
                freq = self.tokenizer.FREQ
                stops = stopwords()
                seen = {word}
                for size in (2, 3):
                    for i in range(len(word) - size + 1):
                        sub = word[i : i + size]
                        if sub not in seen and freq.get(sub) and sub not in stops:
                            seen.add(sub)
                            found.append((sub, i))
            parts = tuple(found)
        if len(self._words) >= _MAX_MEMOISED_WORDS:
            self._words.clear()
        self._words[word] = parts
        return parts


# jieba's own block and skip patterns (jieba.re_han_default, jieba.re_skip_default).
_JIEBA_HAN = jieba.re_han_default
_JIEBA_SKIP = jieba.re_skip_default


def _flush_singles(buf: str, freq: dict[str, int]) -> Iterator[str]:
    """A run of characters the word graph left single: one word, jieba's HMM, or each character."""
    if len(buf) == 1:
        yield buf
    elif not freq.get(buf):
        yield from finalseg.cut(buf)
    else:
        yield from buf


_base_lock = threading.Lock()
_base_tokenizer: jieba.Tokenizer | None = None
_dictionaries_lock = threading.Lock()
_dictionaries: OrderedDict[str, Dictionary] = OrderedDict()


def _base() -> jieba.Tokenizer:
    """jieba's stock dictionary, loaded once per process into a private tokenizer."""
    global _base_tokenizer
    with _base_lock:
        if _base_tokenizer is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base_tokenizer = tokenizer
    return _base_tokenizer


def _tokenizer_with_terms(terms: tuple[str, ...]) -> jieba.Tokenizer:
    """A private jieba tokenizer: the stock dictionary (copied, not reloaded) plus our terms."""
    base = _base()
    tokenizer = jieba.Tokenizer()
    # Copying the prefix dict takes ~15 ms, reloading it from disk ~600 ms; the global
    # jieba.dt is never touched, so other code using jieba keeps its own behaviour.
    tokenizer.FREQ = dict(base.FREQ)
    tokenizer.total = base.total
    tokenizer.initialized = True
    for term in terms:
        freq = max(tokenizer.suggest_freq(term, tune=False), CUSTOM_TERM_FREQ)
        tokenizer.add_word(term, freq=freq)
    return tokenizer


def get_dictionary(extra_terms: Iterable[str] = ()) -> Dictionary:
    """The (cached) dictionary for the shipped terms plus `extra_terms`."""
    return dictionary_for_terms(effective_terms(extra_terms))


def dictionary_for_terms(terms: Iterable[str]) -> Dictionary:
    """The (cached) dictionary for an exact effective term list, e.g. one stored in an index."""
    terms = tuple(sorted(set(terms)))
    version = version_of_terms(terms)
    with _dictionaries_lock:
        found = _dictionaries.get(version)
        if found is not None:
            _dictionaries.move_to_end(version)
            return found
        found = Dictionary(terms=terms, version=version)
        _dictionaries[version] = found
        while len(_dictionaries) > _MAX_CACHED_DICTIONARIES:
            _dictionaries.popitem(last=False)
        return found


_stopwords: frozenset[str] | None = None


def stopwords() -> frozenset[str]:
    """The stop list, read once."""
    global _stopwords
    if _stopwords is None:
        _stopwords = load_stopwords()
    return _stopwords


class Word(NamedTuple):
    """One analysed token: text, sequential position, and character span in the normalised text."""

    text: str
    pos: int
    start: int
    end: int


def analyze(text: str, dictionary: Dictionary, *, search_mode: bool) -> Iterator[Word]:
    """Cut normalised text into words with sequential positions.

    In search mode each word longer than two characters is followed by its jieba sub-words
    (2- and 3-grams that are dictionary words), all at the SAME position as the containing
    word, so phrase queries over whole words still line up. Stop words, punctuation and
    whitespace are dropped without using up a position, so the query side (which drops them
    too) lines up with the index side.
    """
    normalized = normalize_text(text)
    if not normalized:
        return
    word_parts = dictionary.word_parts
    pos = 0
    offset = 0
    for word in dictionary.cut(normalized):
        start = offset
        offset += len(word)
        parts = word_parts(word)
        if parts is None:
            continue
        yield Word(word, pos, start, offset)
        if search_mode:
            for sub, i in parts:
                yield Word(sub, pos, start + i, start + i + len(sub))
        pos += 1


# A query is a phrase typed on a phone; more words than this are a paste and only cost time.
MAX_QUERY_WORDS = 10


def query_words(text: str, dictionary: Dictionary) -> list[str]:
    """Whole words of a query (no sub-words), in order, duplicates removed, at most MAX_QUERY_WORDS."""
    seen: dict[str, None] = {}
    for word in analyze(text, dictionary, search_mode=False):
        seen.setdefault(word.text, None)
        if len(seen) == MAX_QUERY_WORDS:
            break
    return list(seen)


def sub_words(word: str, dictionary: Dictionary) -> list[str]:
    """jieba's search-mode sub-words of one word (excluding the word itself)."""
    return [w.text for w in analyze(word, dictionary, search_mode=True) if w.text != word]


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer over `analyze()`; pickled into the index schema with its exact term list.

    Storing the terms (not a reference to a global) means an index always queries with the
    dictionary it was built with, even after the shipped files or the editors' terms change;
    `index_is_stale()` is what tells that a rebuild is due.
    """

    def __init__(self, terms: Iterable[str]):
        self.terms = tuple(sorted(set(terms)))
        self.version = version_of_terms(self.terms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JiebaTokenizer) and other.version == self.version

    def __hash__(self) -> int:
        return hash(self.version)

    def __getstate__(self) -> dict:
        return {"terms": self.terms, "version": self.version}

    def __setstate__(self, state: dict) -> None:
        self.terms = tuple(state["terms"])
        self.version = version_of_terms(self.terms)

    @property
    def dictionary(self) -> Dictionary:
        # Held, not looked up per call: hashing the term list cost more than cutting a short title.
        found = self.__dict__.get("_dictionary")
        if found is None:
            found = self._dictionary = dictionary_for_terms(self.terms)
        return found

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        if not isinstance(value, str):
            raise TypeError(f"JiebaTokenizer needs str, got {type(value).__name__}")
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        # Whoosh passes mode="index" when indexing; sub-words only belong in the index, the
        # query side asks for whole words and falls back to sub-words itself (see query.py).
        search_mode = mode == "index"
        for word in analyze(value, self.dictionary, search_mode=search_mode):
            token.text = word.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word.text
            if positions:
                token.pos = start_pos + word.pos
            if chars:
                token.startchar = start_char + word.start
                token.endchar = start_char + word.end
            yield token


def ChineseAnalyzer(terms: Iterable[str]) -> Analyzer:
    """The analyzer for every text field: jieba with our dictionary, NFKC, lowercase, zh-hans."""
    # A bare tokenizer is wrapped in a CompositeAnalyzer so the schema's field sees an Analyzer.
    return CompositeAnalyzer(JiebaTokenizer(terms))
