"""What the application rate limit (cms.ratelimit with production's database cache) adds to each request; prints JSON.

    .venv/bin/python bench/bench_rate_limit.py [--requests 2000] [--repeats 5] [--file-cache]

Production settings on a throwaway SQLite file (or DATABASE_URL's database, e.g. PostgreSQL, where it
creates and drops the cache table unless it exists), one process, no HTTP: the middleware in front of an empty view,
once with the /api/search/ rule and once on a path no rule covers, for clients at 1,000 addresses. The
difference of the medians is the limiter's cost per request.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--file-cache", action="store_true", help="count in Django's FileBasedCache instead")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bench-ratelimit-"))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "cms.settings.production", "DANGSHI_VAR_DIR": str(var),
                       "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'db.sqlite3'}")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory

    from cms.ratelimit import RateLimitMiddleware

    table = settings.CACHES[settings.RATE_LIMIT_CACHE]["LOCATION"]
    existed = table in connection.introspection.table_names()
    call_command("createcachetable", verbosity=0)
    if args.file_cache:
        settings.CACHES["file"] = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(var / "cache"), "OPTIONS": {"MAX_ENTRIES": 50_000}}
        settings.RATE_LIMIT_CACHE = "file"
    settings.RATE_LIMITS = [{"path": "/api/search/", "requests": 10**9, "seconds": 60}]
    middleware = RateLimitMiddleware(lambda request: HttpResponse())
    factory = RequestFactory()

    def run(path: str) -> float:
        requests = [factory.get(path, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.{i % 1000 // 250}.{i % 250}")
                    for i in range(args.requests)]
        started = time.perf_counter()
        for request in requests:
            middleware(request)
        return (time.perf_counter() - started) / args.requests * 1e6

    limited, free = [], []
    for _ in range(args.repeats):
        limited.append(run("/api/search/"))
        free.append(run("/api/hotwords/"))
    cost = statistics.median(limited) - statistics.median(free)
    print(json.dumps({
        "database": connection.vendor,
        "cache": settings.CACHES[settings.RATE_LIMIT_CACHE]["BACKEND"],
        "requests_per_repeat": args.requests,
        "repeats": args.repeats,
        "limited_us_per_request_median": round(statistics.median(limited), 1),
        "unlimited_us_per_request_median": round(statistics.median(free), 1),
        "limiter_cost_ms_per_request": round(cost / 1000, 3),
    }))
    if not existed:  # never touch a table (and live counters) that was there before
        caches[settings.RATE_LIMIT_CACHE].clear()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")


if __name__ == "__main__":
    main()
