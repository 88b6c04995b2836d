"""Routes of the members' dynamic paths on the public origin: /me/…, /api/me/, /api/learning/…"""

from django.urls import path, re_path

from . import accounts, archive, beats, district_content

urlpatterns: list = [
    path("me/login/", accounts.login_view, name="member_login"),
    path("me/logout/", accounts.logout_view, name="member_logout"),
    path("me/register/", accounts.register_view, name="member_register"),
    path("me/", archive.archive_page, name="member_archive"),
    path("me/export.xlsx", archive.export_archive, name="member_export"),
    path("me/delete/", archive.delete_account, name="member_delete"),
    path("me/district/", district_content.district_list, name="member_district"),
    path("me/district/<int:item_id>/", district_content.district_item, name="member_district_item"),
    path("me/search/", district_content.district_search, name="member_search"),
    path("api/me/", accounts.api_me, name="api_me"),
    re_path(r"^api/learning/beats/?$", beats.beats, name="learning_beats"),
]
