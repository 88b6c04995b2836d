"""Per-client request limits on the dynamic paths, answered in Chinese: an HTML page, JSON under /api/.

nginx's limit_req is the first line; this is the application's own, so a search node or the CMS host
reached some other way is protected too. RATE_LIMITS lists the rules (empty: off, as in development
and the tests). A fixed window per client and rule; a burst across a window edge can reach twice the
rate, which is fine for a backstop. Clients are counted by a salted hash of their address
(cms.client_ip), so no address is stored.

The counters live in one small SQLite file (RATE_LIMIT_STORE) that every worker process on the machine
shares: one atomic upsert per request, not synced to disk (a count lost in a power cut is harmless),
tens of microseconds. Django's database cache cost 6.5 ms a request on SQLite and 13.4 ms on PostgreSQL,
its file cache 10 ms (bench/bench_rate_limit.py), in front of a search that should take under 50.
Search nodes on other machines count on their own.

The same page answers the admin login lockout (django-axes' AXES_LOCKOUT_CALLABLE).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.utils.html import format_html

from search_index.views import critical_css

from .client_ip import client_ip

PAGE = """<!doctype html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} - 党史学习资源库</title>
<style>{css}</style>
</head>
<body>
<main class="wrap" id="main">
<h1>{title}</h1>
<p>{message}</p>
<p><a href="{back_url}">{back_label}</a></p>
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class Rule:
    """At most `requests` requests per `seconds` from one client to paths starting with `path` (one method or any)."""

    path: str
    requests: int
    seconds: int
    method: str | None = None

    def matches(self, request: HttpRequest) -> bool:
        return request.path_info.startswith(self.path) and self.method in (None, request.method)


class CounterStore:
    """Windowed hit counters in a SQLite file shared by the processes of one machine (a connection per thread)."""

    UPSERT = (
        "INSERT INTO hits (key, window_end, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET"
        " count = CASE WHEN hits.window_end = excluded.window_end THEN hits.count + 1 ELSE 1 END,"
        " window_end = excluded.window_end RETURNING count"
    )
    PRUNE_EVERY_SECONDS = 60

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.local = threading.local()
        self.pruned_at = 0.0

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, window_end INTEGER NOT NULL, count INTEGER NOT NULL)"
                " WITHOUT ROWID"
            )
            self.local.connection = connection
        return connection

    def hit(self, key: str, window_end: int, now: float) -> int:
        """Count one hit on `key` in the window ending at `window_end`; returns the window's count so far."""
        connection = self.connection()
        (count,) = connection.execute(self.UPSERT, (key, window_end)).fetchone()
        if now - self.pruned_at > self.PRUNE_EVERY_SECONDS:  # finished windows: one row per client left behind
            self.pruned_at = now
            connection.execute("DELETE FROM hits WHERE window_end < ?", (int(now),))
        return count


def too_many_requests(request: HttpRequest, retry_after: int, title: str, message: str) -> HttpResponse:
    """A 429 with Retry-After: JSON for /api/, otherwise a small page in the site's style."""
    if request.path_info.startswith("/api/"):
        body = json.dumps({"error": message, "retry_after": retry_after}, ensure_ascii=False)
        response = HttpResponse(body, status=429, content_type="application/json; charset=utf-8")
    else:
        back = ("/admin/login/", "返回登录页") if request.path_info.startswith("/admin/") else ("/", "返回首页")
        html = format_html(PAGE, title=title, message=message, css=critical_css(), back_url=back[0], back_label=back[1])
        response = HttpResponse(html, status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"


class RateLimitMiddleware:
    """Answers 429 once a client has used up a rule's requests in the current window."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.rules = [Rule(**rule) for rule in settings.RATE_LIMITS]
        if not self.rules:
            raise MiddlewareNotUsed
        self.store = CounterStore(settings.RATE_LIMIT_STORE)
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for rule in self.rules:
            if rule.matches(request):
                retry_after = self.spend(rule, request)
                if retry_after:
                    return too_many_requests(
                        request, retry_after, "请求过于频繁", f"您的操作太频繁了，请等 {wait_text(retry_after)}后再试。"
                    )
                break
        return self.get_response(request)

    def spend(self, rule: Rule, request: HttpRequest) -> int:
        """Count this request; 0 when it is allowed, else the seconds until the window ends."""
        now = time.time()
        window_end = (int(now // rule.seconds) + 1) * rule.seconds
        client = salted_hmac("cms.ratelimit", client_ip(request)).hexdigest()[:24]
        count = self.store.hit(f"{rule.path} {rule.method or '*'} {client}", window_end, now)
        return 0 if count <= rule.requests else max(1, math.ceil(window_end - now))


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the same page, with the cool-off time."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return too_many_requests(
        request, seconds, "登录失败次数过多",
        f"为保护账户安全，这个账户从您当前网络的登录已暂停 {wait_text(seconds)}。请稍后再试；如果忘记了密码，请联系管理员重置。",
    )
