"""Routes of the anonymous page-view beacon on the public origin: /api/stats/…"""

from django.urls import path  # noqa: F401

urlpatterns: list = []
