"""A search node's follower: fetch, verify and swap in each index version the writer publishes (replication.py)."""

import json
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from site_builder.publish.targets import Target

from ...replication import ArtefactRefused, FollowReport, follow_once, open_store

logger = logging.getLogger("search_index.replication")


class Command(BaseCommand):
    help = (
        "搜索节点跟随写入端发布的索引：下载最新版本、逐个文件校验 SHA-256、原子切换；"
        "损坏或未传完的版本被拒绝，本节点继续用旧索引服务。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", default=settings.SEARCH_INDEX_ARTEFACTS,
            help="file:///path or s3://bucket/prefix (default: settings.SEARCH_INDEX_ARTEFACTS)",
        )
        parser.add_argument("--index-dir", default=str(settings.SEARCH_INDEX_DIR), help="default: settings.SEARCH_INDEX_DIR")
        parser.add_argument(
            "--interval", type=float, default=settings.SEARCH_INDEX_FOLLOW_SECONDS,
            help="seconds between looks at the store (default: settings.SEARCH_INDEX_FOLLOW_SECONDS)",
        )
        parser.add_argument("--once", action="store_true", help="one look, print what it did as JSON; exit 1 if refused")

    def handle(self, *args, source, index_dir, interval, once, **options):
        if not source:
            raise CommandError("No artefact store to follow: set SEARCH_INDEX_ARTEFACTS or pass --from file:///… or s3://….")
        store = open_store(source, **settings.SEARCH_INDEX_ARTEFACTS_OPTIONS)
        index_dir = Path(index_dir)
        if once:
            try:
                report = follow_once(store, index_dir)
            except Exception as error:
                message = self._problem(error, store)
                logger.error("%s", message)
                raise CommandError(message) from error
            self._log_installed(report, store.describe())
            if report.status == "empty":
                logger.warning("%s", self._nothing_yet(store))
            self.stdout.write(json.dumps(report.summary(), ensure_ascii=False))
            return
        logger.info("Following search index versions in %s every %.1f s into %s", store.describe(), interval, index_dir)
        last_problem = ""
        while True:
            # A follower runs for months: no error of one look (a refused version, the store unreachable) may end
            # it. Each problem is logged once, not every interval, until it changes or clears.
            level, problem = logging.INFO, ""
            try:
                report = follow_once(store, index_dir)
                self._log_installed(report, store.describe())
                if report.status == "empty":
                    level, problem = logging.WARNING, self._nothing_yet(store)
            except Exception as error:
                level, problem = logging.ERROR, self._problem(error, store)
            if problem and problem != last_problem:
                logger.log(level, "%s", problem)
            last_problem = problem
            time.sleep(interval)

    @staticmethod
    def _problem(error: Exception, store: Target) -> str:
        """What went wrong, in words an operator can act on."""
        if isinstance(error, ArtefactRefused):
            what = f"refused {error}"
        else:
            what = f"could not read {store.describe()}: {store.explain(error)}"
        return f"Search index not updated: {what}. Still serving the previous index."

    @staticmethod
    def _nothing_yet(store: Target) -> str:
        return f"Nothing published to {store.describe()} yet; waiting for the writer's first index."

    @staticmethod
    def _log_installed(report: FollowReport, where: str) -> None:
        if report.status == "installed":
            logger.info(
                "Search node now serves index version %s from %s (%s documents): %s files downloaded (%s bytes), "
                "%s reused, %.2f s",
                report.version, where, report.doc_count, report.downloaded, report.downloaded_bytes, report.reused,
                report.seconds,
            )
