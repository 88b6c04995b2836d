"""Members' login, logout and self-registration on the public site, and `GET /api/me/`.

Wrong passwords are counted per number as LoginFailure rows keyed by an HMAC of the number (never the number),
so a number is locked for MEMBER_LOGIN_LOCKOUT_MINUTES after MEMBER_LOGIN_FAILURE_LIMIT failures, even for the
right password; the form never says whether the number or the password was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views import csrf
from django.views.decorators.http import require_http_methods

from search_index.views import json_response, render

from .forms import LoginForm, RegisterForm
from .models import LoginFailure, Member
from .sessions import current_member, end_session, log_in
from .summary import study_summary

WRONG_CREDENTIALS = "手机号或密码不正确。"
# Checked against when the number is unknown, so an unknown number costs as long as a wrong password.
_DUMMY_HASH = make_password("no member has this password")


def phone_digest(phone: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), phone.encode(), hashlib.sha256).hexdigest()


def safe_next(raw: str) -> str:
    """`?next=` when it is a path on this site ('/me/…'), else '/me/': never another host ('//x', '/\\x', 'http:')."""
    if raw.startswith("/") and not raw.startswith(("//", "/\\")) and not any(c in raw for c in "\r\n\t\\"):
        return raw
    return "/me/"


def member_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A members' page in the site's theme, never cached, with a CSRF token for its forms."""
    return render(template, {"csrf_token": get_token(request), "compact_header": True, **context}, status=status, max_age=None)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a members' form sent with an expired token gets a Chinese page in the theme (with a
    fresh token, so going back and reloading works); the admin keeps Django's own page."""
    if request.path.startswith("/admin/"):
        return csrf.csrf_failure(request, reason)
    return member_page(
        request, "me_base.html", {"title": "页面已过期", "error": "页面已过期，请返回上一页刷新后再试。"}, status=403
    )


def theme_not_found() -> HttpResponse:
    """The theme's 404 page, never cached: for what a member may not see, so nobody learns that it exists."""
    return render("404.html", {"title": "页面没有找到"}, status=404, max_age=None)


def login_redirect(next_path: str = "/me/") -> HttpResponseRedirect:
    """To the login form, coming back to `next_path` afterwards."""
    return HttpResponseRedirect("/me/login/?" + urlencode({"next": next_path}))


def _locked(digest: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.MEMBER_LOGIN_LOCKOUT_MINUTES)
    LoginFailure.objects.filter(at__lt=since).delete()  # prune old rows on the way
    return LoginFailure.objects.filter(phone_digest=digest, at__gte=since).count() >= settings.MEMBER_LOGIN_FAILURE_LIMIT


@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request.POST.get("next") or request.GET.get("next") or "")
    if request.method != "POST":
        if current_member(request):
            return HttpResponseRedirect(next_url)
        return member_page(request, "me_login.html", {"title": "党员登录", "form": LoginForm(), "next": next_url})
    form = LoginForm(request.POST)
    error, status = "", 200
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        digest = phone_digest(phone)
        if _locked(digest):
            minutes = settings.MEMBER_LOGIN_LOCKOUT_MINUTES
            error, status = f"这个手机号密码输错次数太多，已暂停登录，请 {minutes} 分钟后再试，或联系社区重置密码。", 429
        else:
            member = Member.objects.filter(phone=phone, is_active=True).first()
            if member and member.check_password(form.cleaned_data["password"]):
                LoginFailure.objects.filter(phone_digest=digest).delete()
                response = HttpResponseRedirect(next_url)
                log_in(request, response, member)
                return response
            if member is None:
                check_password(form.cleaned_data["password"], _DUMMY_HASH)
            LoginFailure.objects.create(phone_digest=digest, at=timezone.now())
            error = WRONG_CREDENTIALS
    return member_page(request, "me_login.html", {"title": "党员登录", "form": form, "next": next_url, "error": error}, status)


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    response = HttpResponseRedirect("/")
    end_session(request, response)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                member = form.save()
        except IntegrityError:  # the same number registered a moment ago in another request
            form.add_error("phone", "这个手机号已经注册过了，请直接登录；忘记密码请联系社区。")
        else:
            response = HttpResponseRedirect("/me/")
            log_in(request, response, member)
            return response
    return member_page(request, "me_register.html", {"title": "党员注册", "form": form})


def api_me(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    member = current_member(request)
    if member is None:
        return json_response({"error": "请先登录"}, max_age=None, status=401)
    return json_response(study_summary(member), max_age=None)
