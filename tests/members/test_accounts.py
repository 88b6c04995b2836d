"""Members' login, lockout, logout and registration through HTTP, as a phone's browser (no JavaScript) does them."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from content_models.taxonomy import District
from members.demo import create_demo_member
from members.models import Community, LoginFailure, Member
from members.sessions import MEMBER_COOKIE, MEMBER_FLAG_COOKIE


@pytest.fixture
def demo_member(db) -> Member:
    """The demo member as seed_demo --users makes it, without seeding the whole catalogue (seeded once below)."""
    District.objects.create(name="南关区", slug="nanguan", order=1)
    return create_demo_member()[0]


def log_in(client, phone="13900000001", password="dangshi-demo-2021", **extra):
    return client.post("/me/login/", {"phone": phone, "password": password, **extra})


def test_login_form_is_a_plain_form_with_big_numeric_field_and_the_community_hint(client, db):
    response = client.get("/me/login/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert 'method="post"' in html and 'name="csrfmiddlewaretoken"' in html and 'inputmode="numeric"' in html
    assert 'autocomplete="current-password"' in html and "忘记密码请联系社区" in html


def test_demo_member_logs_in_after_seed_demo_users_and_gets_both_cookies(client, tiny_catalogue):
    response = log_in(client, phone="139-0000-0001")
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert response.cookies[MEMBER_COOKIE]["httponly"] and response.cookies[MEMBER_FLAG_COOKIE].value == "1"
    assert client.get("/api/me/").json()["name"] == "王建国"


def test_seed_demo_users_prints_the_demo_member_and_runs_again_without_a_second(tiny_catalogue, capsys):
    call_command("seed_demo", "--scale", "tiny", "--users")
    assert "演示党员：13900000001 / dangshi-demo-2021（南关区）" in capsys.readouterr().out
    assert Member.objects.filter(phone="13900000001").count() == 1
    assert Community.objects.filter(name="全安街道民康社区", district__name="南关区").count() == 1


def test_wrong_number_or_password_gives_one_message_that_does_not_say_which(client, demo_member):
    wrong_password = log_in(client, password="dangshi-demo-2020")
    unknown_number = log_in(client, phone="13712345678")
    for response in (wrong_password, unknown_number):
        assert response.status_code == 200 and "手机号或密码不正确" in response.content.decode()
        assert MEMBER_COOKIE not in response.cookies
    assert "不是有效的手机号" in log_in(client, phone="12345").content.decode()


def test_lockout_refuses_even_the_right_password_and_keeps_no_phone_number(client, demo_member, settings):
    settings.MEMBER_LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, password="不对的密码")
    assert not LoginFailure.objects.filter(phone_digest__contains="13900000001").exists()
    locked = log_in(client)
    assert locked.status_code == 429 and "已暂停登录" in locked.content.decode() and MEMBER_COOKIE not in locked.cookies
    # The window passes: the failures are older than the lockout, pruned on the next try, and the password works.
    LoginFailure.objects.update(at=LoginFailure.objects.first().at.replace(year=2020))
    assert log_in(client).status_code == 302
    assert LoginFailure.objects.count() == 0


def test_success_clears_the_failures_of_the_number(client, demo_member, settings):
    settings.MEMBER_LOGIN_FAILURE_LIMIT = 3
    log_in(client, password="x")
    log_in(client, password="y")
    assert log_in(client).status_code == 302
    log_in(client, password="z")
    log_in(client, password="w")
    assert log_in(client).status_code == 302  # two, not four: the success in between cleared the first two


@pytest.mark.parametrize("next_url, expected", [
    ("/columns/sishi/?page=2", "/columns/sishi/?page=2"),
    ("//evil.example.cn/", "/me/"),
    ("https://evil.example.cn/", "/me/"),
    ("/\\evil.example.cn", "/me/"),
])
def test_next_goes_only_to_a_path_of_this_site(client, demo_member, next_url, expected):
    assert log_in(client, next=next_url)["Location"] == expected


def test_logout_is_post_only_and_ends_the_session(client, demo_member):
    log_in(client)
    assert client.get("/me/logout/").status_code == 405
    response = client.post("/me/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[MEMBER_COOKIE].value == "" and response.cookies[MEMBER_FLAG_COOKIE].value == ""
    assert client.get("/api/me/").status_code == 401


def test_the_forms_carry_a_working_csrf_token_and_logout_needs_it(demo_member):
    client = Client(enforce_csrf_checks=True)
    assert log_in(client).status_code == 403  # a POST without the form's token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/me/login/").content.decode())[1]
    assert log_in(client, csrfmiddlewaretoken=token).status_code == 302
    assert client.post("/me/logout/").status_code == 403 and client.get("/api/me/").status_code == 200
    assert client.post("/me/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/api/me/").status_code == 401


def register(client, **changes):
    data = {"name": "李秀兰", "phone": "13800001111", "code": "minkang2021",
            "password1": "hongqi-piaopiao", "password2": "hongqi-piaopiao", **changes}
    return client.post("/me/register/", data)


def test_register_with_a_valid_code_joins_its_community_and_logs_in(client, demo_member):
    response = register(client)
    assert response.status_code == 302 and response["Location"] == "/me/"
    member = Member.objects.get(phone="13800001111")
    assert (member.name, member.district.name, member.community.name) == ("李秀兰", "南关区", "全安街道民康社区")
    assert member.check_password("hongqi-piaopiao")
    assert client.get("/api/me/").json()["phone_masked"] == "138****1111"


def test_register_with_a_wrong_code_is_refused_and_keeps_what_was_typed(client, demo_member):
    response = register(client, code="WRONG123")
    html = response.content.decode()
    assert response.status_code == 200 and "邀请码不正确" in html and 'value="李秀兰"' in html
    assert not Member.objects.filter(phone="13800001111").exists()


def test_register_with_a_registered_number_says_so(client, demo_member):
    response = register(client, phone="13900000001")
    assert "这个手机号已经注册过了" in response.content.decode()
    assert Member.objects.get(phone="13900000001").name == "王建国"


def test_register_checks_the_passwords(client, demo_member):
    assert "两次输入的密码不一样" in register(client, password2="hongqi-piaopiao!").content.decode()
    assert "密码太短了，至少要 8 位" in register(client, password1="dang21", password2="dang21").content.decode()
    assert not Member.objects.filter(phone="13800001111").exists()


def test_registration_escapes_what_members_type(client, demo_member):
    html = register(client, name="<script>alert(1)</script>", code="X").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_an_expired_token_gets_a_chinese_page_in_the_theme_and_the_admin_keeps_djangos(demo_member):
    client = Client(enforce_csrf_checks=True)
    client.get("/me/login/")  # the cookie's token; the form's token below is from an older one
    expired = log_in(client, csrfmiddlewaretoken="x" * 64)
    html = expired.content.decode()
    assert expired.status_code == 403 and "页面已过期，请返回上一页刷新后再试。" in html
    assert "<title>" in html and 'name="robots" content="noindex"' in html and "CSRF verification failed" not in html
    assert expired["Cache-Control"] == "private, no-store"
    fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/me/login/").content.decode())[1]
    assert log_in(client, csrfmiddlewaretoken=fresh).status_code == 302  # going back and reloading works
    admin = client.post("/admin/login/", {"username": "editor", "password": "x"})
    assert admin.status_code == 403 and '<div id="explanation">' in admin.content.decode()  # Django's own page
    assert "页面已过期" not in admin.content.decode()
