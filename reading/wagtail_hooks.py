"""Admin registration: the 「逐页阅读」 report in the menu, for editors who may change documents."""

from django.urls import include, path
from wagtail import hooks

from . import admin_urls
from .views import report_page


@hooks.register("register_admin_urls")
def register_reading_urls():
    return [path("reading/", include(admin_urls, namespace="reading"))]


@hooks.register("register_admin_menu_item")
def register_reading_menu_item():
    return report_page.menu_item(order=230)
