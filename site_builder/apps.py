"""Django app config: lets the CMS host run the builder (build_site command, rebuild on publish)."""

from django.apps import AppConfig


class SiteBuilderConfig(AppConfig):
    name = "site_builder"
    verbose_name = "静态站点"

    def ready(self) -> None:
        from . import signals  # noqa: F401
