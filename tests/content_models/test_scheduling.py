"""Scheduled publishing and expiry happen without anyone at the keyboard: a queue task that re-enqueues itself."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content_models.models import Column, NewsPage, SectionPage
from content_models.seeding import ensure_districts
from content_models.tasks import publish_scheduled_pages

ROOT = Path(__file__).resolve().parents[2]


def news(title: str, slug: str) -> NewsPage:
    section = SectionPage.objects.get(district__isnull=True)
    page = NewsPage(title=title, slug=slug, date=date(2024, 7, 1), body="<p>通知。</p>", live=False)
    page.columns = [Column.objects.first()]
    section.add_child(instance=page)
    return page


def scheduled_and_expiring() -> tuple[NewsPage, NewsPage]:
    """One page approved to go live a minute ago (Wagtail's scheduled state), one live page that expired."""
    now = timezone.now()
    due = news("定时发布的通知", "due")
    due.go_live_at = now + timedelta(hours=1)
    due.save_revision().publish()  # go_live_at in the future: scheduled, not live
    due.refresh_from_db()
    assert not due.live
    # …and now its time has come: move the schedule into the past, as if an hour and a minute had passed.
    revision = due.latest_revision
    revision.content["go_live_at"] = (now - timedelta(minutes=1)).isoformat()
    revision.approved_go_live_at = now - timedelta(minutes=1)
    revision.save(update_fields=["content", "approved_go_live_at"])
    expiring = news("到期下线的通知", "expiring")
    expiring.save_revision().publish()
    type(expiring).objects.filter(pk=expiring.pk).update(expire_at=now - timedelta(minutes=1))
    return due, expiring


def pending() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=publish_scheduled_pages.module_path, status="READY"))


@pytest.mark.django_db
def test_task_publishes_due_pages_unpublishes_expired_ones_and_keeps_one_check_waiting():
    ensure_districts()
    due, expiring = scheduled_and_expiring()
    DBTaskResult.objects.filter(task_path=publish_scheduled_pages.module_path).delete()

    publish_scheduled_pages.call()
    due.refresh_from_db()
    expiring.refresh_from_db()
    assert due.live and not expiring.live and expiring.expired
    waiting = pending()
    assert len(waiting) == 1 and waiting[0].backend_name == "queue"
    assert timedelta(seconds=50) < waiting[0].run_after - timezone.now() <= timedelta(seconds=60)

    publish_scheduled_pages.call()
    call_command("start_publish_scheduler", verbosity=0)
    assert len(pending()) == 1  # never a second waiting check


@pytest.mark.django_db
def test_scheduling_something_in_the_admin_way_enqueues_the_check(django_capture_on_commit_callbacks):
    ensure_districts()
    DBTaskResult.objects.all().delete()
    page = news("下周发布", "next-week")
    page.go_live_at = timezone.now() + timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert len(pending()) == 1


def database_url() -> str:
    """The test database as a DATABASE_URL another process can open (SQLite's test database is a file)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_separate_db_worker_process_publishes_and_expires():
    ensure_districts()
    due, expiring = scheduled_and_expiring()
    DBTaskResult.objects.all().delete()
    publish_scheduled_pages.enqueue()  # due now; committed, so the worker process sees it
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    done = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--backend", "queue", "--batch", "--no-startup-delay"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    due.refresh_from_db()
    expiring.refresh_from_db()
    assert due.live and not expiring.live
    assert DBTaskResult.objects.filter(task_path=publish_scheduled_pages.module_path, status="SUCCESSFUL").count() == 1
    assert len(pending()) == 1  # the next check, a minute from now
