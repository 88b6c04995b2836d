"""Local development and the demo: debug on, a fixed insecure key, SQLite by default."""

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-党史学习资源库"  # noqa: F405
ALLOWED_HOSTS = ["*"]
