"""Benchmark the catalogue importer: validate (--dry-run) and import a generated e-book sheet into a fresh database.

Prints one JSON object {rows, validate_seconds, import_seconds, rows_per_second, database}.
Usage: .venv/bin/python bench/bench_import.py [--rows 10000] [--format xlsx|csv]
SQLite in a temporary folder by default; with DATABASE_URL set, a fresh test database on that server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sheet_rows(count: int) -> list[list]:
    """Deterministic rows: valid ISBNs, two columns, a tag, an online reader link; no files."""
    from content_models import demo_data as data

    columns = ["时政要闻", "领袖思想", "辉煌历程", "强国之路", "四个自信", "四史学习", "中国梦"]
    rows = []
    for i in range(count):
        topic = data.BOOK_TOPICS[i % len(data.BOOK_TOPICS)]
        form = data.BOOK_FORMS[(i // len(data.BOOK_TOPICS)) % len(data.BOOK_FORMS)]
        rows.append([
            f"{topic}{form}（第{i // 1400 + 1}辑）", f"作者{i % 97}", data.PUBLISHERS[i % len(data.PUBLISHERS)],
            1990 + i % 35, data.isbn13(200000 + i), 100 + i % 400, f"https://reader.example.cn/bench/{i:05d}", "",
            f"{topic}的学习读本，适合社区党员学习使用。", f"{columns[i % 7]}、{columns[(i * 3 + 1) % 7]}", topic, "", "", "",
        ])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--without-receivers", action="store_true",
                        help="disconnect other apps' page_published receivers (site rebuild, search index) to time the importer alone")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    os.environ["DANGSHI_VAR_DIR"] = str(workdir)  # a fresh SQLite file (and media folder) unless DATABASE_URL is set

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    fresh_test_db = "DATABASE_URL" in os.environ
    if fresh_test_db:
        connection.creation.create_test_db(verbosity=0, keepdb=False)
    else:
        call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model

    from content_models.importing.formats import FORMATS, write_csv, write_xlsx
    from content_models.importing.importer import run_import

    if args.without_receivers:
        from wagtail.signals import page_published

        page_published.receivers.clear()
        page_published.sender_receivers_cache.clear()

    try:
        user = get_user_model().objects.create_superuser("bench", "bench@example.cn", "bench")
        writer = write_xlsx if args.format == "xlsx" else write_csv
        data = writer(FORMATS["ebook"], sheet_rows(args.rows))
        filename = f"bench.{args.format}"

        started = time.perf_counter()
        checked = run_import("ebook", data, filename, user, dry_run=True)
        validate_seconds = time.perf_counter() - started
        assert not checked.errors, checked.errors[:3]

        started = time.perf_counter()
        report = run_import("ebook", data, filename, user)
        import_seconds = time.perf_counter() - started
        assert report.written and report.created == args.rows, report.summary()

        started = time.perf_counter()
        again = run_import("ebook", data, filename, user)
        reimport_seconds = time.perf_counter() - started
        assert again.unchanged == args.rows, again.summary()
    finally:
        if fresh_test_db:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)

    print(json.dumps({
        "rows": args.rows,
        "format": args.format,
        "database": connection.vendor,
        "page_published_receivers": not args.without_receivers,
        "validate_seconds": round(validate_seconds, 2),
        "import_seconds": round(import_seconds, 2),
        "reimport_unchanged_seconds": round(reimport_seconds, 2),
        "rows_per_second": round(args.rows / import_seconds, 1),
    }))


if __name__ == "__main__":
    main()
