"""One lock per built-site folder, so a build and a publish of the same folder never run at the same time.

The lock is flock(2) on a file beside the folder (``site.lock`` for ``site``, never inside it: everything
inside is published). The kernel releases it when the holder exits, however it exits, so a crashed build
leaves no stale lock. ``python -m site_builder build|publish``, ``manage.py build_site`` and the worker's
rebuild all take it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long the command-line tools wait for a folder another build or publish is using.
DEFAULT_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.2


class SiteBusy(RuntimeError):
    """Another process is building or publishing the folder; nothing was changed."""


def lock_file_for(folder: Path | str) -> Path:
    """The lock file of a built-site folder: beside it, named after it."""
    folder = Path(folder).resolve()
    return folder.with_name(folder.name + ".lock")


@contextmanager
def site_lock(folder: Path | str, *, wait: float, doing: str) -> Iterator[None]:
    """Hold the folder's lock while the block runs, waiting up to ``wait`` seconds for it.

    ``doing`` (e.g. "构建") is written into the lock file so that whoever waits can be told who holds it.
    Raises SiteBusy, naming the folder and the holder, when the lock is still held after ``wait`` seconds.
    """
    path = lock_file_for(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SiteBusy(_busy_message(Path(folder).resolve(), wait, _holder(fd))) from None
                time.sleep(_POLL_SECONDS)
        holder = {"pid": os.getpid(), "doing": doing, "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder, ensure_ascii=False).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # so nobody is told about a process that has finished
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> dict:
    """What the holder wrote into the lock file ({} if it has not written yet)."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _busy_message(folder: Path, wait: float, holder: dict) -> str:
    who = ""
    if holder.get("pid"):
        who = f"（进程 {holder['pid']} 在{holder.get('doing') or '使用它'}"
        # Seconds rather than a clock time: the waiting and the holding process may not share a time zone.
        if isinstance(since := holder.get("since"), int | float):
            who += f"，已进行 {max(0, round(time.time() - since))} 秒"
        who += "）"
    return (
        f"站点文件夹 {folder} 正被另一次构建或发布使用{who}，等了 {wait:g} 秒仍未结束。"
        "同一个文件夹不能同时构建和发布，这次什么也没有改动；请等那一次结束后再运行。"
    )
