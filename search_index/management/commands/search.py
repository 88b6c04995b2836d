"""Search the index from the command line: `manage.py search "四个自信" [--json] [--type ebook]`."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...indexer import IndexNotFoundError
from ...query import search
from ...views import result_json


class Command(BaseCommand):
    help = "在搜索索引中查询并输出排序后的结果。"

    def add_arguments(self, parser):
        parser.add_argument("q")
        parser.add_argument("--json", action="store_true", help="print the ranked results as JSON")
        parser.add_argument("--type")
        parser.add_argument("--column")
        parser.add_argument("--district")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--index-dir", default=str(settings.SEARCH_INDEX_DIR))

    def handle(self, *args, q, index_dir, **options):
        try:
            result = search(Path(index_dir), q, type=options["type"], column=options["column"],
                            district=options["district"], page=options["page"])
        except IndexNotFoundError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(result_json(result), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"“{result.query}”：{result.total} 条（{result.elapsed_ms} ms）")
        if result.used_correction:
            self.stdout.write(f"以下是“{result.corrected_query}”的结果")
        elif result.corrected_query:
            self.stdout.write(f"您是不是要找：{result.corrected_query}")
        for n, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
            self.stdout.write(f"{n:>3}. [{hit.type}] {hit.title}  {hit.url}  ({hit.score})")
