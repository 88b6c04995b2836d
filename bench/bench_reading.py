"""Benchmark the reader pipeline's PDF step (reading.processing.render_pdf_page: PDFium render at 720 px, WebP at 720
and 360 px, page text) on generated Chinese A5 books; prints JSON with a projection for the seed's 400,000 pages.

    .venv/bin/python bench/bench_reading.py --pages 200 --workers 2

Pages are text pages in the project's CJK font (reading.samples): real scans or photo pages compress worse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
os.environ.setdefault("DANGSHI_VAR_DIR", tempfile.mkdtemp(prefix="bench-reading-"))  # nothing is written to ./var

import django  # noqa: E402

django.setup()

from reading import processing, samples  # noqa: E402

SEED_PAGES = 400_000  # 1,400 e-books, 40万 pages (the seed)
CHAPTERS = samples.PARTY_HISTORY + samples.NORTHEAST_RESISTANCE + samples.YANAN_SPIRIT


def render_range(pdf_bytes: bytes, start: int, stop: int) -> tuple[list[tuple[int, int, int]], float, float]:
    """Render pages [start, stop); returns (720 bytes, 360 bytes, text bytes) per page, wall and CPU seconds."""
    pdf = processing.open_pdf(pdf_bytes)
    sizes = []
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        for index in range(start, stop):
            content = processing.render_pdf_page(pdf, index)
            sizes.append((len(content.images[720][0]), len(content.images[360][0]), len(content.text.encode())))
    finally:
        pdf.close()
    return sizes, time.perf_counter() - began, time.process_time() - cpu_began


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages of the generated book")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the parallel run")
    args = parser.parse_args()

    began = time.perf_counter()
    pdf_bytes = samples.book_pdf("党史学习读本（基准测试）", CHAPTERS, args.pages)
    generate_seconds = time.perf_counter() - began

    sizes, one_core_seconds, cpu_seconds = render_range(pdf_bytes, 0, args.pages)
    # Per core = per CPU second of this process: on a machine shared with other work, wall time also counts the
    # time the process waited for a core (both are printed).
    per_core = args.pages / cpu_seconds

    chunk = -(-args.pages // args.workers)
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(render_range, [pdf_bytes] * args.workers, range(0, args.pages, chunk),
                      [min(args.pages, start + chunk) for start in range(0, args.pages, chunk)]))
    parallel_seconds = time.perf_counter() - began  # includes starting the processes

    large, small, text = ([row[i] for row in sizes] for i in range(3))
    mean_page_bytes = statistics.fmean(large) + statistics.fmean(small) + statistics.fmean(text)
    result = {
        "scale": {"pages": args.pages, "pdf_bytes": len(pdf_bytes), "page_format": "A5 text pages, CJK font embedded",
                  "generate_seconds": round(generate_seconds, 2)},
        "settings": {"webp_quality": processing.WEBP_QUALITY, "webp_method": processing.WEBP_METHOD, "widths": list(processing.WIDTHS)},
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()},
        "one_core": {"wall_seconds": round(one_core_seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
                     "pages_per_second_wall": round(args.pages / one_core_seconds, 1),
                     "pages_per_cpu_second": round(per_core, 1), "cpu_ms_per_page": round(1000 / per_core, 1)},
        "parallel": {"workers": args.workers, "seconds": round(parallel_seconds, 2),
                     "pages_per_second": round(args.pages / parallel_seconds, 1)},
        "bytes_720": {"median": int(statistics.median(large)), "p95": percentile(large, 0.95), "max": max(large)},
        "bytes_360": {"median": int(statistics.median(small)), "p95": percentile(small, 0.95), "max": max(small)},
        "text_bytes": {"median": int(statistics.median(text))},
        "goals": {"pages_per_second_per_core": 20, "median_720_bytes": 60_000,
                  "met": per_core >= 20 and statistics.median(large) <= 60_000},
        "projection_seed_400k_pages": {
            "hours_at_1_core": round(SEED_PAGES / per_core / 3600, 2),
            "hours_at_2_cores": round(SEED_PAGES / per_core / 2 / 3600, 2),
            "hours_at_8_cores": round(SEED_PAGES / per_core / 8 / 3600, 2),
            "storage_gb": round(SEED_PAGES * mean_page_bytes / 1e9, 1),
            "assumes": "every page like these text pages; photo and scanned pages are larger and slower",
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
