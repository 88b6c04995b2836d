"""Hot words: what many members searched lately, as editors approved, pinned or blocked them.

Searches are logged as cleaned text (no operators, no punctuation) per distinct visitor per day
(`log_query`); `refresh()` turns the log into 「待审热词」 for editors and stores the public list, the one
snapshot every page that shows hot words reads (`hot_words()`); tasks.refresh_shown_hot_words asks for
a site rebuild whenever that list changes. `hot_word_pages()` gives the static builder the words with
their top results, so a tap on a hot word needs no search server.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cms.client_ip import client_ip

from .analysis import normalize_text
from .models import MAX_LOGGED_CHARS, HotWord, QueryLog, ShownHotWords
from .schema import PAGE_TYPE
from .suggestions import syllables

logger = logging.getLogger(__name__)

HALF_LIFE_DAYS = 7.0
MAX_HOT_WORDS = 12
RESULTS_PER_HOT_WORD = 10
MAX_RAW_QUERY_CHARS = 50  # longer input is a paste, not a search worth counting
MAX_USER_AGENT_CHARS = 512
# The visitor key turns over at midnight in Beijing, whatever the server's time zone.
DAY_ZONE = ZoneInfo("Asia/Shanghai")
# Where the views keep a copy of the public list; refresh() drops it.
SHOWN_CACHE_KEY = "search_index:hot_words"
SHOWN_CACHE_SECONDS = 60

_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
# Query syntax members type from other search engines; none of it belongs in a hot word.
_OPERATORS = frozenset({"and", "or", "not"})
_FIELD_PREFIX = re.compile(r"^[a-z_]+:")  # title:红色 → 红色
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff·]+")  # punctuation, + - * " ( ) and symbols split words


def slug_for(word: str) -> str:
    """A stable URL-safe slug: toneless pinyin of the word plus a short hash ("sigezixin-5d1c0a")."""
    pinyin = "".join(syllables(word))[:40] or "ci"
    digest = hashlib.sha1(normalize_text(word).encode("utf-8")).hexdigest()[:6]
    return f"{pinyin}-{digest}"


def loggable(raw: str) -> str | None:
    """The text to log for a search, or None: words only, without operators (AND/OR/NOT, +/-, title:) or
    punctuation; `红色 AND 足迹` → "红色 足迹". Empty, over-long and symbol-only input is not logged."""
    if not raw or len(raw) > MAX_RAW_QUERY_CHARS:
        return None
    words: dict[str, None] = {}
    for token in normalize_text(raw).split():
        for part in _NOT_WORD.split(_FIELD_PREFIX.sub("", token)):
            if part not in _OPERATORS and _WORDLIKE.search(part):
                words.setdefault(part, None)
    text = " ".join(words)
    return text if text and len(text) <= MAX_LOGGED_CHARS else None


def today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), DAY_ZONE).date()


def visitor_token(request: HttpRequest, text: str, day: date) -> str:
    """Tells distinct searchers of `text` on `day` apart and nothing else: an HMAC of address, browser and
    text under a key made of SECRET_KEY and the day, so it changes daily and links no two of a person's searches."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT_CHARS]
    value = f"{client_ip(request)}\n{user_agent}\n{text}"
    return salted_hmac(f"search_index.hot_words.visitor:{day.isoformat()}", value, algorithm="sha256").hexdigest()[:32]


def log_query(request: HttpRequest, raw: str) -> bool:
    """Count one searcher of `raw` today (once, however often they repeat it); False when it is not loggable."""
    text = loggable(raw)
    if text is None:
        return False
    day = today()
    row = QueryLog(text=text, day=day, visitor=visitor_token(request, text, day))
    try:
        QueryLog.objects.bulk_create([row], ignore_conflicts=True)
    except DatabaseError as error:
        # Counting is best effort: a search node keeps answering while the database is away.
        logger.warning("Search not counted for hot words, the query log is unavailable: %s", type(error).__name__)
        return False
    return True


# The block list is read at most once per BLOCKED_TTL seconds per process (every suggestion request
# used to query it); a refresh in this process drops the copy at once.
BLOCKED_TTL = 60.0
_blocked_cache: tuple[float, frozenset[str]] | None = None


def blocked_words() -> frozenset[str]:
    global _blocked_cache
    now = time.monotonic()
    cached = _blocked_cache
    if cached is not None and now - cached[0] < BLOCKED_TTL:
        return cached[1]
    try:
        words = frozenset(
            normalize_text(w) for w in HotWord.objects.filter(status=HotWord.Status.BLOCKED).values_list("word", flat=True)
        )
    except DatabaseError:
        if cached is None:
            raise
        words = cached[1]  # the database is away: keep hiding what was blocked, ask again after the TTL
    _blocked_cache = (now, words)
    return words


def forget_blocked_words() -> None:
    """Drop this process's copy of the block list."""
    global _blocked_cache
    _blocked_cache = None


def is_blocked(text: str, blocked: set[str] | frozenset[str]) -> bool:
    """A word is blocked when it contains a blocked word (blocking 某某 also hides 某某事件)."""
    norm = normalize_text(text)
    return any(b and b in norm for b in blocked)


def decayed_counts(now: datetime | None = None, half_life_days: float = HALF_LIFE_DAYS) -> dict[str, tuple[int, float]]:
    """Per text over the last HOT_WORD_WINDOW_DAYS days: (distinct visitors, score), the score weighting
    each day's visitors by 0.5 ** (age / half-life)."""
    day = today(now)
    rows = (
        QueryLog.objects.filter(day__gt=day - timedelta(days=settings.HOT_WORD_WINDOW_DAYS))
        .values("text", "day")
        .annotate(n=Count("id"))
    )
    counts: dict[str, tuple[int, float]] = {}
    for row in rows:
        age = max((day - row["day"]).days, 0)
        visitors, score = counts.get(row["text"], (0, 0.0))
        counts[row["text"]] = (visitors + row["n"], score + row["n"] * math.pow(0.5, age / half_life_days))
    return counts


def prune_log(now: datetime | None = None) -> int:
    """Delete log rows older than the window; returns how many."""
    cutoff = today(now) - timedelta(days=settings.HOT_WORD_WINDOW_DAYS)
    deleted, _ = QueryLog.objects.filter(day__lte=cutoff).delete()
    return deleted


def _has_results(index_dir: Path, word: str) -> bool:
    from .query import search

    try:
        result = search(index_dir, word, per_page=1)
    except FileNotFoundError:
        return False
    # Found inside books' pages only does not count: 400,000 pages hold nearly any text, so a word would be planted
    # by searching any phrase from a page; a hot word must name something on the shelves (a title, a person, a tag).
    items = result.total - result.facets.get("type", {}).get(PAGE_TYPE, 0)
    return items > 0 and not result.used_or_fallback and not result.used_correction


def _review(index_dir: Path, now: datetime | None) -> list[str]:
    """Bring 待审热词 up to date with the log; returns the approved words members search enough, hottest first.

    A text becomes a hot word once HOT_WORD_MIN_VISITORS distinct visitors searched it in the window and
    it finds public content; until an editor approves it, it waits as pending (or is approved at once
    when HOT_WORD_REQUIRE_APPROVAL is off). Pending words that fall below the threshold leave the queue.
    """
    threshold = settings.HOT_WORD_MIN_VISITORS
    blocked = blocked_words()
    counts = decayed_counts(now)
    eligible = {
        text: score
        for text, (visitors, score) in counts.items()
        if visitors >= threshold and not is_blocked(text, blocked) and _has_results(index_dir, text)
    }
    rows = {normalize_text(row.word): row for row in HotWord.objects.exclude(status=HotWord.Status.BLOCKED)}
    new_status = HotWord.Status.PENDING if settings.HOT_WORD_REQUIRE_APPROVAL else HotWord.Status.APPROVED
    HotWord.objects.bulk_create(
        [HotWord(word=text, status=new_status, visitors=counts[text][0]) for text in eligible if text not in rows],
        ignore_conflicts=True,  # a block added meanwhile keeps its word
    )
    changed = []
    for norm, row in rows.items():
        visitors = counts.get(norm, (0, 0.0))[0]
        status = HotWord.Status.APPROVED if row.status == HotWord.Status.PENDING and new_status == HotWord.Status.APPROVED else row.status
        if (visitors, status) != (row.visitors, row.status):
            row.visitors, row.status = visitors, status
            changed.append(row)
    HotWord.objects.bulk_update(changed, ["visitors", "status"])
    HotWord.objects.filter(status=HotWord.Status.PENDING).exclude(word__in=list(eligible)).delete()
    approved = {
        normalize_text(w) for w in HotWord.objects.filter(status=HotWord.Status.APPROVED).values_list("word", flat=True)
    }
    return [text for text, _score in sorted(eligible.items(), key=lambda kv: (-kv[1], kv[0])) if text in approved]


def refresh(index_dir: Path | None = None, now: datetime | None = None, limit: int = MAX_HOT_WORDS) -> dict:
    """Prune the log, update 待审热词 and store the public list: pinned words in editor order, then the
    approved words members search most; never a blocked one. Returns {pruned, pending, shown, changed}."""
    index_dir = Path(index_dir or settings.SEARCH_INDEX_DIR)
    forget_blocked_words()
    with transaction.atomic():
        # One refresh at a time (PostgreSQL row lock; SQLite's write transactions are serial anyway).
        snapshot = ShownHotWords.objects.select_for_update().filter(pk=1).first() or ShownHotWords(pk=1)
        pruned = prune_log(now)
        searched = _review(index_dir, now)
        blocked = blocked_words()
        shown: list[str] = []
        seen: set[str] = set()
        pins = HotWord.objects.filter(status=HotWord.Status.PINNED).order_by("order", "word").values_list("word", flat=True)
        for word in [*pins, *searched]:
            norm = normalize_text(word)
            if norm not in seen and not is_blocked(word, blocked) and len(shown) < limit:
                seen.add(norm)
                shown.append(word)
        changed = shown != snapshot.words
        if changed:
            snapshot.words = shown
            snapshot.save()
    cache.delete(SHOWN_CACHE_KEY)
    pending = HotWord.objects.filter(status=HotWord.Status.PENDING).count()
    return {"pruned": pruned, "pending": pending, "shown": shown, "changed": changed}


def hot_words() -> list[str]:
    """The public hot words, in order: the list the last refresh stored (empty before the first, or while
    the database is away: a search node's pages still answer)."""
    try:
        return list(ShownHotWords.objects.filter(pk=1).values_list("words", flat=True).first() or [])
    except DatabaseError as error:
        logger.warning("Hot words not shown, the database is unavailable: %s", type(error).__name__)
        return []


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


def hot_word_pages(api_or_index: str | Path | None = None) -> list[dict]:
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
    return [{**hot_word_entry(w), "results": top_results(index_dir, w)} for w in hot_words()]
