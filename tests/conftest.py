"""Fixtures shared by every test package: the demo catalogue and signed-in admin clients."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


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
