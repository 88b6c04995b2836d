"""Content-Security-Policy: strict for members' pages, what Wagtail needs for the editors' paths.

The theme inlines its critical CSS (and the map page its tiny script). Rather than 'unsafe-inline',
the public policies allow exactly those bytes by their SHA-256 hash, computed from the theme files,
so the policy follows the theme. The dynamic pages get theirs from django-csp (settings
CONTENT_SECURITY_POLICY, ADMIN_CONTENT_SECURITY_POLICY); the static site's comes from nginx:
deploy/nginx/security_headers.conf is this module's output (`python -m cms.csp`), and a test fails
when the file and the theme disagree.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

THEME_STATIC = Path(__file__).resolve().parent.parent / "themes" / "default" / "static"
SNIPPET = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "security_headers.conf"
HSTS = "max-age=31536000; includeSubDomains; preload"  # production.py's defaults (DJANGO_HSTS_SECONDS)


def theme_hash(name: str) -> str:
    """The CSP source for a theme file inlined into pages, hashed as the pages carry it (read as text)."""
    text = (THEME_STATIC / name).read_text(encoding="utf-8")
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode('utf-8')).digest()).decode('ascii')}'"


# Search and members' pages: no inline code but the theme's CSS; covers and media from this origin.
PUBLIC_DIRECTIVES = {
    "default-src": [SELF],
    "style-src": [SELF, theme_hash("site.css")],
    "img-src": [SELF, "data:"],  # data: for the theme's empty favicon
    # blob: a voice 心得 recorded in the page, played back before it is sent; https: a district-only item's or
    # activity's video or live stream from its host, on /me/district/ (a media element runs no code).
    "media-src": [SELF, "blob:", "https:"],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
# The static pages add the map page's script, the 高德 map it loads (on request) in an iframe, and episodes'
# videos, which editors may link from a video host (a media element runs no code).
STATIC_SITE_DIRECTIVES = {
    **PUBLIC_DIRECTIVES,
    "script-src": [SELF, theme_hash("map.js")],
    "media-src": [SELF, "https:"],
    "frame-src": ["https://*.amap.com"],
}
# Wagtail's admin still prints inline <script> (inline panels, date pickers) and style attributes, so
# it needs 'unsafe-inline'; it is only served to signed-in editors. blob: for upload previews; the
# preview panel frames this origin. The draft preview (/preview/) renders the theme with a banner, and
# an episode's video from its host as the live page does.
ADMIN_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "media-src": [SELF, "blob:", "https:"],
    "font-src": [SELF, "data:"],
    "frame-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [SELF],
}


def header_value(directives: dict) -> str:
    """A policy as header text, directives in the order given (django-csp's own order varies per process)."""
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class PathPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with ADMIN_CONTENT_SECURITY_POLICY on the editors' path prefixes."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        admin = getattr(settings, "ADMIN_CONTENT_SECURITY_POLICY", None)
        if admin and not report_only and parts.config is None and request.path_info.startswith(tuple(admin["PATH_PREFIXES"])):
            parts.config = default_config(admin["DIRECTIVES"])
        return parts


def nginx_snippet() -> str:
    """deploy/nginx/security_headers.conf: the static site's headers, as nginx add_header lines."""
    headers = {
        "Content-Security-Policy": header_value(STATIC_SITE_DIRECTIVES),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        # geolocation for this origin only: the map list can sort red sites by the member's distance, on the phone.
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=()",
        "Strict-Transport-Security": HSTS,
    }
    lines = [
        "# Security headers of the static site on the public origin. Written by `python -m cms.csp > deploy/nginx/security_headers.conf`",
        "# (do not edit by hand: the policy allows the theme's inlined CSS and map script by their SHA-256 hashes,",
        "# so it changes with themes/default/static/; tests/deploy checks this file is current).",
        "# Include it in every server/location block that serves files itself: nginx drops inherited add_header",
        "# lines in a block that has its own. Not for the proxied dynamic paths: the application sets its own",
        "# (two CSP headers would both apply, and the admin's differs).",
    ]
    lines += [f'add_header {name} "{value}" always;' for name, value in headers.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(nginx_snippet(), end="")
