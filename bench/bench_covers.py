"""Benchmark the covers the builder draws for items without a cover image. Prints one JSON object.

Usage: .venv/bin/python bench/bench_covers.py [--count 12000] [--out DIR]
Draws `count` covers (160 and 320 px each) for demo-like titles of every kind into a fresh folder with the
builder's own write_covers() (its threads), then asks again, as a rebuild does, when every file is already there.
Reports the time per cover (both sizes) on one thread and in the pool, the bytes per file, and the rebuild check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from content_models import demo_data as data  # noqa: E402  (plain lists of words: no Django needed)
from site_builder import covers  # noqa: E402

KINDS = ["图书", "党刊", "视频", "音频", "要闻", "红色地标"]


def titles(count: int) -> list[covers.Cover]:
    """Titles shaped like the seed's: a topic, a form, sometimes a volume or a long subtitle."""
    rng = random.Random(11)
    out = []
    for n in range(count):
        topic = data.BOOK_TOPICS[n % len(data.BOOK_TOPICS)]
        title = topic + rng.choice(data.BOOK_FORMS) + ("" if n % 3 else f"（第{n % 9 + 1}卷）")
        if n % 7 == 0:
            title += "——" + rng.choice(data.NEWS_ACTIONS)
        out.append(covers.Cover.for_item(n + 1, title, KINDS[n % len(KINDS)]))
    return out


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=12000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    wanted = titles(args.count)

    one = wanted[: min(200, len(wanted))]
    started = time.perf_counter()
    for cover in one:
        for width in covers.WIDTHS:
            covers.draw(cover.title, cover.kind, cover.colour, width)
    single_ms = (time.perf_counter() - started) / len(one) * 1000

    with tempfile.TemporaryDirectory(prefix="bench-covers-") as scratch:
        out = args.out or Path(scratch)
        started = time.perf_counter()
        drawn: set[str] = set()
        files = covers.write_covers(wanted, out, drawn=drawn)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again: set[str] = set()
        covers.write_covers(wanted, out, drawn=again)
        rebuild = time.perf_counter() - started
        sizes = {width: [os.path.getsize(out / path.lstrip("/")) for path in files if f"cover-{width}." in path] for width in covers.WIDTHS}

    print(json.dumps({
        "covers": len(wanted),
        "files": len(files),
        "drawn": len(drawn),
        "cores": len(os.sched_getaffinity(0)),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "ms_per_cover_one_thread": round(single_ms, 2),
        "first_build_seconds": round(first, 1),
        "ms_per_cover_in_pool": round(first / len(wanted) * 1000, 2),
        "rebuild_seconds": round(rebuild, 2),
        "redrawn_on_rebuild": len(again),
        **{f"bytes_{width}_median": int(statistics.median(values)) for width, values in sizes.items()},
        **{f"bytes_{width}_p95": percentile(values, 0.95) for width, values in sizes.items()},
        "total_mb": round(sum(sum(values) for values in sizes.values()) / 1048576, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
