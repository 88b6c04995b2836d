"""Members' sessions on the public origin, apart from the editors' Django sessions.

Two cookies: `MEMBER_COOKIE` (HttpOnly, a random token whose SHA-256 is the MemberSession row) proves who the
member is; `MEMBER_FLAG_COOKIE` ("1", readable by scripts) only tells the static pages' script that someone is
logged in, so anonymous readers' browsers send no study beats at all. Neither is set for anonymous visitors.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Member, MemberSession

MEMBER_COOKIE = "dangshi_member"
MEMBER_FLAG_COOKIE = "dangshi_in"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_member(request: HttpRequest) -> Member | None:
    """The active member whose unexpired session the request's cookie names (one query), cached on the request."""
    if not hasattr(request, "_member"):
        token = request.COOKIES.get(MEMBER_COOKIE, "")
        member = None
        if 20 <= len(token) <= 100:
            session = (
                MemberSession.objects.select_related("member", "member__district")
                .filter(key_digest=_digest(token), expires_at__gt=timezone.now(), member__is_active=True)
                .first()
            )
            member = session.member if session else None
        request._member = member
    return request._member


def _cookie_options() -> dict:
    return {
        "max_age": int(timedelta(days=settings.MEMBER_SESSION_DAYS).total_seconds()),
        "secure": settings.SESSION_COOKIE_SECURE,
        "samesite": "Lax",
        "path": "/",
    }


def log_in(request: HttpRequest, response: HttpResponse, member: Member) -> None:
    """Start a session for `member` on `response` (a fresh token: nothing a visitor held before is kept)."""
    end_session(request, response)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    MemberSession.objects.create(
        key_digest=_digest(token), member=member, expires_at=now + timedelta(days=settings.MEMBER_SESSION_DAYS)
    )
    Member.objects.filter(pk=member.pk).update(last_login=now)
    response.set_cookie(MEMBER_COOKIE, token, httponly=True, **_cookie_options())
    response.set_cookie(MEMBER_FLAG_COOKIE, "1", httponly=False, **_cookie_options())
    request._member = member


def end_session(request: HttpRequest, response: HttpResponse) -> None:
    """Log out: the session row goes, both cookies are cleared."""
    token = request.COOKIES.get(MEMBER_COOKIE, "")
    if token:
        MemberSession.objects.filter(key_digest=_digest(token)).delete()
    for name in (MEMBER_COOKIE, MEMBER_FLAG_COOKIE):
        if name in request.COOKIES:
            response.delete_cookie(name, path="/", samesite="Lax")
    request._member = None


def same_origin(request: HttpRequest) -> bool:
    """Whether the request's Origin header is the public site's (or this host's own) origin.

    sendBeacon cannot send a CSRF token, so the members' JSON endpoints check Origin instead; browsers always
    send it on a cross-origin POST, and a request without one is refused.
    """
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        return False
    return _origin(origin) in _own_origins(request)


def same_site_post(request: HttpRequest) -> bool:
    """Whether a form POST comes from the site's own pages: by Origin, or by Referer when the browser sent no Origin.

    The static pages' forms (the check-in button) cannot carry a CSRF token; some older phone browsers send no
    Origin on a same-origin form POST but do send the Referer. A request with neither is refused.
    """
    if request.headers.get("Origin"):
        return same_origin(request)
    referer = request.headers.get("Referer", "")
    return bool(referer) and _origin(referer) in _own_origins(request)


def _own_origins(request: HttpRequest) -> set[str]:
    return {_origin(settings.PUBLIC_SITE_URL), _origin(request.build_absolute_uri("/"))}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
