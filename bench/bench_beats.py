"""Study beats accepted per second through gunicorn on PostgreSQL (issue 12's goal: ≥ 1,000/s on 2 cores); prints JSON.

    .venv/bin/python bench/bench_beats.py [--members 6000] [--clients 32] [--processes 4] [--workers 2 --threads 4]

Creates the database `bench_beats` on 127.0.0.1:5432 (user postgres; dropped first and at the end — never `test`),
migrates it, seeds the tiny demo catalogue, creates --members members each with a session, and starts gunicorn with
production settings (deploy/gunicorn.conf.py; loopback, no TLS, no nginx). Then --processes client processes with
--clients keep-alive connections between them send one beat per member (distinct members, so every beat is due and
credited: the interval check passes, the full path runs — receipt, row lock, study row, points rule). The client
shares the machine's cores with gunicorn and PostgreSQL, so the figure is a floor for the server alone.
Output: beats/s accepted (204), p50/p95 latency, how many were credited (StudyRecord seconds / 30) against sent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._cms import POSTGRES, free_port, manage, post_per_token, sql  # noqa: E402

DB_NAME = "bench_beats"


def environment(work: Path, port: int) -> dict[str, str]:
    env = {**os.environ}
    for line in (ROOT / "deploy" / "env.example").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.isupper() and key.replace("_", "").isalnum():
            env[key] = value
    return {
        **env,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": f"{POSTGRES}/{DB_NAME}",
        "DANGSHI_VAR_DIR": str(work / "var"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_SITE_URL": f"http://127.0.0.1:{port}",
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "SITE_PUBLISH_TARGET": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_PROC_NAME": "dangshi-bench-beats",
    }


def make_members(count: int) -> tuple[list[str], int]:
    """`count` members in 南关区 with one session each; returns their cookie tokens and a public item id."""
    import django

    django.setup()
    from django.utils import timezone

    from content_models.models import EBookPage
    from content_models.taxonomy import District
    from members.models import Member, MemberSession
    from members.sessions import _digest

    district = District.objects.get(name="南关区")
    Member.objects.bulk_create(
        [Member(name=f"党员{i:06d}", phone=f"137{i:08d}", district=district, password="!") for i in range(count)], batch_size=2000
    )
    members = list(Member.objects.filter(phone__startswith="137").order_by("pk").values_list("pk", flat=True))
    tokens = [secrets.token_urlsafe(32) for _ in members]
    expires = timezone.now() + timedelta(days=1)
    MemberSession.objects.bulk_create(
        [MemberSession(key_digest=_digest(token), member_id=pk, expires_at=expires) for pk, token in zip(members, tokens, strict=True)],
        batch_size=2000,
    )
    book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    return tokens, book.pk


def client(args: tuple[str, int, list[str], int, int]) -> tuple[int, list[float], int]:
    """One client process: `connections` keep-alive connections send one beat per token (204 expected)."""
    base_port, item, tokens, connections, _seed = args
    origin = f"http://127.0.0.1:{base_port}"

    def request(token: str) -> tuple[str, str, dict[str, str]]:
        body = json.dumps({"page": item, "seconds": 30, "beat": str(uuid.uuid4()), "position": 1})
        return "/api/learning/beats", body, {
            "Origin": origin, "Content-Type": "text/plain;charset=UTF-8", "Cookie": f"dangshi_member={token}; dangshi_in=1",
        }

    return post_per_token(base_port, tokens, connections, 204, request, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections in all")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    args = parser.parse_args()

    import tempfile

    work = Path(tempfile.mkdtemp(prefix="bench-beats-"))
    port = free_port()
    env = environment(work, port)
    env.update(GUNICORN_WORKERS=str(args.workers), GUNICORN_THREADS=str(args.threads))
    sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    sql(f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        manage(env, "migrate", "--noinput", quiet=True)
        manage(env, "createcachetable", quiet=True)
        manage(env, "seed_demo", "--scale", "tiny", quiet=True)
        os.environ.update(env)  # this process's Django (members, the count) uses the same database and settings
        tokens, item = make_members(args.members)
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
        # Warm every worker (imports, connections) with one beat each from members left out of the count.
        warm, tokens = tokens[: args.workers * args.threads], tokens[args.workers * args.threads :]
        client((port, item, warm, len(warm), 0))
        per = max(1, args.clients // args.processes)
        parts = [(port, item, tokens[i :: args.processes], per, i) for i in range(args.processes)]
        load = os.getloadavg()[0]
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            results = pool.map(client, parts)
        elapsed = time.perf_counter() - started
        accepted = sum(ok for ok, _lat, _bad in results)
        latencies = sorted(x for _ok, lat, _bad in results for x in lat)
        from django.db.models import Sum

        from members.models import StudyRecord

        credited = (StudyRecord.objects.aggregate(total=Sum("seconds"))["total"] or 0) // 30 - len(warm)
        print(json.dumps({
            "beats_sent": len(tokens),
            "accepted_204": accepted,
            "failed": sum(bad for _ok, _lat, bad in results),
            "credited": credited,
            "seconds": round(elapsed, 2),
            "beats_per_second": round(accepted / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
            "clients": per * args.processes, "client_processes": args.processes,
            "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
            "load_average_at_start": round(load, 2), "cpus": os.cpu_count(),
        }, ensure_ascii=False))
    finally:
        if server:
            server.terminate()
            server.wait(15)
        from django.db import connections

        connections.close_all()
        sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
