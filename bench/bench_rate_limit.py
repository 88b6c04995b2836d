"""What the application rate limit (cms.ratelimit, production settings) adds to each request; prints JSON.

    .venv/bin/python bench/bench_rate_limit.py [--requests 2000] [--repeats 5] [--threads 1]

One process, no HTTP: the middleware in front of an empty view, once on /api/search/ (a rule, with a
limit no one reaches) and once on a path no rule covers, for clients at 1,000 addresses; with
--threads N, N threads share the work as a gunicorn worker's threads do. The difference of the
medians is the limiter's cost per request. (Its first version counted in Django's database cache:
6.5 ms a request on SQLite, 13.4 ms on PostgreSQL, 10 ms in the file cache; see git history.)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bench-ratelimit-"))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "cms.settings.production", "DANGSHI_VAR_DIR": str(var),
                       "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}"})
    import django

    django.setup()
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory

    from cms.ratelimit import RateLimitMiddleware

    settings.RATE_LIMITS = [{"path": "/api/search/", "requests": 10**9, "seconds": 60}]
    middleware = RateLimitMiddleware(lambda request: HttpResponse())
    factory = RequestFactory()

    def run(path: str) -> float:
        requests = [factory.get(path, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.{i % 1000 // 250}.{i % 250}")
                    for i in range(args.requests)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(middleware, requests))
        return (time.perf_counter() - started) / args.requests * 1e6

    limited, free = [], []
    for _ in range(args.repeats):
        limited.append(run("/api/search/"))
        free.append(run("/api/hotwords/"))
    print(json.dumps({
        "store": str(settings.RATE_LIMIT_STORE.name),
        "requests_per_repeat": args.requests,
        "repeats": args.repeats,
        "threads": args.threads,
        "limited_us_per_request_median": round(statistics.median(limited), 1),
        "unlimited_us_per_request_median": round(statistics.median(free), 1),
        "limiter_cost_us_per_request": round(statistics.median(limited) - statistics.median(free), 1),
    }))


if __name__ == "__main__":
    main()
