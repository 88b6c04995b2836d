"""Admin registration: the 「视频音频转码」 report in the menu, for editors who may change documents."""

from django.urls import include, path
from wagtail import hooks

from . import admin_urls
from .views import report_page


@hooks.register("register_admin_urls")
def register_transcoding_urls():
    return [path("transcoding/", include(admin_urls, namespace="transcoding"))]


@hooks.register("register_admin_menu_item")
def register_transcoding_menu_item():
    return report_page.menu_item(order=235)
