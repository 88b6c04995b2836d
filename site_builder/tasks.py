"""Publish → live: the rebuild task on the database queue, coalesced and never run twice at once.

A publish, unpublish, delete or move enqueues `rebuild_site` a couple of seconds ahead (so a burst of
publishes lands in one build); while one rebuild is waiting, further requests add nothing. The worker
(`python manage.py db_worker --backend queue`) builds from the public API and publishes the result.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .build import build_site, cache_dir_for, journal_file_for
from .lock import site_lock
from .pages import SiteConfig
from .publish import publish_changes

logger = logging.getLogger(__name__)


def cms_site_config() -> SiteConfig:
    """The static site's addresses as this CMS host is configured (settings, not the builder's env defaults)."""
    return SiteConfig(site_url=settings.PUBLIC_SITE_URL, search_url=settings.SEARCH_URL, hot_words_source=settings.HOT_WORDS_URL)


def pending_rebuilds():
    return DBTaskResult.objects.filter(task_path=rebuild_site.module_path, status=TaskResultStatus.READY)


def request_rebuild(reason: str, *, full: bool = False) -> None:
    """Ask for a rebuild once the current transaction commits, unless one (full, if `full`) is already waiting."""

    def enqueue() -> None:
        waiting = [row.args_kwargs.get("kwargs", {}).get("full", False) for row in pending_rebuilds()]
        if waiting and (not full or any(waiting)):
            return
        run_after = timezone.now() + timedelta(seconds=settings.SITE_REBUILD_DELAY_SECONDS)
        rebuild_site.using(run_after=run_after).enqueue(reason=reason, full=full)

    transaction.on_commit(enqueue)


@task(backend="queue", takes_context=True)
def rebuild_site(context: TaskContext, reason: str = "", full: bool = False) -> dict:
    """Build the static site from the public API and publish it to the configured target.

    Incremental (only what changed since the last build is fetched and rendered) unless `full`.
    """
    newer = pending_rebuilds().filter(enqueued_at__gt=context.task_result.enqueued_at)
    if newer.exists() and not full:  # a full one runs anyway: the newer may be incremental
        return {"skipped": "a newer rebuild is queued"}
    # The same lock as `manage.py build_site` and `python -m site_builder build|publish` on this folder.
    with site_lock(settings.SITE_BUILD_DIR, wait=settings.SITE_BUILD_LOCK_TIMEOUT, doing="构建并发布"):
        built = build_site(settings.CMS_API_URL, Path(settings.SITE_BUILD_DIR), config=cms_site_config(), full=full)
        summary = {
            "reason": reason,
            "pages": built.pages,
            "build_seconds": round(built.seconds, 2),
            "incremental": built.incremental,
            "fetched_items": built.fetched_items,
            "rendered": built.rendered,
            "written": len(built.written),
        }
        if settings.SITE_PUBLISH_TARGET:
            # Only what the builds changed since the last successful publish; the bucket is listed and
            # diffed in full the first time, after a failure and once an hour.
            published = publish_changes(
                built.out_dir, settings.SITE_PUBLISH_TARGET, **settings.SITE_PUBLISH_OPTIONS,
                journal=journal_file_for(built.out_dir),
                digest_cache=cache_dir_for(built.out_dir) / "publish-digests.json",
            )
            summary["publish"] = {**published.summary(), "full_reason": published.full_reason}
    logger.info("Site rebuilt (%s): %s", reason, summary)
    return summary
