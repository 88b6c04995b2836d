"""Daily check-in (打卡): the one-tap form POST from the home and activity pages, once a day, streaks and points."""

urlpatterns: list = []
