"""Benchmark the static-site build at a stated scale: a full build from the CMS API over HTTP. Prints one JSON object.

Usage: .venv/bin/python bench/bench_build.py --scale seed [--api URL] [--out DIR] [--runs 3] [--server gunicorn]
Without --api it seeds the database (DANGSHI_VAR_DIR / DATABASE_URL decide which) if needed and serves the
CMS on a free port for the duration: with gunicorn as production does (2 workers × 4 threads, the builder asks
for 4 API pages at a time), or `--server runserver` (one process). Every run is a full build (`full=True`); the
first also downloads the covers and, on a freshly seeded database, makes their renditions, so it is reported
apart from the median of the others.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
sys.path.insert(0, str(ROOT / "bench"))
from _cms import running_cms  # noqa: E402


@contextmanager
def seeded_cms(scale: str, server: str):
    """Seed (idempotent) and serve the CMS on a free port; yields its API URL."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo", "--scale", scale], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with running_cms(dict(os.environ), server) as base:
        yield f"{base}/api/v2/"


def page_sizes(out: Path) -> list[int]:
    return sorted(len(gzip.compress(p.read_bytes(), 9)) for p in out.rglob("*.html"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="seed", choices=["tiny", "seed"])
    parser.add_argument("--api", help="an already running CMS API (skips seeding and runserver)")
    parser.add_argument("--out", help="output folder (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=3, help="full builds to time; the first downloads covers")
    parser.add_argument("--server", default="gunicorn", choices=["gunicorn", "runserver"])
    args = parser.parse_args()

    from site_builder.build import build_site
    from site_builder.pages import SiteConfig

    config = SiteConfig(site_url="https://dangshi.example.cn", search_url="/search/")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as temp:
        out = Path(args.out or temp) / "site"
        cms = nullcontext(args.api) if args.api else seeded_cms(args.scale, args.server)
        with cms as api:
            results = [build_site(api, out, config=config, full=True) for _ in range(max(1, args.runs))]
        sizes = page_sizes(out)
        last = results[-1]
        warm = results[1:] or results
        print(json.dumps({
            "scale": args.scale,
            "database": os.environ.get("DATABASE_URL", "sqlite").split(":")[0],
            "server": "given" if args.api else args.server,
            "median_build_seconds_after_first": round(statistics.median(r.seconds for r in warm), 2),
            "median_fetch_seconds_after_first": round(statistics.median(r.fetch_seconds for r in warm), 2),
            "median_render_seconds_after_first": round(statistics.median(r.render_seconds for r in warm), 2),
            "build_seconds": [round(r.seconds, 2) for r in results],
            "fetch_seconds": [round(r.fetch_seconds, 2) for r in results],
            "render_seconds": [round(r.render_seconds, 2) for r in results],
            "pages": last.pages,
            "pages_per_second": round(last.pages / last.seconds, 1),
            "render_pages_per_second": round(last.pages / last.render_seconds, 1),
            "files": last.files,
            "total_bytes": last.bytes,
            "html_gzipped_bytes": {"max": sizes[-1], "median": int(statistics.median(sizes)), "min": sizes[0]},
        }))


if __name__ == "__main__":
    main()
