"""Routes of the members' dynamic paths on the public origin: /me/…, /api/me/, /api/learning/…"""

from django.urls import path  # noqa: F401 — each feature adds its routes below

urlpatterns: list = []
