"""Admin registration of the 「学习统计」 dashboard: its URL and its menu item."""

from django.urls import path, reverse
from wagtail import hooks

from .dashboard import DashboardMenuItem, dashboard


@hooks.register("register_admin_urls")
def register_stats_urls():
    return [path("stats/", dashboard, name="stats_dashboard")]


@hooks.register("register_admin_menu_item")
def register_stats_menu_item():
    return DashboardMenuItem("学习统计", reverse("stats_dashboard"), icon_name="table", order=230)
