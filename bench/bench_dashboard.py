"""The 「学习统计」 dashboard with a year at the seed's totals on PostgreSQL (issue 12's goal: < 500 ms); prints JSON.

    .venv/bin/python bench/bench_dashboard.py [--items 10000] [--items-per-day 600] [--runs 20]

Creates the database `bench_stats` on 127.0.0.1:5432 (user postgres; dropped first and at the end — never `test`),
migrates it, seeds the tiny demo catalogue (which writes four recent weeks), then writes last year at the seed's
totals (3,056,130 visits, 62,745 visitors, 8,654,850 study minutes) over --items item ids (the catalogue's and
made-up ones, so the top-20 list sums as many month rows as the seed's catalogue would give). Times that write,
then the dashboard page for last year and for this year (rendered through Django's test client, logged in as a
superuser, DEBUG off): median and p95 over --runs after two warm-up requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._cms import django_on_fresh_database, drop_database  # noqa: E402

DB_NAME = "bench_stats"


def timings(client, url: str, runs: int) -> dict:
    for _ in range(2):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--items-per-day", type=int, default=600)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    try:
        django_on_fresh_database(DB_NAME)
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from content_models.pages import LibraryItemPage
        from stats.history import seed_history, year_days
        from stats.management.commands.seed_learning_history import SEED_TOTALS
        from stats.models import ColumnDay, DayTotal, DistrictDay, ItemDay, ItemMonth

        real = list(LibraryItemPage.objects.values_list("pk", flat=True))
        item_ids = real + list(range(100000, 100000 + max(0, args.items - len(real))))
        year = timezone.localdate().year - 1
        started = time.perf_counter()
        days = seed_history(year_days(year, timezone.localdate()), **SEED_TOTALS, item_ids=item_ids,
                            items_per_day=args.items_per_day)
        seeded = time.perf_counter() - started
        totals = DayTotal.objects.filter(day__year=year)
        user = get_user_model().objects.create_superuser("bench", "bench@example.cn", "pw")
        client = Client()
        client.force_login(user)
        result = {
            "database": "postgresql",
            "year": year,
            "days_written": days,
            "seed_year_seconds": round(seeded, 1),
            "visits": sum(totals.values_list("visits", flat=True)),
            "visitors": sum(totals.values_list("visitors", flat=True)),
            "study_minutes": sum(totals.values_list("study_seconds", flat=True)) // 60,
            "rows": {model.__name__: model.objects.count() for model in (DayTotal, DistrictDay, ColumnDay, ItemDay, ItemMonth)},
            "dashboard_last_year_by_day": timings(client, f"/admin/stats/?period={year}&grain=day", args.runs),
            "dashboard_last_year_by_month": timings(client, f"/admin/stats/?period={year}&grain=month", args.runs),
            "dashboard_this_year": timings(client, "/admin/stats/?period=year&grain=week", args.runs),
            "goal_ms": 500,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
