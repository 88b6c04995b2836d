"""The members' quiz pages: the daily set and an activity's 专项测评, one question per screen, without JavaScript."""

urlpatterns: list = []
