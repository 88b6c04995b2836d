"""Sign-up (报名) for events with capacity: sign up, cancel, the waiting list promoted in order, the deadline, attendance by the event's code."""

urlpatterns: list = []
