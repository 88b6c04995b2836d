"""Django app config for hot-word search (endpoint, hot words, index tasks)."""

from django.apps import AppConfig


class SearchIndexConfig(AppConfig):
    name = "search_index"
    verbose_name = "热词搜索"

    def ready(self) -> None:
        from django.conf import settings

        # A search-only deployment (cms/settings/search.py) has no page models to listen to.
        if "content_models" in settings.INSTALLED_APPS:
            from .signals import connect

            connect()
