"""A search-only server: /search/, /api/search/, /api/suggest/, /api/hotwords/, /hot/<slug>/ and nothing else.

Needs only SEARCH_INDEX_DIR (a copy or shared mount of the index the CMS's worker builds) and the
database holding the query log and the editors' hot-word lists. Run as many as traffic needs:

    DJANGO_SETTINGS_MODULE=cms.settings.search gunicorn cms.wsgi -w 4
"""

from .base import *  # noqa: F403

INSTALLED_APPS = ["search_index", "django.contrib.contenttypes"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.security.SecurityMiddleware"]
ROOT_URLCONF = "search_index.urls"
TEMPLATES = []
