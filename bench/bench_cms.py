"""Times `seed_demo` at a scale and a walk of the whole public API; prints JSON figures.

    python bench/bench_cms.py --scale seed [--var-dir /tmp/dangshi-bench] [--walks 3]

Uses its own var dir (SQLite file and media) unless DATABASE_URL points elsewhere.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from _cms import cms_env, manage, running_cms

TYPES = ["EBookPage", "PeriodicalPage", "VideoSeriesPage", "MapSitePage", "NewsPage"]


def walk_api(base: str) -> tuple[int, int, float]:
    """Page through every type with all fields; returns (items, requests, seconds)."""
    items = calls = 0
    started = time.perf_counter()
    with requests.Session() as session:
        for page_type in TYPES:
            offset, total = 0, None
            while total is None or offset < total:
                response = session.get(f"{base}/api/v2/pages/", params={
                    "type": f"content_models.{page_type}", "fields": "*", "limit": 500, "offset": offset,
                }, timeout=300)
                response.raise_for_status()
                body = response.json()
                total = body["meta"]["total_count"]
                items += len(body["items"])
                offset += 500
                calls += 1
    return items, calls, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="seed", choices=["tiny", "seed"])
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--walks", type=int, default=3)
    args = parser.parse_args()
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="dangshi-bench-"))
    env = cms_env(var_dir)

    migrate_s = manage(env, "migrate", "--noinput", "-v0")
    seed_s = manage(env, "seed_demo", "--scale", args.scale, "-v0")
    reseed_s = manage(env, "seed_demo", "--scale", args.scale, "-v0")
    with running_cms(env) as base:
        walks = [walk_api(base) for _ in range(args.walks)]
    items, calls = walks[0][0], walks[0][1]
    seconds = [w[2] for w in walks]
    print(json.dumps({
        "scale": args.scale,
        "migrate_seconds": round(migrate_s, 2),
        "seed_seconds": round(seed_s, 2),
        "reseed_noop_seconds": round(reseed_s, 2),
        "api_items": items,
        "api_requests": calls,
        "api_walk_seconds_median": round(statistics.median(seconds), 2),
        "api_walk_seconds_all": [round(s, 2) for s in seconds],
        "api_items_per_second_median": round(items / statistics.median(seconds), 1),
        "note": "first walk also renders the WebP cover renditions",
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
