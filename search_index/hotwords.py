"""Hot words: what members searched most lately (time-decayed), plus editors' pins, minus blocked words.

The query log keeps only normalised text and a timestamp. `hot_word_pages()` gives the static builder
everything it needs to pre-render /hot/<slug>/ pages, so a tap on a hot word needs no search server.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .analysis import normalize_text
from .models import MAX_LOGGED_CHARS, HotWordBlock, HotWordPin, QueryLog
from .suggestions import syllables

HALF_LIFE_DAYS = 7.0
WINDOW_DAYS = 90
MAX_HOT_WORDS = 12
RESULTS_PER_HOT_WORD = 10
MAX_RAW_QUERY_CHARS = 50  # longer input is a paste, not a search worth counting
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
_LOGGABLE = re.compile(r"^[0-9a-z\u3400-\u9fff ·]+$")


def slug_for(word: str) -> str:
    """A stable URL-safe slug: toneless pinyin of the word plus a short hash ("sigezixin-5d1c0a")."""
    pinyin = "".join(syllables(word))[:40] or "ci"
    digest = hashlib.sha1(normalize_text(word).encode("utf-8")).hexdigest()[:6]
    return f"{pinyin}-{digest}"


def loggable(raw: str) -> str | None:
    """The text to log for a search, or None: empty, over-long, operator soup and symbols are not logged."""
    if not raw or len(raw) > MAX_RAW_QUERY_CHARS:
        return None
    text = " ".join(normalize_text(raw).split())
    if not text or len(text) > MAX_LOGGED_CHARS or not _LOGGABLE.match(text) or not _WORDLIKE.search(text):
        return None
    return text


def log_query(raw: str) -> bool:
    text = loggable(raw)
    if text is None:
        return False
    QueryLog.objects.create(text=text, created_at=timezone.now())
    return True


# The block list is read at most once per BLOCKED_TTL seconds per process (every suggestion request
# used to query it); saving or deleting a block in this process drops the copy at once.
BLOCKED_TTL = 60.0
_blocked_cache: tuple[float, frozenset[str]] | None = None


def blocked_words() -> frozenset[str]:
    global _blocked_cache
    now = time.monotonic()
    cached = _blocked_cache
    if cached is not None and now - cached[0] < BLOCKED_TTL:
        return cached[1]
    words = frozenset(normalize_text(w) for w in HotWordBlock.objects.values_list("word", flat=True))
    _blocked_cache = (now, words)
    return words


def forget_blocked_words(**_kwargs) -> None:
    """Drop the cached block list (connected to HotWordBlock's post_save/post_delete)."""
    global _blocked_cache
    _blocked_cache = None


post_save.connect(forget_blocked_words, sender=HotWordBlock, dispatch_uid="search_index.blocked_words.save")
post_delete.connect(forget_blocked_words, sender=HotWordBlock, dispatch_uid="search_index.blocked_words.delete")


def is_blocked(text: str, blocked: set[str] | frozenset[str]) -> bool:
    """A word is blocked when it contains a blocked word (blocking 某某 also hides 某某事件)."""
    norm = normalize_text(text)
    return any(b and b in norm for b in blocked)


def decayed_counts(now=None, half_life_days: float = HALF_LIFE_DAYS) -> dict[str, float]:
    """Searches per text over the last WINDOW_DAYS, each day's count weighted by 0.5 ** (age / half-life)."""
    now = now or timezone.now()
    rows = (
        QueryLog.objects.filter(created_at__gte=now - timedelta(days=WINDOW_DAYS))
        .annotate(day=TruncDate("created_at"))
        .values("text", "day")
        .annotate(n=Count("id"))
    )
    today = timezone.localdate(now)
    scores: dict[str, float] = {}
    for row in rows:
        age = max((today - row["day"]).days, 0)
        scores[row["text"]] = scores.get(row["text"], 0.0) + row["n"] * math.pow(0.5, age / half_life_days)
    return scores


def prune_log(now=None) -> int:
    """Delete log rows older than the window; returns how many."""
    now = now or timezone.now()
    deleted, _ = QueryLog.objects.filter(created_at__lt=now - timedelta(days=WINDOW_DAYS)).delete()
    return deleted


def _has_results(index_dir: Path, word: str) -> bool:
    from .query import search

    try:
        result = search(index_dir, word, per_page=1)
    except FileNotFoundError:
        return False
    return result.total > 0 and not result.used_or_fallback


def hot_words(limit: int = MAX_HOT_WORDS, index_dir: Path | None = None) -> list[str]:
    """Pinned words in editor order, then the most searched words that find public content; never blocked ones."""
    index_dir = Path(index_dir or settings.SEARCH_INDEX_DIR)
    blocked = blocked_words()
    words: list[str] = []
    seen: set[str] = set()
    for word in HotWordPin.objects.order_by("order", "word").values_list("word", flat=True):
        norm = normalize_text(word)
        if norm not in seen and not is_blocked(word, blocked):
            seen.add(norm)
            words.append(word)
    ranked = sorted(decayed_counts().items(), key=lambda kv: (-kv[1], kv[0]))
    for text, _score in ranked:
        if len(words) >= limit:
            break
        if text in seen or is_blocked(text, blocked) or not _has_results(index_dir, text):
            continue
        seen.add(text)
        words.append(text)
    return words[:limit]


def hot_word_entry(word: str) -> dict:
    slug = slug_for(word)
    return {"word": word, "slug": slug, "url": f"/hot/{slug}/"}


def top_results(index_dir: Path, word: str, limit: int = RESULTS_PER_HOT_WORD) -> list[dict]:
    from .query import search

    result = search(index_dir, word, per_page=limit)
    return [
        {"title": h.title, "url": h.url, "type": h.type, "cover": h.cover, "snippet": h.snippet_html, "date": h.date}
        for h in result.hits
    ]


def hot_word_pages(api_or_index: str | Path | None = None, limit: int = MAX_HOT_WORDS) -> list[dict]:
    """Hot words with their top results, for pre-rendering /hot/<slug>/ pages.

    `api_or_index`: an http(s) URL of this service's /api/hotwords/ (the builder on another machine),
    or an index directory (in-process; default settings.SEARCH_INDEX_DIR).
    Each entry: {word, slug, url, results: [{title, url, type, cover, snippet (safe HTML), date}]}.
    """
    source = str(api_or_index) if api_or_index else ""
    if source.startswith(("http://", "https://")):
        from site_builder.source import CMSClient

        client = CMSClient(source)
        response = client.get(source, params={"with_results": "1"})
        response.raise_for_status()
        return response.json()
    index_dir = Path(source or settings.SEARCH_INDEX_DIR)
    return [{**hot_word_entry(w), "results": top_results(index_dir, w)} for w in hot_words(limit, index_dir)]
