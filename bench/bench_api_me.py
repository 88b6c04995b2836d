"""`GET /api/me/` for a member with a year of study on PostgreSQL (issue 12's goal: p95 < 20 ms); prints JSON.

    .venv/bin/python bench/bench_api_me.py [--others 2000] [--runs 300]

Creates the database `bench_api_me` on 127.0.0.1:5432 (user postgres; dropped first and at the end — never `test`),
migrates it, seeds the tiny demo catalogue, gives one member a study row on three items every day of the past year
(so the streak walks 365 days) with a study point award a day, and --others members 50 days each around them.
Times the member's /api/me/ through Django's test client (in process, DEBUG off; no network, no gunicorn): median
and p95 over --runs after five warm-up requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._cms import django_on_fresh_database, drop_database  # noqa: E402

DB_NAME = "bench_api_me"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    try:
        django_on_fresh_database(DB_NAME)
        from django.http import HttpResponse
        from django.test import Client, RequestFactory
        from django.utils import timezone

        from content_models.pages import LibraryItemPage
        from content_models.taxonomy import District
        from members.models import Member, PointAward, PointRule, StudyRecord
        from members.sessions import MEMBER_COOKIE, log_in

        district = District.objects.get(slug="nanguan")
        items = list(LibraryItemPage.objects.values_list("pk", flat=True)[:3])
        today, now = timezone.localdate(), timezone.now()
        PointRule.objects.get_or_create(kind=PointRule.STUDY, valid_from=today - timedelta(days=400),
                                        defaults={"points": 1, "per_minutes": 10, "yearly_cap": 3000})
        members = Member.objects.bulk_create(
            Member(name=f"党员{n}", phone=f"137{n:08d}", district=district, password="!") for n in range(args.others + 1))
        member = members[0]
        rows, awards = [], []
        for days_ago in range(365):
            day = today - timedelta(days=days_ago)
            rows += [StudyRecord(member=member, district=district, item_id=item, day=day, seconds=1200, updated_at=now)
                     for item in items]
            awards.append(PointAward(member=member, kind=PointRule.STUDY, key=f"study:{day}", day=day, points=6))
        for n, other in enumerate(members[1:]):
            rows += [StudyRecord(member=other, district=district, item_id=items[n % 3], day=today - timedelta(days=d * 7 % 365),
                                 seconds=900, updated_at=now) for d in range(50)]
        StudyRecord.objects.bulk_create(rows, batch_size=5000)
        PointAward.objects.bulk_create(awards)
        response = HttpResponse()
        log_in(RequestFactory().get("/me/login/"), response, member)
        client = Client()
        client.cookies[MEMBER_COOKIE] = response.cookies[MEMBER_COOKIE].value
        for _ in range(5):
            assert client.get("/api/me/").status_code == 200
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            answer = client.get("/api/me/")
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        times.sort()
        print(json.dumps({
            "database": "postgresql", "study_rows": StudyRecord.objects.count(), "answer": answer.json(),
            "median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
            "goal_p95_ms": 20,
        }, ensure_ascii=False, indent=2))
    finally:
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
