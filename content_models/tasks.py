"""Background jobs on the "queue" backend (run by `manage.py db_worker --backend queue`).

- publish_scheduled_pages: Wagtail's scheduled publishing and expiry, checked every minute, re-enqueueing itself.
- update_references: the reference index ("usage") of pages written in bulk by the importer.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from wagtail.models import ReferenceIndex

logger = logging.getLogger(__name__)

SCHEDULE_INTERVAL = timedelta(seconds=60)


@task(backend="queue")
def publish_scheduled_pages() -> dict[str, str]:
    """Publish what is due (go_live_at passed) and unpublish what has expired, then check again in a minute."""
    call_command("publish_scheduled", verbosity=0)
    rebuild_for_ended_banner()
    return {"next_run": ensure_publish_scheduler().isoformat()}


def rebuild_for_ended_banner(now=None) -> bool:
    """A pinned activity that ended since the last check leaves the front page's banner, though nothing was
    published: ask for the rebuild (the window covers two intervals, and requests coalesce)."""
    from activities.models import ActivityPage
    from site_builder.tasks import request_rebuild

    now = now or timezone.now()
    ended = ActivityPage.objects.live().filter(pinned=True, ends_at__gt=now - 2 * SCHEDULE_INTERVAL, ends_at__lte=now)
    if not ended.exists():
        return False
    request_rebuild("置顶活动已结束：更换首页横幅")
    return True


def ensure_publish_scheduler(delay: timedelta = SCHEDULE_INTERVAL):
    """Enqueue the next check unless one is already waiting: exactly one pending instance at any time.

    Returns when the waiting check runs.
    """
    path = publish_scheduled_pages.module_path
    with transaction.atomic():
        pending = (
            DBTaskResult.objects.select_for_update()
            .filter(task_path=path, status="READY")
            .order_by("run_after")
            .first()
        )
        if pending:
            return pending.run_after
        run_after = timezone.now() + delay
        result = publish_scheduled_pages.using(run_after=run_after).enqueue()
    logger.info("Scheduled-publishing check enqueued for %s (task %s)", run_after, result.id)
    return run_after


@task(backend="queue")
def update_references(objects: list[list]) -> int:
    """Rebuild the reference index for [app_label, model_name, pk] triples; returns how many were indexed."""
    done = 0
    for app_label, model_name, pk in objects:
        model = apps.get_model(app_label, model_name)
        instance = model.objects.filter(pk=pk).first()
        if instance is not None:
            with transaction.atomic():
                ReferenceIndex.create_or_update_for_object(instance)
            done += 1
    return done
