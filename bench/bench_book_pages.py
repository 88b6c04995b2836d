"""Benchmark search inside books: index size and build time with every reader page's text as its own document, and
query latency over it, at a stated scale, projected to the seed's 400,000 pages; prints JSON.

    .venv/bin/python bench/bench_book_pages.py --books 2000 --pages 50       # 100,000 pages (the README's run)
    .venv/bin/python bench/bench_book_pages.py --books 200 --pages 50        # a quick look

The catalogue documents are bench_search_core's synthetic ones (--items, the seed's ~12,000); the pages are made by
search_index.documents.page_documents, as the indexer makes them from the API's reader_pages/, from generated text of
--chars characters a page (a printed page of a Chinese book holds 600–900). Two builds are timed: the catalogue alone
and the catalogue with the pages; the projection is linear in pages from their difference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_search_core import HOT_QUERIES, RARE_QUERIES, _fill, _pick, make_docs  # noqa: E402

from search_index.documents import page_documents  # noqa: E402
from search_index.indexer import build_index  # noqa: E402
from search_index.query import search  # noqa: E402

SEED_PAGES = 400_000
PAGE_SENTENCES = [
    "1921年7月，中国共产党第一次全国代表大会在上海召开，宣告了中国共产党的正式成立。",
    "{h}同志在极端艰苦的条件下坚持斗争，用生命践行了共产党人的初心和使命。",
    "学习{t}，要把学习成果转化为推动工作的强大动力，做到学思用贯通、知信行统一。",
    "在白山黑水之间，东北抗日联军同日本侵略者进行了长达十四年的艰苦斗争。",
    "遵义会议在最危急的关头挽救了党、挽救了红军、挽救了中国革命。",
    "{d}的老党员回忆起当年参加生产建设的情景，讲述了一段段感人至深的故事。",
    "新中国成立后，长春第一汽车制造厂建成投产，结束了中国不能制造汽车的历史。",
    "党的基层组织要严格落实三会一课制度，增强政治功能和组织力。",
    "改革开放以来，我们党团结带领人民开辟了中国特色社会主义道路。",
    "{t}是党的宝贵精神财富，激励着一代又一代共产党人砥砺前行。",
]
PAGE_QUERIES = ["第一次全国代表大会", "长春第一汽车制造厂", "十四年的艰苦斗争", "遵义会议 挽救"]


def page_text(rng: random.Random, chars: int) -> str:
    """About `chars` characters of book text, in printed lines of 24 characters."""
    text = ""
    while len(text) < chars:
        text += _fill(_pick(rng, PAGE_SENTENCES), rng)
    text = text[:chars]
    return "\n".join(text[i : i + 24] for i in range(0, len(text), 24))


def make_pages(books: list[dict], pages: int, chars: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for book in books:
        rows = [{"number": n, "title": "", "text": f"{book['title']}\n{page_text(rng, chars)}\n— {n} —"} for n in range(1, pages + 1)]
        reading = {"document_id": 1, "format": "pdf", "page_count": pages, "revision": "bench"}
        docs += page_documents(book, reading, rows, book["title"], f"bookpage:{book['key'].split(':')[1]}:")
    return docs


def timed_build(docs: list[dict], keep: Path | None = None) -> dict:
    """Wall and CPU seconds (helpers included) and bytes of one full build; the index is kept in `keep` if given."""
    path = keep or Path(tempfile.mkdtemp(prefix="bench-pages-"))
    load = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    report = build_index(docs, path)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if keep is None:
        shutil.rmtree(path, ignore_errors=True)
    return {"documents": report.doc_count, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "bytes": report.size_bytes,
            "processes": report.processes, "text_chars": report.text_chars, "load_before": round(load, 1)}


def latency(index: Path, queries: list[str], repeat: int) -> dict:
    """Per query type, milliseconds of uncached searches (the result cache is keyed by page, so each round asks page 1..)."""
    samples = []
    for round_ in range(repeat):
        for q in queries:
            started = time.perf_counter()
            search(index, q, page=round_ + 1)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
            "max_ms": round(samples[-1], 1), "searches": len(samples)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=12_000, help="catalogue documents (the seed has ~12,000)")
    parser.add_argument("--books", type=int, default=2000, help="books read page by page")
    parser.add_argument("--pages", type=int, default=50, help="pages per book")
    parser.add_argument("--chars", type=int, default=700, help="characters of text per page")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each query for the latency figures")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)

    items = make_docs(args.items, args.seed)
    ebooks = [doc for doc in items if doc["type"] == "ebook"]
    books = [ebooks[i % len(ebooks)] | {"key": f"ebook:{100_000 + i}", "url": f"/books/{100_000 + i}/"} for i in range(args.books)]
    started = time.perf_counter()
    pages = make_pages(books, args.pages, args.chars, args.seed)
    generated = time.perf_counter() - started

    catalogue_only = timed_build(items + books)
    keep = Path(tempfile.mkdtemp(prefix="bench-pages-index-"))
    try:
        with_pages = timed_build(items + books + pages, keep)
        title = books[0]["title"]
        found = search(keep, title, per_page=5)
        figures = {
            "title_query_first_hit_type": found.hits[0].type if found.hits else None,
            "page_queries": latency(keep, PAGE_QUERIES, args.repeat),
            "catalogue_queries": latency(keep, HOT_QUERIES + RARE_QUERIES, args.repeat),
        }
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    page_count = len(pages)
    per_page_bytes = (with_pages["bytes"] - catalogue_only["bytes"]) / page_count
    per_page_cpu = (with_pages["cpu_s"] - catalogue_only["cpu_s"]) / page_count
    result = {
        "scale": {"catalogue_documents": args.items + args.books, "books": args.books, "pages_per_book": args.pages,
                  "page_documents": page_count, "chars_per_page": args.chars},
        "machine": {"python": platform.python_version(), "cores": len(os.sched_getaffinity(0)), "load_at_end": round(os.getloadavg()[0], 1)},
        "generate_s": round(generated, 1),
        "build_catalogue_only": catalogue_only,
        "build_with_pages": with_pages,
        **figures,
        "per_page": {"bytes": round(per_page_bytes), "cpu_ms": round(per_page_cpu * 1000, 2)},
        "projection_400000_pages": {
            "index_bytes": round(catalogue_only["bytes"] + per_page_bytes * SEED_PAGES),
            "index_gb": round((catalogue_only["bytes"] + per_page_bytes * SEED_PAGES) / 1e9, 2),
            "build_cpu_s": round(catalogue_only["cpu_s"] + per_page_cpu * SEED_PAGES),
            # Wall time of small runs is mostly loading jieba and the machine's other load: CPU over the processes.
            "build_wall_s_estimate": round((catalogue_only["cpu_s"] + per_page_cpu * SEED_PAGES) / with_pages["processes"]),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
