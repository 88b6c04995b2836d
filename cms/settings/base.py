"""Settings shared by every environment; the others import * from here."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from cms.csp import ADMIN_DIRECTIVES, PUBLIC_DIRECTIVES

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(os.environ.get("DANGSHI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, media and builds live here

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "content_models",
    "reading",
    "members",
    "activities",
    "stats",
    "site_builder",
    "transcoding",
    "search_index",
    "wagtail_headless_preview",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
]

# Security headers and the rate limits come first, so a refused request costs no session or database work
# and still carries the headers; axes last, as its documentation asks (it turns a lockout into its page).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.csp.PathPolicyMiddleware",
    "cms.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]
# An expired token on a members' form: a Chinese page in the theme (Django's own English page under /admin/).
CSRF_FAILURE_VIEW = "members.accounts.csrf_failure"

# django-axes against password guessing on the admin login: after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused (even with the right password) for the cool-off, with a
# Chinese page (cms.ratelimit.login_locked_out). A right password before that clears the count. Addresses
# come from cms.client_ip (X-Forwarded-For from the trusted proxy, see TRUSTED_PROXY_*). Logs and the
# database keep no successful logins; axes' log lines mask the username and the address.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cms.ratelimit.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "cms.client_ip.client_ip"
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# The proxies in front of the app (nginx, or the demo's one-origin server): X-Forwarded-For is believed only
# from these addresses, and the client is the entry TRUSTED_PROXY_COUNT places from its right end.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", 1))
TRUSTED_PROXY_NETWORKS = [
    n for n in os.environ.get("DJANGO_TRUSTED_PROXY_NETWORKS", "127.0.0.0/8,::1/128").split(",") if n
]

# Application-level rate limits (cms.ratelimit): a list of {"path", "requests", "seconds"[, "method"]}; empty
# here (development, tests), set in production.py (search nodes too). Counted in a SQLite file every worker
# process of the machine shares.
RATE_LIMITS: list[dict] = []
RATE_LIMIT_STORE = VAR_DIR / "ratelimit.sqlite3"

# Content-Security-Policy (django-csp; the policies and why are in cms/csp.py): strict on the members' pages,
# with the theme's inlined CSS allowed by its hash; Wagtail's needs on the editors' paths.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": PUBLIC_DIRECTIVES}
ADMIN_CONTENT_SECURITY_POLICY = {"DIRECTIVES": ADMIN_DIRECTIVES, "PATH_PREFIXES": ["/admin/", "/preview/"]}

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# DATABASE_URL selects the database; an SQLite file is the embedded default.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker and the web process share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The project's own zh-Hans catalogue (locale/zh_Hans/LC_MESSAGES) comes first: it fills what Wagtail 8 and its
# dependencies leave in English. The .mo is committed; tests/content_models/test_admin_chinese.py checks it matches the .po.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# /media/ is never served raw: content_models.media decides per file (public renditions and documents to
# anyone, everything to its editors, 404 otherwise). Empty: Django streams the bytes; production behind
# nginx sets it to an `internal` location so nginx sends them (X-Accel-Redirect).
MEDIA_ACCEL_REDIRECT_PREFIX = ""
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# Spreadsheet import caps (content_models/importing/reading.py), checked before a sheet is read whole. For scale:
# a 20,000-row e-book export is 1.4 MB as .xlsx, 16 MB unzipped, and 5 MB as .csv.
CATALOGUE_IMPORT_MAX_ROWS = 20_000  # data rows per sheet: the seed's longest list (6,488 episodes) three times over
CATALOGUE_IMPORT_MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # an .xlsx's members once unzipped (zip bombs), or a .csv
CATALOGUE_IMPORT_WORKER_ROWS = 1_000  # sheets with more rows are checked and written by the worker, with progress

# "default" runs Wagtail's own housekeeping (reference and admin search index) in the request, so the
# admin never depends on the worker; "queue" is the database queue the worker drains (site rebuilds,
# search-index updates): `python manage.py db_worker --backend queue`.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    # "media": transcoding (minutes per episode, both cores) has its own worker (`--queue-name media`,
    # deploy/systemd/dangshi-media-worker.service), so a long video never holds up a publish going live.
    "queue": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "media"]},
}

# Wagtail
WAGTAIL_SITE_NAME = "党史学习资源库"
# The admin would fetch releases.wagtail.io and editors' avatars from Gravatar: off-site requests the CSP
# refuses anyway, and Gravatar would learn a hash of each editor's e-mail address.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
# Every editor works in Changchun: one time zone, so the account page offers no list of 600 English zone names.
WAGTAIL_USER_TIME_ZONES = ["Asia/Shanghai"]
WAGTAILADMIN_USER_LOGIN_FORM = "cms.admin_forms.LoginForm"  # the password field's label in Chinese
WAGTAILDOCS_DOCUMENT_MODEL = "content_models.LibraryDocument"
# Document URLs are their /media/documents/… path, which content_models.media guards.
WAGTAILDOCS_SERVE_METHOD = "direct"
WAGTAILDOCS_EXTENSIONS = ["pdf", "epub", "mp4", "mp3", "m4a", "aac", "wav", "ogg"]
# Checked by LibraryDocument.clean (Wagtail has no document cap of its own); nginx's ADMIN_MAX_BODY_SIZE (200m) matches.
WAGTAILDOCS_MAX_UPLOAD_SIZE = int(os.environ.get("WAGTAILDOCS_MAX_UPLOAD_SIZE", 200 * 1024 * 1024))
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# The builder pages through the whole catalogue; 500 per request keeps the walk to a few requests.
WAGTAILAPI_LIMIT_MAX = 500
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL

# Where the public static site lives; item pages report their URL there ("view live", rich-text links).
PUBLIC_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080").rstrip("/")

# The static site: built by the worker into SITE_BUILD_DIR from the public API, then published to
# SITE_PUBLISH_TARGET (file:///path or s3://bucket/prefix; empty = SITE_BUILD_DIR is what is served).
SITE_BUILD_DIR = Path(os.environ.get("SITE_BUILD_DIR", VAR_DIR / "site"))
# The public API the builder and the search indexer read (over HTTP, like on any other machine).
CMS_API_URL = os.environ.get("CMS_API_URL", f"{WAGTAILAPI_BASE_URL}/api/v2/")
# Where the static pages' search box submits, and the hot words (with top results) they pre-render.
SEARCH_URL = os.environ.get("SEARCH_URL", "/search/")  # on the public origin (deploy/nginx, the demo's router)
HOT_WORDS_URL = os.environ.get("HOT_WORDS_URL", f"{WAGTAILADMIN_BASE_URL}/api/hotwords/")
SITE_PUBLISH_TARGET = os.environ.get("SITE_PUBLISH_TARGET", "")
SITE_PUBLISH_OPTIONS = {
    "endpoint_url": os.environ.get("SITE_PUBLISH_ENDPOINT_URL") or None,
    "addressing_style": os.environ.get("SITE_PUBLISH_ADDRESSING_STYLE", "auto"),
}
# Publishes within this many seconds of each other land in one build.
SITE_REBUILD_DELAY_SECONDS = float(os.environ.get("SITE_REBUILD_DELAY_SECONDS", 2))
SITE_BUILD_LOCK_TIMEOUT = 600

WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": f"{WAGTAILADMIN_BASE_URL}/preview/"},
    "SERVE_BASE_URL": None,
    "REDIRECT_ON_PREVIEW": True,
    "ENFORCE_TRAILING_SLASH": True,
}
# A preview token is good for this many seconds; after that the endpoint answers 404.
PREVIEW_TOKEN_MAX_AGE = int(os.environ.get("PREVIEW_TOKEN_MAX_AGE", 3600))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "content_models": {"level": "INFO"},
        "site_builder": {"level": "INFO"},
        "search_index": {"level": "INFO"},
    },
}

# Hot-word search (search_index/): the on-disk index; it is fed from CMS_API_URL.
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", VAR_DIR / "search-index"))
# Search scale-out (search_index/replication.py): after each build or update the worker publishes the live index
# to this store (file:///path or s3://bucket/prefix; empty: not published), keeping the newest KEEP versions;
# search nodes run `manage.py follow_search_index`, which looks for a newer version every FOLLOW_SECONDS.
SEARCH_INDEX_ARTEFACTS = os.environ.get("SEARCH_INDEX_ARTEFACTS", "")
SEARCH_INDEX_ARTEFACTS_OPTIONS = {
    "endpoint_url": os.environ.get("SEARCH_INDEX_ARTEFACTS_ENDPOINT_URL") or SITE_PUBLISH_OPTIONS["endpoint_url"],
    "addressing_style": os.environ.get("SEARCH_INDEX_ARTEFACTS_ADDRESSING_STYLE") or SITE_PUBLISH_OPTIONS["addressing_style"],
}
SEARCH_INDEX_ARTEFACTS_KEEP = int(os.environ.get("SEARCH_INDEX_ARTEFACTS_KEEP", 5))
SEARCH_INDEX_FOLLOW_SECONDS = float(os.environ.get("SEARCH_INDEX_FOLLOW_SECONDS", 1))
# A search becomes a hot word once this many distinct visitors searched it within the window (told apart by a
# daily-keyed hash of the address cms.client_ip gives and the browser, never stored raw); then it waits in
# 「待审热词」 for an editor unless approval is switched off. `manage.py refresh_hot_words` (daily) applies these;
# the window is also how long the query log is kept.
HOT_WORD_MIN_VISITORS = int(os.environ.get("HOT_WORD_MIN_VISITORS", 5))
HOT_WORD_WINDOW_DAYS = int(os.environ.get("HOT_WORD_WINDOW_DAYS", 30))
HOT_WORD_REQUIRE_APPROVAL = os.environ.get("HOT_WORD_REQUIRE_APPROVAL", "1") == "1"

# Review workflow (content_models.workspaces): comments on pages, and Wagtail's e-mail notifications —
# reviewers hear of submissions, editors of approval or rejection. Set EMAIL_* for a real mail server.
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = os.environ.get("WAGTAILADMIN_NOTIFICATION_FROM_EMAIL", "noreply@dangshi.example.cn")
WAGTAILADMIN_NOTIFICATION_USE_HTML = True
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Members' learning archive (members/): sessions on the public origin, study beats from the static pages.
MEMBER_SESSION_DAYS = int(os.environ.get("MEMBER_SESSION_DAYS", 30))
MEMBER_LOGIN_FAILURE_LIMIT = int(os.environ.get("MEMBER_LOGIN_FAILURE_LIMIT", 5))  # wrong passwords for one number …
MEMBER_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("MEMBER_LOGIN_LOCKOUT_MINUTES", 15))  # … within this window lock it
STUDY_BEAT_MIN_INTERVAL_SECONDS = 25  # one credited beat per member per this many seconds
STUDY_DAY_CAP_SECONDS = int(os.environ.get("STUDY_DAY_CAP_SECONDS", 4 * 3600))  # study credited per member per day

# Members' uploads (心得 photos and voice): outside MEDIA_ROOT and the bucket, served only to the member and organisers.
PRIVATE_UPLOAD_ROOT = VAR_DIR / "private"
REFLECTION_PHOTO_MAX_BYTES = 10 * 1024 * 1024  # one photo as uploaded
REFLECTION_PHOTOS_MAX = 6  # photos per 心得
REFLECTION_VOICE_MAX_BYTES = 20 * 1024 * 1024
REFLECTION_VOICE_MAX_SECONDS = 5 * 60
REFLECTION_TEXT_MAX_CHARS = 5000
# The whole 心得 form: below nginx's REFLECTION_MAX_BODY_SIZE (32m), so the member reads the application's message.
REFLECTION_MAX_TOTAL_BYTES = 30 * 1024 * 1024
ACTIVITY_TASK_MIN_SECONDS = 5 * 60  # study on a task's item that counts it as done
DAILY_QUIZ_SIZE = 5
BEAT_RECEIPT_DAYS = 2  # how long beat ids are remembered against replays
