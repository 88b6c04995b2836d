"""Admin registration: the 「视频音频转码」 report in the menu, for editors who may change documents."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .views import user_can_see_report


@hooks.register("register_admin_urls")
def register_transcoding_urls():
    return [path("transcoding/", include(admin_urls, namespace="transcoding"))]


class TranscodingReportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_can_see_report(request.user)


@hooks.register("register_admin_menu_item")
def register_transcoding_menu_item():
    return TranscodingReportMenuItem("视频音频转码", reverse("transcoding:report"), icon_name="media", order=235)
