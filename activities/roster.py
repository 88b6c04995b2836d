"""Organisers' roster of an event's sign-ups (xlsx export, attendance, the attendance code) in the Wagtail admin."""
