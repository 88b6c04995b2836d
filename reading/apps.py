"""App config for the page-by-page reader pipeline: connects the upload signal that queues a document's processing."""

from django.apps import AppConfig


class ReadingConfig(AppConfig):
    name = "reading"
    verbose_name = "逐页阅读"

    def ready(self) -> None:
        from . import signals  # noqa: F401
