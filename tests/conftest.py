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
