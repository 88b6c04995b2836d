"""Admin registration: the 「逐页阅读」 report in the menu, for editors who may change documents."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .views import user_can_see_report


@hooks.register("register_admin_urls")
def register_reading_urls():
    return [path("reading/", include(admin_urls, namespace="reading"))]


class ReadingReportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_can_see_report(request.user)


@hooks.register("register_admin_menu_item")
def register_reading_menu_item():
    return ReadingReportMenuItem("逐页阅读", reverse("reading:report"), icon_name="doc-full", order=230)
