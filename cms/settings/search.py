"""A search-only server: /search/, /api/search/, /api/suggest/, /api/hotwords/, /hot/<slug>/ and nothing else.

Needs only SEARCH_INDEX_DIR and the database holding the query log and the editors' hot-word lists. The index
folder is the node's own, kept current by `manage.py follow_search_index` (SEARCH_INDEX_ARTEFACTS: the store the
CMS's worker publishes every index version to; SEARCH_INDEX_FOLLOW_SECONDS: how often it looks), which swaps each
verified version in atomically while this server keeps answering.
Production's hardening, rate limits and JSON logs apply (same environment file as the CMS host); run as
many as traffic needs (deploy/systemd/dangshi-search@.service):

    DJANGO_SETTINGS_MODULE=cms.settings.search gunicorn -c deploy/gunicorn.conf.py cms.wsgi
"""

from .production import *  # noqa: F403

INSTALLED_APPS = ["search_index", "django.contrib.contenttypes", "csp"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.csp.PathPolicyMiddleware",
    "cms.ratelimit.RateLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # no forms post here; kept so nothing added later can skip it
]
ROOT_URLCONF = "search_index.urls"
CSRF_FAILURE_VIEW = "django.views.csrf.csrf_failure"  # the members' Chinese page lives in an app this node lacks
TEMPLATES = []
