"""Per-client request limits on the dynamic paths, answered in Chinese: an HTML page, JSON under /api/.

nginx's limit_req is the first line; this is the application's own, so a search node or the CMS host
reached some other way is protected too. RATE_LIMITS lists the rules (empty: off, as in development
and the tests); counters live in the cache RATE_LIMIT_CACHE, which production points at a database
table so every gunicorn worker, and every search node on the same database, counts together. A fixed
window per client and rule: two cache calls per request; a burst across a window edge can reach twice
the rate, which is fine for a backstop. Clients are counted by a salted hash of their address
(cms.client_ip), so the cache never holds an address.

The same page answers the admin login lockout (django-axes' AXES_LOCKOUT_CALLABLE).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
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
        window = int(now // rule.seconds)
        client = salted_hmac("cms.ratelimit", client_ip(request)).hexdigest()[:24]
        key = f"ratelimit:{rule.path}:{rule.method or '*'}:{client}:{window}"
        cache = caches[settings.RATE_LIMIT_CACHE]
        cache.add(key, 0, rule.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, rule.seconds + 1)
            count = 1
        if count <= rule.requests:
            return 0
        return max(1, math.ceil((window + 1) * rule.seconds - now))


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the same page, with the cool-off time."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return too_many_requests(
        request, seconds, "登录失败次数过多",
        f"为保护账户安全，这个账户从您当前网络的登录已暂停 {wait_text(seconds)}。请稍后再试；如果忘记了密码，请联系管理员重置。",
    )
