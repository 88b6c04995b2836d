"""Password guessing on the admin login, through its HTTP views: after AXES_FAILURE_LIMIT wrong passwords a
username is refused from that address, even with the right password, with a Chinese page; others are not."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

PASSWORD = "南关区编辑的密码2021"
# Requests as nginx passes them on: from loopback, the client's address appended to X-Forwarded-For.
GUESSER = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.23"}
EDITOR = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.40"}


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user("nanguan-bianji", "bianji@example.cn", PASSWORD, is_superuser=True)


def log_in(client, password: str, username: str = "nanguan-bianji", **meta):
    return client.post("/admin/login/", {"username": username, "password": password}, **meta)


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_after_five_wrong_passwords_the_right_one_is_refused_with_a_chinese_page(client, editor):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        wrong = log_in(client, f"猜测{attempt}", **GUESSER)
        assert wrong.status_code == 200, attempt  # the form again, with its error
        assert "密码不匹配" in wrong.content.decode()
    fifth = log_in(client, "猜测5", **GUESSER)
    assert fifth.status_code == 429
    sixth = log_in(client, PASSWORD, **GUESSER)
    html = sixth.content.decode()
    assert sixth.status_code == 429 and not signed_in(client)
    assert "登录失败次数过多" in html and "15 分钟" in html and 'href="/admin/login/"' in html
    assert sixth["Retry-After"] == str(15 * 60) and sixth["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" in sixth["Content-Security-Policy"]  # the admin's policy, as on the form it replaces


def test_the_lockout_is_per_username_and_address_and_a_forged_header_does_not_escape_it(client, editor):
    for attempt in range(5):
        log_in(client, f"猜测{attempt}", **GUESSER)
    forged = {**GUESSER, "HTTP_X_FORWARDED_FOR": "203.0.113.40, 198.51.100.23"}  # nginx appends the real one
    assert log_in(client, PASSWORD, **forged).status_code == 429
    get_user_model().objects.create_user("kuancheng-bianji", "kc@example.cn", PASSWORD, is_superuser=True)
    assert log_in(client, PASSWORD, username="kuancheng-bianji", **GUESSER).status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, **EDITOR).status_code == 302  # the editor, from home
    assert signed_in(client)


def test_a_direct_connection_cannot_choose_its_address(client, editor):
    """X-Forwarded-For counts only from the trusted proxy: a peer elsewhere is its own address."""
    direct = {"REMOTE_ADDR": "198.51.100.23"}
    for attempt in range(5):
        log_in(client, f"猜测{attempt}", **direct)
    assert log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.40", **direct).status_code == 429


def test_a_right_password_before_the_limit_clears_the_count(client, editor):
    for attempt in range(4):
        log_in(client, f"猜测{attempt}", **EDITOR)
    assert log_in(client, PASSWORD, **EDITOR).status_code == 302
    client.logout()
    for attempt in range(4):
        assert log_in(client, f"又错了{attempt}", **EDITOR).status_code == 200
    assert log_in(client, PASSWORD, **EDITOR).status_code == 302
