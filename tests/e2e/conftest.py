"""Fixtures for browser tests: Debian's headless chromium (installed when missing and possible; required on CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from .cdp import Chromium


def find_or_install_chromium() -> str | None:
    """The chromium binary; as root on Debian, install it the way `make browser` does."""
    binary = shutil.which("chromium")
    if binary is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, check=False)
        binary = shutil.which("chromium")
    return binary


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    binary = find_or_install_chromium()
    if binary is None:
        reason = "chromium is not installed and could not be installed (needs Debian's apt-get as root: make browser)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}; on CI (CI={os.environ['CI']}) the browser tests must run, not be skipped")
        pytest.skip(reason)
    browser = Chromium(binary)
    yield browser
    browser.close()
