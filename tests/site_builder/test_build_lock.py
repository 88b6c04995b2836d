"""Build and publish of one folder are mutually exclusive: while another process holds the folder's lock,
`python -m site_builder build|publish` and `manage.py build_site` wait --wait seconds, then stop with a
plain message and a non-zero exit, having changed nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from site_builder.__main__ import EXIT_BUSY, EXIT_FAILED
from site_builder.lock import lock_file_for

REPO_ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_API = "http://127.0.0.1:9/api/v2/"
HOLD = """
import sys
from site_builder.lock import site_lock
with site_lock(sys.argv[1], wait=0, doing="构建"):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A folder holding an earlier build of the site."""
    site = tmp_path / "site"
    (site / "books" / "17").mkdir(parents=True)
    (site / "sitemap.xml").write_text('<?xml version="1.0"?><urlset></urlset>\n', encoding="utf-8")
    (site / "index.html").write_text("<h1>党史学习资源库</h1><p>四个自信 · 中国梦</p>", encoding="utf-8")
    (site / "books" / "17" / "index.html").write_text("<h1>三会一课工作手册</h1>", encoding="utf-8")
    return site


class Holder:
    """Another process holding a folder's lock, as a long build would, until release()."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(folder)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert self.process.stdout.readline().strip() == "held"
        self.pid = self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


@pytest.fixture
def hold() -> Iterator:
    holders: list[Holder] = []

    def start(folder: Path) -> Holder:
        holders.append(Holder(folder))
        return holders[-1]

    yield start
    for holder in holders:
        holder.release()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *args],
        cwd=REPO_ROOT,
        check=False,  # the tests assert on the exit code
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_busy_message(stderr: str, folder: Path, holder: Holder) -> None:
    assert str(folder.resolve()) in stderr
    assert "正被另一次构建或发布使用" in stderr and f"进程 {holder.pid}" in stderr and "在构建" in stderr
    assert "同一个文件夹不能同时构建和发布，这次什么也没有改动" in stderr and "--wait 秒数" in stderr


def test_lock_file_sits_beside_the_folder_not_inside_it(built):
    assert lock_file_for(built) == built.parent / "site.lock"
    assert lock_file_for(built / ".." / "site") == lock_file_for(built)


def test_cli_publish_stops_while_another_process_builds_the_folder(built, tmp_path, hold):
    live = tmp_path / "live"
    holder = hold(built)

    refused = run_cli("publish", "--from", str(built), "--to", live.as_uri(), "--wait", "0.5")

    assert refused.returncode == EXIT_BUSY
    assert_busy_message(refused.stderr, built, holder)
    assert not live.exists()

    holder.release()
    done = run_cli("publish", "--from", str(built), "--to", live.as_uri(), "--wait", "0.5")
    assert done.returncode == 0, done.stderr
    assert snapshot(live) == snapshot(built)


def test_cli_build_stops_while_another_process_holds_the_folder(built, hold):
    before = snapshot(built)
    holder = hold(built)

    refused = run_cli("build", "--api", UNREACHABLE_API, "--out", str(built), "--wait", "0.5")

    assert refused.returncode == EXIT_BUSY
    assert_busy_message(refused.stderr, built, holder)
    assert "CMS" not in refused.stderr  # it stopped before reading anything
    assert snapshot(built) == before

    holder.release()
    # Once the lock is free the build goes ahead (here to find the CMS down, which changes nothing either).
    after = run_cli("build", "--api", UNREACHABLE_API, "--out", str(built), "--wait", "0.5")
    assert after.returncode == EXIT_FAILED and "is not answering" in after.stderr
    assert snapshot(built) == before


def test_manage_build_site_stops_while_another_process_holds_the_folder(built, hold):
    before = snapshot(built)
    holder = hold(built)

    with pytest.raises(CommandError) as refused:
        call_command("build_site", "--out", str(built), "--api", UNREACHABLE_API, "--wait", "0.5")

    assert refused.value.returncode == EXIT_BUSY
    assert_busy_message(str(refused.value), built, holder)
    assert snapshot(built) == before
