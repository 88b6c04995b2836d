"""App config: connects the signal that gives every new district its workspace."""

from django.apps import AppConfig


class ContentModelsConfig(AppConfig):
    name = "content_models"
    verbose_name = "资源库内容"

    def ready(self) -> None:
        from . import signals  # noqa: F401
