"""Routes of the anonymous page-view beacon on the public origin: /api/stats/…"""

from django.urls import path

from .counting import count_view

urlpatterns: list = [
    path("api/stats/view", count_view, name="stats_view"),
]
