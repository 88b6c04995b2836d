"""Fixtures shared by every test package: the demo catalogue and signed-in admin clients; run-wide checks."""

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection


def pytest_configure(config: pytest.Config) -> None:
    """A run asked to use PostgreSQL must really be on PostgreSQL, not silently on the SQLite default."""
    scheme = urlparse(os.environ.get("DATABASE_URL", "")).scheme
    if scheme.startswith(("postgres", "pgsql")) and connection.vendor != "postgresql":
        raise pytest.UsageError(
            f"DATABASE_URL asks for PostgreSQL ({scheme}://…) but Django is on {connection.vendor} "
            f"({settings.DATABASES['default']['ENGINE']}): check DJANGO_SETTINGS_MODULE and the settings' DATABASES."
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    """The test settings' per-run media and var folders and database files go with the run (never those of other settings)."""
    temp = Path(tempfile.gettempdir())
    media = Path(settings.MEDIA_ROOT)
    if media.parent == temp and media.name.startswith("dangshi-test-media-"):
        shutil.rmtree(media, ignore_errors=True)
    var = Path(getattr(settings, "TEST_VAR_DIR", temp / "none"))
    if var.parent == temp and var.name.startswith("dangshi-test-var-"):
        shutil.rmtree(var, ignore_errors=True)
    # Django removes the SQLite test database file; a connection closed after it can leave its WAL files.
    test_db = Path(settings.DATABASES["default"].get("TEST", {}).get("NAME") or temp / "none")
    if test_db.parent == temp and test_db.name.startswith("dangshi-test-"):
        for leftover in (test_db, test_db.with_name(test_db.name + "-wal"), test_db.with_name(test_db.name + "-shm")):
            leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session", autouse=True)
def media_only_through_the_cms():
    """Django's live server serves MEDIA_ROOT raw, around the CMS's guarded /media/ view: switch that off."""
    from django.test import testcases

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testcases, "_MediaFilesHandler", lambda application: application)
        yield


@pytest.fixture
def tiny_catalogue(db):
    """The deterministic tiny demo catalogue (districts, columns, every content type, a draft, district-only news)."""
    call_command("seed_demo", "--scale", "tiny", "--users", verbosity=0)


@pytest.fixture
def admin_client_zh(client, db):
    """A client signed in as a superuser."""
    user = get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def cms_api_url(django_db_serialized_rollback, live_server, settings, tiny_catalogue) -> str:
    """The tiny catalogue behind a real HTTP server: the /api/v2/ address a builder on another machine would use.

    The live server needs a transactional database; serialized rollback restores the rows the
    migrations made (Wagtail's root page) after each test flushes the tables.
    """
    settings.CMS_API_URL = live_server.url + "/api/v2/"
    settings.SEARCH_URL = live_server.url + "/search/"
    settings.HOT_WORDS_URL = live_server.url + "/api/hotwords/"
    return settings.CMS_API_URL
