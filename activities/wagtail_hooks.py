"""The admin's 学习活动 tools; each module registers its own hooks when imported here (Wagtail imports this file)."""

from . import question_admin, review, roster  # noqa: F401
