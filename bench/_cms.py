"""Helpers the bench scripts share: a scratch CMS (its own var dir and database) and a server on a free port."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def cms_env(var_dir: Path) -> dict[str, str]:
    """Environment for a CMS whose files live in var_dir; DATABASE_URL is honoured if set."""
    return {**os.environ, "DANGSHI_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "cms.settings.dev"}


def manage(env: dict[str, str], *args: str) -> float:
    """Run a management command; return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


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
