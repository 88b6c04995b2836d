"""App config for the members' learning archive."""

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "党员学习档案"
