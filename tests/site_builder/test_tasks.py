"""Publish → live: Wagtail events enqueue one coalesced rebuild on the database queue; a real worker runs it."""

import pytest
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from content_models.models import EBookPage
from site_builder.lock import site_lock
from site_builder.tasks import rebuild_site


@pytest.fixture
def site_settings(settings, cms_api_url, tmp_path):
    settings.SITE_BUILD_DIR = tmp_path / "site"
    settings.SITE_PUBLISH_TARGET = (tmp_path / "live").as_uri()
    settings.SITE_PUBLISH_OPTIONS = {}
    settings.SITE_REBUILD_DELAY_SECONDS = 0
    DBTaskResult.objects.all().delete()
    return tmp_path / "live"


def rebuilds():
    return DBTaskResult.objects.filter(task_path=rebuild_site.module_path)


def run_worker() -> None:
    call_command("db_worker", "--backend", "queue", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_burst_of_publishes_enqueues_one_rebuild(site_settings):
    book = EBookPage.objects.live().first()
    for n in range(5):
        book.title = f"四个自信学习读本（第{n + 1}次修订）"
        book.save_revision().publish()
    assert rebuilds().count() == 1
    assert rebuilds().get().status == TaskResultStatus.READY


def test_the_worker_builds_and_publishes_what_was_published(site_settings):
    live = site_settings
    book = EBookPage.objects.live().first()
    book.title = "三会一课工作手册（修订版）"
    book.save_revision().publish()
    run_worker()
    result = rebuilds().get()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    page = live / book.site_path.lstrip("/") / "index.html"
    assert "三会一课工作手册（修订版）" in page.read_text(encoding="utf-8")
    assert result.return_value["publish"]["uploaded"] > 0
    assert result.return_value["publish"]["full_reason"] == "no earlier publish recorded"

    book.unpublish()
    run_worker()
    assert rebuilds().filter(status=TaskResultStatus.SUCCESSFUL).count() == 2
    assert not page.exists()
    second = rebuilds().order_by("-enqueued_at").first().return_value
    assert second["publish"]["full_reason"] == ""  # only what the build changed, without listing the target
    assert 0 < second["publish"]["uploaded"] <= second["written"] and second["publish"]["deleted"] >= 1
    assert "三会一课工作手册" not in (live / "index.html").read_text(encoding="utf-8")


def test_the_worker_waits_for_a_build_or_publish_of_its_folder(site_settings, settings):
    settings.SITE_BUILD_LOCK_TIMEOUT = 0.5
    book = EBookPage.objects.live().first()
    book.save_revision().publish()
    # The lock `manage.py build_site` and `python -m site_builder build|publish` take on the folder.
    with site_lock(settings.SITE_BUILD_DIR, wait=0, doing="发布"):
        run_worker()  # the worker's rebuild waits for the lock held here, then gives up
    failed = rebuilds().get()
    assert failed.status == TaskResultStatus.FAILED
    assert f"站点文件夹 {settings.SITE_BUILD_DIR} 正被另一次构建或发布使用" in failed.traceback
    assert "在发布" in failed.traceback
    assert not (site_settings / "index.html").exists()
    book.save_revision().publish()
    run_worker()
    assert rebuilds().filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
    assert (site_settings / "index.html").exists()
