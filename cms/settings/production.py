"""Production behind nginx: secrets and hosts from the environment (deploy/env.example), PostgreSQL via
DATABASE_URL, HTTPS-only cookies and HSTS, WhiteNoise for the admin's static files, rate limits, JSON
logs. `manage.py check --deploy` is clean with deploy/env.example's variables."""

import copy
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0") == "1"


DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
if "CHANGE-ME" in SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is still deploy/env.example's placeholder: set a random one.")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# nginx terminates TLS and says so in X-Forwarded-Proto (it must overwrite whatever the client sent).
# DJANGO_SECURE_SSL_REDIRECT=0 / DJANGO_SECURE_COOKIES=0 only for a loopback test without TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Keep in step with the static site's header (cms.csp.HSTS, deploy/nginx/security_headers.conf).
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Django's default, stated: Wagtail's preview views allow same-origin framing themselves

# Admin static files: `manage.py collectstatic` into STATIC_ROOT, served with far-future caching by WhiteNoise
# (hashed names, gzip copies made at collectstatic time), so the app needs no nginx rule for them.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Per client address (a household or a community centre can share one), counted per machine (cms/ratelimit.py).
# nginx's limit_req is stricter per second.
RATE_LIMITS = [
    {"path": "/search/", "requests": 120, "seconds": 60},
    {"path": "/api/search/", "requests": 120, "seconds": 60},
    {"path": "/api/suggest/", "requests": 300, "seconds": 60},  # a request per keystroke
    {"path": "/admin/login/", "method": "POST", "requests": 20, "seconds": 600},
    # Members' writes (打卡, 报名, 签到码, 心得, 答题): a community centre's members may share one address.
    {"path": "/me/", "method": "POST", "requests": 300, "seconds": 60},
]

# Behind nginx, the media view decides and nginx sends the file: set MEDIA_ACCEL_REDIRECT_PREFIX to
# "/_protected_media/" with
#     location /media/ { proxy_pass http://cms; }
#     location /_protected_media/ { internal; alias /srv/dangshi/var/media/; }   # MEDIA_ROOT
# Never serve MEDIA_ROOT itself: files of restricted collections and district-only items live there too.
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "")

# One JSON object per line on stdout, for journald (cms/jsonlog.py: addresses masked).
LOGGING = copy.deepcopy(LOGGING)  # noqa: F405
LOGGING["formatters"] = {"json": {"()": "cms.jsonlog.JsonFormatter"}}
LOGGING["handlers"]["console"].update({"formatter": "json", "stream": "ext://sys.stdout"})
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # lockouts, not every failed attempt
