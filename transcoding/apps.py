"""Django app config for transcoding episode videos and audio into light renditions."""

from django.apps import AppConfig


class TranscodingConfig(AppConfig):
    name = "transcoding"
    verbose_name = "视频音频转码"

    def ready(self) -> None:
        from . import signals  # noqa: F401
