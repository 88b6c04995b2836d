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
def running_cms(env: dict[str, str]):
    """A CMS server (runserver, no reload) on a free port; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env={**env, "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/api/v2/columns/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)
