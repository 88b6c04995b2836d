"""Production: secrets and hosts come from the environment; PostgreSQL via DATABASE_URL."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Behind nginx, the media view decides and nginx sends the file: set MEDIA_ACCEL_REDIRECT_PREFIX to
# "/_protected_media/" with
#     location /media/ { proxy_pass http://cms; }
#     location /_protected_media/ { internal; alias /srv/dangshi/var/media/; }   # MEDIA_ROOT
# Never serve MEDIA_ROOT itself: files of restricted collections and district-only items live there too.
MEDIA_ACCEL_REDIRECT_PREFIX = os.environ.get("MEDIA_ACCEL_REDIRECT_PREFIX", "")
