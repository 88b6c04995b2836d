"""Django app config for hot-word search (endpoint, hot words, index tasks)."""

from django.apps import AppConfig


class SearchIndexConfig(AppConfig):
    name = "search_index"
    verbose_name = "热词搜索"
