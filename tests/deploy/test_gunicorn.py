"""The CMS host and a search node under gunicorn with production settings, over real HTTP as nginx would call them
(loopback, X-Forwarded-Proto and X-Forwarded-For set): admin static files from WhiteNoise with DEBUG off,
security headers, rate limits shared by the workers, the login lockout, and JSON logs with nothing personal."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from .conftest import REPO_ROOT

pytestmark = pytest.mark.slow
CMS_HOST = "cms.dangshi.example.cn"
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "cms.wsgi"]


@dataclass
class Server:
    port: int
    log: Path
    process: subprocess.Popen
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: dict | None = None, client: str = "198.51.100.9", https: bool = True,
                **headers: str) -> tuple[int, dict[str, str], str]:
        """One request as nginx forwards it; cookies kept by hand (they are Secure, and this is loopback HTTP)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Host": CMS_HOST, "X-Forwarded-For": client, **headers}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{CMS_HOST}"})
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def log_lines(self) -> list[str]:
        return [line for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_this_run() -> str:
    """The URL of the test database this run created, for the server processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def start(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2"}
    process = subprocess.Popen(GUNICORN, cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    server = Server(port, log, process)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        try:
            server.request("GET", "/api/hotwords/")
            return server
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError(f"gunicorn did not answer in 180 s:\n{log.read_text(encoding='utf-8')}")


def stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(30)


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, production_env, tmp_path_factory):
    """The CMS host and one search node on the test database, admin static files collected into a fresh folder."""
    var = tmp_path_factory.mktemp("var")
    env = production_env(var, DATABASE_URL=database_url_of_this_run())
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO_ROOT, env=env, check=True, timeout=300)
    cms = start(env, var / "cms.log")
    try:
        search = start({**env, "DJANGO_SETTINGS_MODULE": "cms.settings.search"}, var / "search.log")
    except AssertionError:
        stop(cms)
        raise
    yield {"cms": cms, "search": search}
    stop(search)
    stop(cms)


def test_admin_pages_and_their_static_files_are_served_with_debug_off(servers):
    cms = servers["cms"]
    status, headers, _ = cms.request("GET", "/admin/login/", https=False)
    assert status == 301 and headers["location"] == f"https://{CMS_HOST}/admin/login/"
    status, headers, html = cms.request("GET", "/admin/login/")
    assert status == 200 and "登录" in html
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin" and "frame-ancestors 'self'" in headers["content-security-policy"]
    assert "; Secure" in headers["set-cookie"] and "HttpOnly" not in headers["set-cookie"]  # csrftoken
    css = re.search(r'href="(/static/wagtailadmin/css/core\.[0-9a-f]{12}\.css)"', html).group(1)  # a hashed name
    status, headers, body = cms.request("GET", css, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-type"].startswith("text/css") and headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]
    assert cms.request("GET", "/static/wagtailadmin/css/no-such-file.css")[0] == 404


def test_the_search_limit_is_shared_by_every_worker(servers):
    """120 searches a minute per address (production's rule): the 121st in one window is refused, whichever
    worker answers. The window is a fixed minute, so a run that crosses a minute boundary is repeated."""
    cms = servers["cms"]
    for attempt in range(3):
        client = f"203.0.113.{60 + attempt}"
        started = time.time()
        answers = []
        while len(answers) < 242 and (not answers or answers[-1][0] != 429):
            answers.append(cms.request("GET", "/api/search/?" + urlencode({"q": "延安精神"}), client=client))
        if int(started // 60) == int(time.time() // 60):
            break
    assert [status for status, _, _ in answers[:120]] == [503] * 120  # answered (no index here), not limited
    status, headers, body = answers[120]
    assert len(answers) == 121 and status == 429
    assert json.loads(body)["error"].startswith("您的操作太频繁了") and 1 <= int(headers["retry-after"]) <= 60
    assert cms.request("GET", "/api/search/?q=%E5%BB%B6%E5%AE%89", client="203.0.113.99")[0] == 503  # a neighbour


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the root page the migrations made
def test_wrong_passwords_lock_the_login_with_a_chinese_page(servers):
    cms = servers["cms"]
    get_user_model().objects.create_superuser("shenhe-2", "shenhe2@example.cn", "审核员的密码2021")

    def log_in(password: str) -> tuple[int, dict[str, str], str]:
        _status, _headers, form = cms.request("GET", "/admin/login/", client="198.51.100.50")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return cms.request("POST", "/admin/login/", {"csrfmiddlewaretoken": token, "username": "shenhe-2", "password": password},
                           client="198.51.100.50")

    assert [log_in(f"猜测{n}")[0] for n in range(5)] == [200, 200, 200, 200, 429]
    status, headers, html = log_in("审核员的密码2021")
    assert status == 429 and "登录失败次数过多" in html and headers["retry-after"] == "900"


def test_a_search_node_serves_search_and_nothing_else(servers):
    search = servers["search"]
    status, headers, html = search.request("GET", "/search/?q=%E5%9B%9B%E4%B8%AA%E8%87%AA%E4%BF%A1")
    assert status == 503 and "搜索" in html  # no index in this test
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and "strict-transport-security" in headers
    assert search.request("GET", "/admin/login/")[0] == 404
    assert search.request("GET", "/api/hotwords/")[0] == 200


def test_logs_are_json_lines_without_addresses_or_search_words(servers):
    cms = servers["cms"]
    cms.request("GET", "/search/?" + urlencode({"q": "张三丰的入党申请"}), client="203.0.113.77")
    cms.request("GET", "/no-such-page/", client="203.0.113.77")
    # gunicorn writes an access line after the response has gone, each worker on its own: wait for both rather than
    # race them (the search may finish after the 404 on another worker).
    deadline = time.monotonic() + 10
    while True:
        access = [json.loads(line) for line in cms.log_lines() if '"gunicorn.access"' in line]
        if {"/search/", "/no-such-page/"} <= {a["path"] for a in access} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for server in servers.values():
        lines = server.log_lines()
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
        text = "\n".join(lines)
        for personal in ("张三丰", "%E5%BC%A0", "203.0.113.", "198.51.100."):
            assert personal not in text
    assert {"method": "GET", "path": "/search/"}.items() <= next(a for a in access if a["path"] == "/search/").items()
    assert any(a["path"] == "/no-such-page/" and a["status_code"] == 404 for a in access)
