"""App config for the learning statistics."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "学习统计"
