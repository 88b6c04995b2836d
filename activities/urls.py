"""Routes of the activities' dynamic paths on the public origin (all under /me/: members only)."""

from . import checkin, member_pages, quiz_views, reflections, signups

urlpatterns: list = [
    *checkin.urlpatterns,
    *signups.urlpatterns,
    *member_pages.urlpatterns,
    *reflections.urlpatterns,
    *quiz_views.urlpatterns,
]
