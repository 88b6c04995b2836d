"""Test settings: fast hashing, locmem cache; media and the SQLite test database in per-run temporary files."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-key-党史"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Wagtail caches renditions by image id and file hash; rolled-back tests reuse both with other files,
    # and the guarded /media/ view rightly refuses a cached rendition whose row is gone.
    "renditions": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
# One media folder per run, shared with the processes the tests start (they inherit the variable); made on
# first use, removed by tests/conftest.py when the run ends.
MEDIA_ROOT = Path(os.environ.setdefault(
    "DANGSHI_TEST_MEDIA_ROOT", str(Path(tempfile.gettempdir()) / f"dangshi-test-media-{os.getpid()}")
))
# The search index, the built site and the rate-limit counts of a run live in its own folder too, shared the same
# way: a run never finds what an earlier one left in ./var (a search index there turned "no index yet" answers
# into results).
TEST_VAR_DIR = Path(os.environ.setdefault(
    "DANGSHI_TEST_VAR_DIR", str(Path(tempfile.gettempdir()) / f"dangshi-test-var-{os.getpid()}")
))
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", TEST_VAR_DIR / "search-index"))
SITE_BUILD_DIR = Path(os.environ.get("SITE_BUILD_DIR", TEST_VAR_DIR / "site"))
RATE_LIMIT_STORE = TEST_VAR_DIR / "ratelimit.sqlite3"
PRIVATE_UPLOAD_ROOT = TEST_VAR_DIR / "private"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so a second process (a real db_worker) can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"dangshi-test-{os.getpid()}.sqlite3")}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
