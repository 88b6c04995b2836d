"""Sign-ups per second under contention: many members, one event, through gunicorn on PostgreSQL; prints JSON.

    .venv/bin/python bench/bench_signups.py [--members 2000] [--capacity 200] [--runs 3] [--clients 32] [--processes 4]

Creates the database `bench_signups` on 127.0.0.1:5432 (user postgres; dropped first and at the end — never `test`),
migrates it, seeds the tiny demo catalogue, creates --members members with a session each (bench_beats' helpers),
publishes one event with --capacity places and starts gunicorn with production settings (loopback, no TLS, no
nginx). Each run clears the event's sign-ups, then --processes client processes with --clients keep-alive
connections between them POST one sign-up per member (CSRF token and Origin as a browser sends them): every request
takes the same activity row lock, which is the contention measured. A run checks that exactly --capacity members
were confirmed and the rest wait. Output: the median run's sign-ups/s (303 answers), p50/p95 latency, every run's figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._cms import POSTGRES, free_port, manage, post_per_token, sql  # noqa: E402
from bench.bench_beats import environment, make_members  # noqa: E402

CSRF = "b" * 32  # an unmasked CSRF secret: Django accepts the same 32 characters as cookie and form token


@dataclass
class Target:
    """What one bench POSTs: a path and form body per member token; `reset` runs in this process before each run."""

    name: str
    path: str
    body: str
    reset: Callable[[], None]
    check: Callable[[int], dict]  # given the number sent, figures read back from the database after a run


def post_all(args: tuple[int, str, str, list[str], int]) -> tuple[int, list[float], int]:
    """One client process: `connections` keep-alive connections POST the target's form once per token (303 expected)."""
    port, path, body, tokens, connections = args
    origin = f"http://127.0.0.1:{port}"

    def request(token: str) -> tuple[str, str, dict[str, str]]:
        return path, body, {
            "Origin": origin, "Referer": origin + path, "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"dangshi_member={token}; dangshi_in=1; csrftoken={CSRF}",
        }

    return post_per_token(port, tokens, connections, 303, request)


# One loopback load generator is one address: production's per-address limit on members' POSTs would refuse it.
SETTINGS = '''"""The members' benches' settings: production's, without the per-address limit on members' POSTs."""
from cms.settings.production import *  # noqa: F403

RATE_LIMITS = [rule for rule in RATE_LIMITS if rule["path"] != "/me/"]  # noqa: F405
'''


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    work = Path(env["DANGSHI_VAR_DIR"]).parent
    (work / "bench_members_settings.py").write_text(SETTINGS, encoding="utf-8")
    env = env | {"PYTHONPATH": str(work), "DJANGO_SETTINGS_MODULE": "bench_members_settings"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py", "cms.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v2/columns/", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    return server


def bench(db_name: str, members: int, make_target: Callable[[], Target], runs: int, clients: int, processes: int,
          workers: int, threads: int) -> dict:
    """A scratch database and gunicorn; `runs` rounds of one POST per member; the median round and every round."""
    work = Path(tempfile.mkdtemp(prefix=f"{db_name}-"))
    port = free_port()
    env = environment(work, port) | {"DATABASE_URL": f"{POSTGRES}/{db_name}", "GUNICORN_PROC_NAME": f"dangshi-{db_name}",
                                     "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads)}
    sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    sql(f"CREATE DATABASE {db_name}")
    server = None
    try:
        manage(env, "migrate", "--noinput", quiet=True)
        manage(env, "createcachetable", quiet=True)
        manage(env, "seed_demo", "--scale", "tiny", quiet=True)
        os.environ.update(env)  # this process's Django (members, the event, the checks) uses the same database
        tokens, _item = make_members(members)
        target = make_target()
        server = start_gunicorn(env, port)
        rounds = []
        for _ in range(runs):
            target.reset()
            per = max(1, clients // processes)
            parts = [(port, target.path, target.body, tokens[i::processes], per) for i in range(processes)]
            started = time.perf_counter()
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                results = pool.map(post_all, parts)
            elapsed = time.perf_counter() - started
            ok = sum(r[0] for r in results)
            latencies = sorted(x for r in results for x in r[1])
            rounds.append({
                "per_second": round(ok / elapsed, 1), "accepted_303": ok, "failed": sum(r[2] for r in results),
                "seconds": round(elapsed, 2), "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1), **target.check(len(tokens)),
            })
        median = sorted(rounds, key=lambda r: r["per_second"])[len(rounds) // 2]
        return {
            "bench": target.name, "members": len(tokens), "median": median, "runs": rounds,
            "clients": max(1, clients // processes) * processes, "client_processes": processes,
            "gunicorn": {"workers": workers, "threads": threads, "worker_class": "gthread"},
            "load_average_at_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        }
    finally:
        if server:
            server.terminate()
            server.wait(15)
        from django.db import connections

        connections.close_all()
        sql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


def arguments(description: str, members: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--members", type=int, default=members)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections in all")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    return parser


def signup_target(capacity: int) -> Callable[[], Target]:
    def make() -> Target:
        from datetime import timedelta

        from django.utils import timezone

        from activities.models import ActivityPage, SignUp
        from content_models.models import SectionPage

        section = SectionPage.objects.get(district__isnull=True)
        start = timezone.now() + timedelta(days=3)
        event = ActivityPage(
            title="七一专题党课（压力测试）", slug="bench-signups", kind=ActivityPage.LECTURE, starts_at=start,
            ends_at=start + timedelta(hours=2), signup_required=True, capacity=capacity, summary="报名并发测试。",
        )
        section.add_child(instance=event)
        event.save_revision().publish()

        def check(sent: int) -> dict:
            rows = SignUp.objects.filter(activity=event)
            confirmed = rows.filter(status=SignUp.CONFIRMED).count()
            waiting = rows.filter(status=SignUp.WAITING).count()
            assert confirmed == min(capacity, sent) and confirmed + waiting == sent, (confirmed, waiting, sent)
            return {"confirmed": confirmed, "waiting": waiting}

        return Target(
            name="signups", path=f"/me/activities/{event.pk}/signup", body=f"csrfmiddlewaretoken={CSRF}",
            reset=lambda: SignUp.objects.filter(activity=event).delete(), check=check,
        )

    return make


def main() -> None:
    parser = arguments(__doc__.splitlines()[0], members=2000)
    parser.add_argument("--capacity", type=int, default=200)
    args = parser.parse_args()
    result = bench("bench_signups", args.members, signup_target(args.capacity), args.runs, args.clients,
                   args.processes, args.workers, args.threads)
    print(json.dumps({**result, "capacity": args.capacity}, ensure_ascii=False))


if __name__ == "__main__":
    main()
