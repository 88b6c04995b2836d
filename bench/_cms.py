"""Helpers the bench scripts share: a scratch CMS (its own var dir and database), a scratch PostgreSQL database and a
server on a free port."""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# The machine's PostgreSQL (trust auth); benches create and drop databases of their own there, never `test`.
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def cms_env(var_dir: Path) -> dict[str, str]:
    """Environment for a CMS whose files live in var_dir; DATABASE_URL is honoured if set."""
    return {**os.environ, "DANGSHI_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "cms.settings.dev"}


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> float:
    """Run a management command (its output hidden when `quiet`, so a bench's JSON stays alone on stdout); return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL if quiet else None)
    return time.perf_counter() - started


def sql(statement: str) -> None:
    """Run one statement on the machine's PostgreSQL (database `postgres`)."""
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"{POSTGRES}/postgres", "-c", statement],
                   check=True, env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"}, stdout=subprocess.DEVNULL)


def django_on_fresh_database(name: str) -> None:
    """In this process: Django on a new PostgreSQL database `name` (dropped first), dev settings with DEBUG off and a
    scratch var dir, migrated, with the tiny demo catalogue. `drop_database(name)` when done."""
    sql(f"DROP DATABASE IF EXISTS {name}")
    sql(f"CREATE DATABASE {name}")
    os.environ.update({"DATABASE_URL": f"{POSTGRES}/{name}", "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
                       "DANGSHI_VAR_DIR": tempfile.mkdtemp(prefix=f"{name}-")})
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--scale", "tiny", verbosity=0, stdout=quiet)


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    sql(f"DROP DATABASE IF EXISTS {name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_cms(env: dict[str, str], server: str = "runserver"):
    """The CMS on a free port; yields its base URL. `server`: "runserver" (one process, no reload) or "gunicorn"
    as production runs it (2 workers × 4 threads)."""
    port = free_port()
    if server == "gunicorn":
        command = [str(Path(sys.executable).with_name("gunicorn")), "cms.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--workers", "2", "--threads", "4", "--worker-class", "gthread"]
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command, cwd=ROOT, env={"DJANGO_SETTINGS_MODULE": "cms.settings.dev", **env, "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/api/v2/columns/", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or a fresh worker still starting
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def post_per_token(port: int, tokens: list[str], connections: int, expected: int,
                   request: Callable[[str], tuple[str, str, dict[str, str]]], timeout: float = 60) -> tuple[int, list[float], int]:
    """`connections` threads, each with one keep-alive connection to 127.0.0.1:`port`, POST once per member token;
    `request(token)` gives (path, body, headers). Returns (answered `expected`, every latency, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def run(share: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine, bad = [], 0
        for token in share:
            path, body, headers = request(token)
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expected
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                ok = False
            mine.append(time.perf_counter() - started)
            bad += not ok
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=run, args=(tokens[i::connections],)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) - failures[0], latencies, failures[0]
