"""Routes of the members' dynamic paths on the public origin: /me/…, /api/me/, /api/learning/…"""

from django.urls import path, re_path

from . import accounts, beats

urlpatterns: list = [
    path("me/login/", accounts.login_view, name="member_login"),
    path("me/logout/", accounts.logout_view, name="member_logout"),
    path("me/register/", accounts.register_view, name="member_register"),
    path("api/me/", accounts.api_me, name="api_me"),
    re_path(r"^api/learning/beats/?$", beats.beats, name="learning_beats"),
]
