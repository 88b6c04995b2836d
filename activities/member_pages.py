"""The members' activity pages: /me/activities/ (my activities) and /me/activities/<id>/ (sign-up, attendance, progress, links to 心得 and quiz)."""

urlpatterns: list = []
