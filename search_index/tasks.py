"""Queue tasks (backend "queue", drained by `manage.py db_worker --backend queue`) that keep the index live, and the
hot-word refresh that asks the site to follow."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_tasks import task
from django_tasks.base import TaskResultStatus

from . import hotwords, replication, sync

logger = logging.getLogger(__name__)


def editor_terms() -> list[str]:
    from .models import SearchTerm

    return list(SearchTerm.objects.order_by("word").values_list("word", flat=True))


# Index updates run before a waiting site rebuild (higher priority): hot-word pages are built from the index.
INDEX_PRIORITY = 10


@task(backend="queue", priority=INDEX_PRIORITY)
def index_item(page_id: int) -> dict:
    """Re-read one item from the API and update (or, on 404, delete) its documents and its children's."""
    index_dir = Path(settings.SEARCH_INDEX_DIR)
    try:
        summary = sync.sync_item(settings.CMS_API_URL, index_dir, page_id)
    except FileNotFoundError:
        # No index yet: the first full build picks this item up.
        summary = rebuild(reason=f"no index when page {page_id} changed")
    logger.info("Search index updated for page %s: %s", page_id, summary)
    return {**summary, "published": publish_for_search_nodes()}


def rebuild(reason: str = "") -> dict:
    summary = sync.rebuild(settings.CMS_API_URL, Path(settings.SEARCH_INDEX_DIR), editor_terms())
    summary["reason"] = reason
    logger.info("Search index rebuilt (%s): %s", reason, summary)
    return summary


@task(backend="queue", priority=INDEX_PRIORITY)
def rebuild_index(reason: str = "") -> dict:
    """A full rebuild into a new generation; the old one answers searches until the swap."""
    return {**rebuild(reason), "published": publish_for_search_nodes()}


def publish_for_search_nodes() -> dict | None:
    """Publish the live index to SEARCH_INDEX_ARTEFACTS for the search nodes (None when not set), unless another
    index task waits in the queue: the last of a burst publishes, once.

    A failed publish does not fail the update (this host's index is current): it is logged, and the next publish
    sends everything the store lacks.
    """
    if not settings.SEARCH_INDEX_ARTEFACTS:
        return None
    from django_tasks_db.models import DBTaskResult  # here: search nodes import this module without the queue app

    waiting = DBTaskResult.objects.filter(
        task_path__in=[index_item.module_path, rebuild_index.module_path], status=TaskResultStatus.READY
    )
    if waiting.exists():
        return {"skipped": "another index task is queued"}
    store = replication.open_store(settings.SEARCH_INDEX_ARTEFACTS, **settings.SEARCH_INDEX_ARTEFACTS_OPTIONS)
    try:
        report = replication.publish(Path(settings.SEARCH_INDEX_DIR), store, keep=settings.SEARCH_INDEX_ARTEFACTS_KEEP)
    except Exception as error:  # any storage failure: the store keeps its previous, complete version
        logger.error("Search index not published to %s: %s", store.describe(), store.explain(error))
        return {"error": store.explain(error)}
    logger.info("Search index published to %s: %s", store.describe(), report.summary())
    return report.summary()


def refresh_shown_hot_words(reason: str) -> dict:
    """Recompute the public hot words (hotwords.refresh) and, when they changed, ask for a site rebuild:
    the list every page shows changes only together with a rebuild of those pages."""
    with transaction.atomic():
        summary = hotwords.refresh()
        if summary["changed"]:
            request_site_rebuild(f"hot words changed: {reason}")  # enqueued when the new list is committed
    logger.info("Hot words refreshed (%s): %s", reason, summary)
    return summary


def request_site_rebuild(reason: str) -> None:
    """The static site's rebuild task (site_builder.tasks) re-renders the home page and hot-word pages."""
    try:
        from site_builder.tasks import request_rebuild
    except ImportError:  # the search service deployed on its own
        return
    request_rebuild(reason)


def enqueue_index_item(page_id: int) -> None:
    """Re-read one item once the transaction commits, unless a full rebuild is waiting: it has not started, so it
    will read this change too (seeding queued 3,310 item updates behind the rebuild its first column asked for)."""

    def enqueue() -> None:
        if not _rebuild_waiting():
            index_item.enqueue(page_id)

    transaction.on_commit(enqueue)


def _rebuild_waiting() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=rebuild_index.module_path, status=TaskResultStatus.READY).exists()


def enqueue_rebuild(reason: str) -> None:
    """A full index rebuild once the transaction commits, unless one is already waiting (it will read
    everything this change made): seeding or a batch of column edits queued dozens of identical rebuilds."""

    def enqueue() -> None:
        if not _rebuild_waiting():
            rebuild_index.enqueue(reason)

    transaction.on_commit(enqueue)
