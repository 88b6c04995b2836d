"""Fixtures for the Django side of search: an index built over HTTP from the tiny catalogue's public API."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult


@pytest.fixture
def search_settings(settings, cms_api_url, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.SITE_BUILD_DIR = tmp_path / "site"
    return settings


@pytest.fixture
def built_index(search_settings):
    """The tiny catalogue indexed from its API; the task queue emptied of the seeding's tasks."""
    call_command("build_search_index", verbosity=0)
    DBTaskResult.objects.all().delete()
    return search_settings.SEARCH_INDEX_DIR


@pytest.fixture(autouse=True)
def _fresh_block_list():
    """The block list is cached per process; a rolled-back test must not leave its blocks behind."""
    from search_index import hotwords

    hotwords.forget_blocked_words()
    yield
    hotwords.forget_blocked_words()
