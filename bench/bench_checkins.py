"""Check-ins per second through gunicorn on PostgreSQL: many members tapping 今日打卡 at once; prints JSON.

    .venv/bin/python bench/bench_checkins.py [--members 3000] [--runs 3] [--clients 32] [--processes 4]

The same harness as bench_signups (database `bench_checkins`, production settings, gunicorn on loopback, one POST
per member per run from keep-alive connections): each member POSTs /me/checkin/ as the static pages' form does
(no CSRF token; Origin of the site), which records the day's check-in, grants its points and completes the member's
current check-in activities. Each run clears the check-ins first and checks one was recorded per member.
Output: the median run's check-ins/s (303 answers), p50/p95 latency, every run's figure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_signups import Target, arguments, bench  # noqa: E402


def checkin_target() -> Target:
    from activities.models import CheckIn
    from members.models import PointAward, PointRule

    def reset() -> None:
        CheckIn.objects.all().delete()
        PointAward.objects.filter(kind=PointRule.CHECKIN).delete()

    def check(sent: int) -> dict:
        recorded = CheckIn.objects.count()
        assert recorded == sent, (recorded, sent)
        return {"checkins": recorded, "points_awards": PointAward.objects.filter(kind=PointRule.CHECKIN).count()}

    return Target(name="checkins", path="/me/checkin/", body="", reset=reset, check=check)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], members=3000).parse_args()
    result = bench("bench_checkins", args.members, checkin_target, args.runs, args.clients, args.processes,
                   args.workers, args.threads)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
