"""The systemd units in deploy/systemd/: valid for systemd itself, hardened alike, and running commands that exist."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from .conftest import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"
APP_DIR = "/srv/dangshi/app"
HARDENING = {
    "User": "dangshi",
    "EnvironmentFile": "/etc/dangshi/env",
    "WorkingDirectory": APP_DIR,
    "ReadWritePaths": "/srv/dangshi/var",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
}


def service(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Service"])


def services() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


def test_every_service_is_hardened_the_same_way():
    assert {p.name for p in services()} >= {
        "dangshi-web.service", "dangshi-worker@.service", "dangshi-search@.service", "dangshi-publish-scheduler.service",
        "dangshi-hot-words.service", "dangshi-housekeeping.service",
    }
    for path in services():
        settings = service(path)
        for key, value in HARDENING.items():
            assert settings.get(key) == value, f"{path.name}: {key}"


def test_every_timer_starts_a_service_that_is_there():
    timers = sorted(UNITS.glob("*.timer"))
    assert {t.stem for t in timers} == {"dangshi-publish-scheduler", "dangshi-hot-words", "dangshi-housekeeping", "dangshi-backup"}
    for timer in timers:
        assert (UNITS / f"{timer.stem}.service").is_file()


def test_the_manage_commands_the_units_run_exist():
    """A unit naming a command nobody wrote (or a renamed one) fails here, not at 3 a.m."""
    commands = set()
    for path in services():
        commands |= set(re.findall(r"manage\.py (\w+)", path.read_text(encoding="utf-8")))
    assert {"db_worker", "start_publish_scheduler", "refresh_hot_words", "prune_db_task_results"} <= commands
    assert commands <= set(get_commands())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    """Run against this checkout (its .venv) in place of /srv/dangshi/app, so the executables exist."""
    for unit in sorted(UNITS.iterdir()):
        # The venv running the tests (CI's PostgreSQL run uses a worktree without its own .venv), then the checkout.
        text = unit.read_text(encoding="utf-8").replace(f"{APP_DIR}/.venv", sys.prefix).replace(APP_DIR, str(REPO_ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stderr
