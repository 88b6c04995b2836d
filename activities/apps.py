"""App config for the learning activities."""

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "学习活动"

    def ready(self) -> None:
        # Receivers (waiting members promoted when a publish raises the capacity; a 心得's files removed with it)
        # must be connected in every process, the worker's scheduled publishing included, not only where URLs load.
        from . import reflections, signups  # noqa: F401
