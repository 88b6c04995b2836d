"""Fixtures for the production path: deploy/env.example's environment, with a real key and a throwaway folder."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO_ROOT / "deploy" / "env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments and blank lines skipped)."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="session")
def production_env() -> Callable[..., dict[str, str]]:
    """env.example's variables over this process's, with a fresh secret key, SQLite and `var_dir` for the files."""

    def make(var_dir: Path, **overrides: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_URL"))}
        env.update(read_env_file(ENV_EXAMPLE))
        env.update({
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "DANGSHI_VAR_DIR": str(var_dir),
        })
        env.update(overrides)
        return env

    return make
