"""Rebuild the search index from scratch from the CMS's public API (a new generation, swapped in atomically)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from site_builder.source import CMSUnavailable

from ... import sync
from ...tasks import editor_terms


class Command(BaseCommand):
    help = "从 CMS 公开 API 全量重建搜索索引（新一代索引建好后原子切换，旧索引在此期间照常服务）。"

    def add_arguments(self, parser):
        parser.add_argument("--api", default=settings.CMS_API_URL, help="the CMS's /api/v2/ address (default: settings.CMS_API_URL)")
        parser.add_argument("--index-dir", default=str(settings.SEARCH_INDEX_DIR), help="default: settings.SEARCH_INDEX_DIR")

    def handle(self, *args, api, index_dir, **options):
        try:
            summary = sync.rebuild(api, Path(index_dir), editor_terms())
        except CMSUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
