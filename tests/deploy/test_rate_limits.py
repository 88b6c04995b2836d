"""Application rate limits through HTTP: a clear Chinese 429 (HTML for pages, JSON under /api/) with Retry-After,
per client address behind the trusted proxy, only on the rules' paths and methods."""

import json

import pytest

# The production rules, scaled down so a test needs a handful of requests.
RULES = [
    {"path": "/search/", "requests": 3, "seconds": 60},
    {"path": "/api/search/", "requests": 3, "seconds": 60},
    {"path": "/api/suggest/", "requests": 5, "seconds": 60},
    {"path": "/admin/login/", "method": "POST", "requests": 2, "seconds": 600},
]
MEMBER = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
NEIGHBOUR = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.8"}


@pytest.fixture
def limited(settings, db, tmp_path):
    settings.RATE_LIMITS = RULES
    settings.RATE_LIMIT_STORE = tmp_path / "ratelimit.sqlite3"
    return settings


def test_the_search_api_answers_429_json_in_chinese_with_retry_after(client, limited):
    answers = [client.get("/api/search/", {"q": "中国梦"}, **MEMBER) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [503] * 3  # served (no index in this test), not limited
    refused = answers[3]
    assert refused.status_code == 429 and refused["Content-Type"].startswith("application/json")
    body = json.loads(refused.content)
    assert body["error"].startswith("您的操作太频繁了") and 1 <= body["retry_after"] <= 60
    assert refused["Retry-After"] == str(body["retry_after"]) and refused["Cache-Control"] == "no-store"
    assert client.get("/api/search/", {"q": "中国梦"}, **NEIGHBOUR).status_code == 503  # someone else is not limited
    assert client.get("/api/hotwords/", **MEMBER).status_code != 429  # nor other paths


def test_the_search_page_answers_a_styled_chinese_page_under_the_strict_policy(client, limited):
    for _ in range(3):
        assert client.get("/search/", {"q": "四个自信"}, **MEMBER).status_code != 429
    refused = client.get("/search/", {"q": "四个自信"}, **MEMBER)
    html = refused.content.decode()
    assert refused.status_code == 429 and refused["Content-Type"].startswith("text/html")
    assert "<h1>请求过于频繁</h1>" in html and "秒后再试" in html and 'href="/"' in html and "<style>" in html
    assert "'unsafe-inline'" not in refused["Content-Security-Policy"]
    assert refused["X-Content-Type-Options"] == "nosniff"


def test_admin_login_posts_are_limited_but_the_form_is_not(client, limited):
    for name in ("甲", "乙"):
        assert client.post("/admin/login/", {"username": name, "password": "x"}, **MEMBER).status_code == 200
    refused = client.post("/admin/login/", {"username": "丙", "password": "x"}, **MEMBER)
    assert refused.status_code == 429 and "请求过于频繁" in refused.content.decode()
    assert 'href="/admin/login/"' in refused.content.decode() and int(refused["Retry-After"]) <= 600
    assert client.get("/admin/login/", **MEMBER).status_code == 200


def test_without_rules_nothing_is_limited(client, settings, db):
    settings.RATE_LIMITS = []
    assert all(client.get("/api/suggest/", {"q": "sg"}, **MEMBER).status_code == 200 for _ in range(20))
