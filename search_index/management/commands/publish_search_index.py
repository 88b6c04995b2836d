"""Publish the live search index to the artefact store by hand (the worker does it after every build and update)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...indexer import IndexNotFoundError
from ...replication import open_store, publish


class Command(BaseCommand):
    help = "把当前搜索索引发布到索引仓库，供各搜索节点跟随（队列任务在每次重建和更新后会自动发布）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", dest="store", default=settings.SEARCH_INDEX_ARTEFACTS,
            help="file:///path or s3://bucket/prefix (default: settings.SEARCH_INDEX_ARTEFACTS)",
        )
        parser.add_argument("--index-dir", default=str(settings.SEARCH_INDEX_DIR), help="default: settings.SEARCH_INDEX_DIR")
        parser.add_argument("--keep", type=int, default=settings.SEARCH_INDEX_ARTEFACTS_KEEP, help="versions kept in the store")

    def handle(self, *args, store, index_dir, keep, **options):
        if not store:
            raise CommandError("No artefact store: set SEARCH_INDEX_ARTEFACTS or pass --to file:///… or s3://….")
        target = open_store(store, **settings.SEARCH_INDEX_ARTEFACTS_OPTIONS)
        try:
            report = publish(Path(index_dir), target, keep=keep)
        except IndexNotFoundError as error:
            raise CommandError(str(error)) from error
        except Exception as error:  # the store's errors, in words (Target.explain)
            raise CommandError(f"Could not publish to {target.describe()}: {target.explain(error)}") from error
        self.stdout.write(json.dumps(report.summary(), ensure_ascii=False))
