"""The nginx site (deploy/nginx/): both variants pass `nginx -t`, and Debian's nginx running the plain variant in front
of a stand-in application routes what site_builder/dev_server.py routes: DYNAMIC_PREFIXES to the application, the build
folder first for FALLBACK_PREFIXES, the editors' paths only on their host, MEDIA_ROOT only through X-Accel-Redirect,
the static site's headers and caching, and the Chinese 429 pages of its rate limits and 413 page of its body size caps."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from site_builder.dev_server import DYNAMIC_PREFIXES, FALLBACK_PREFIXES

from .conftest import REPO_ROOT

RENDER = [sys.executable, str(REPO_ROOT / "deploy" / "nginx" / "render.py"), str(REPO_ROOT / "deploy" / "nginx" / "nginx.env.example")]
SNIPPET = REPO_ROOT / "deploy" / "nginx" / "security_headers.conf"
NGINX_429_TEXT = "请稍等一分钟再试"
NGINX_413_TEXT = "您这次提交的文件太大，网站没有收下。"


def nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        reason = "Debian's nginx is not installed (make nginx)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}; on CI the nginx tests must run, not be skipped")
        pytest.skip(reason)
    return nginx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render(prefix: Path, *settings: str) -> subprocess.CompletedProcess:
    """deploy/nginx/render.py --standalone into `prefix`, with KEY=VALUE overrides."""
    command = [*RENDER, "--standalone", str(prefix), "--output", str(prefix / "nginx.conf")]
    for setting in settings:
        command += ["--set", setting]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def nginx_test(nginx: str, prefix: Path) -> subprocess.CompletedProcess:
    return subprocess.run([nginx, "-t", "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)


def snippet_headers() -> dict[str, str]:
    pairs = {}
    for line in SNIPPET.read_text(encoding="utf-8").splitlines():
        if line.startswith("add_header "):
            name, _, value = line.removeprefix("add_header ").partition(" ")
            pairs[name] = value.rsplit(" always;", 1)[0].strip('"')
    return pairs


def self_signed(folder: Path) -> list[str]:
    """A certificate for both host names in `folder`, as render.py settings."""
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dangshi.example.cn",
                           "-addext", "subjectAltName=DNS:dangshi.example.cn,DNS:cms.dangshi.example.cn",
                           "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")], capture_output=True, timeout=60)
    assert made.returncode == 0, made.stderr
    return [f"TLS_CERTIFICATE={folder / 'cert.pem'}", f"TLS_CERTIFICATE_KEY={folder / 'key.pem'}"]


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder nginx's unprivileged worker processes can read (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="dangshi-nginx-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class StandInApp(BaseHTTPRequestHandler):
    """Answers like the application: JSON naming the path and the forwarded headers; /media/ the way
    content_models.media does behind nginx (X-Accel-Redirect for a permitted file, 404 otherwise)."""

    protocol_version = "HTTP/1.1"
    seen: list[dict] = []

    def do_GET(self) -> None:
        StandInApp.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/media/"):
            if self.path == "/media/documents/permitted.pdf":
                self.answer(200, b"", {"X-Accel-Redirect": "/_protected_media/documents/permitted.pdf",
                                       "Content-Type": "application/pdf", "Cache-Control": "public, max-age=600"})
            else:
                self.answer(404, "没有这个文件。".encode(), {"Content-Type": "text/plain; charset=utf-8"})
            return
        body = json.dumps({"app": self.path}).encode()
        self.answer(200, body, {"Content-Type": "application/json", "Cache-Control": "public, max-age=60"})

    do_POST = do_GET

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


class StandInBucket(BaseHTTPRequestHandler):
    """A public-read bucket as site_builder/publish leaves it: text gzipped, each key's Cache-Control, 403 for a
    key it does not hold; it also tries to set a cookie, which must not reach members."""

    protocol_version = "HTTP/1.1"
    objects: dict[str, tuple[bytes, dict[str, str]]] = {}

    def do_GET(self) -> None:
        body, headers = self.objects.get(self.path, (b"<Error><Code>AccessDenied</Code></Error>", {"Content-Type": "application/xml"}))
        StandInApp.answer(self, 200 if self.path in self.objects else 403, body, {**headers, "Set-Cookie": "bucket=1"})

    log_message = StandInApp.log_message


def stored_page(html: str) -> tuple[bytes, dict[str, str]]:
    return gzip.compress(html.encode()), {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Cache-Control": "no-cache"}


@dataclass
class Running:
    public: int
    admin: int
    prefix: Path

    def request(self, path: str, port: int | None = None, method: str = "GET", headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port or self.public, timeout=30)
        try:
            connection.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port or self.public}", **(headers or {})})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


def start(nginx: str, prefix: Path, ports: list[int]) -> subprocess.Popen:
    process = subprocess.Popen([nginx, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}") from None
                time.sleep(0.05)
    return process


def write_files(files: dict[Path, str | bytes], root: Path) -> None:
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)


@contextlib.contextmanager
def serving(workdir: Path, *settings: str) -> Iterator[Running]:
    """The plain-HTTP variant on loopback in front of the stand-in application, with `settings` on top."""
    nginx = nginx_or_skip()
    app = ThreadingHTTPServer(("127.0.0.1", 0), StandInApp)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    public, admin = free_port(), free_port()
    rendered = render(workdir, "TLS=0", "SERVER_NAME=127.0.0.1", "ADMIN_SERVER_NAME=127.0.0.1",
                      f"PUBLIC_LISTEN=127.0.0.1:{public}", f"ADMIN_LISTEN=127.0.0.1:{admin}", "ADMIN_ALLOW=127.0.0.1",
                      f"MEDIA_ROOT={workdir / 'media'}", f"APP_UPSTREAM=127.0.0.1:{app.server_port}", *settings)
    assert rendered.returncode == 0, rendered.stderr
    StandInApp.seen = []
    process = start(nginx, workdir, [public, admin])
    try:
        yield Running(public, admin, workdir)
    finally:
        process.terminate()
        process.wait(20)
        app.shutdown()
        app.server_close()


MEDIA = {
    Path("media/documents/permitted.pdf"): "%PDF-1.4 公开文件",
    Path("media/original_images/private.png"): "内部资料",
}


@pytest.fixture
def site(workdir: Path) -> Iterator[Running]:
    """nginx serving a small build folder (and media folder), with low rate limits."""
    build = workdir / "site"
    write_files({
        build / "index.html": "<!doctype html><title>党史学习资源库</title><h1>党史学习资源库</h1>" + "<p>四个自信，中国梦。</p>" * 40,
        build / "404.html": "<h1>抱歉，没有找到这个页面</h1>",
        build / "news" / "38" / "index.html": "<h1>南关区开展党史学习教育专题宣讲</h1>",
        build / "theme" / "site.3f9a1c2b.css": "body{font-size:19px}",
        build / "map" / "nanguan.geojson": '{"type": "FeatureCollection", "features": []}' + " " * 300,
        build / "media" / "images" / "cover.width-160.format-webp.webp": "webp",
        build / "hot" / "yananjingshen" / "index.html": "<h1>延安精神</h1>",
        build / ".git" / "config": "secret",
        **{workdir / path: text for path, text in MEDIA.items()},
    }, workdir)
    with serving(workdir, f"SITE_ROOT={build}", "SEARCH_RATE=1r/m", "SEARCH_BURST=3", "LOGIN_RATE=1r/m", "LOGIN_BURST=2",
                 "ACTION_RATE=1r/m", "ACTION_BURST=2") as running:
        yield running


def test_bucket_variant_serves_the_published_keys_with_the_site_headers_and_falls_back_to_the_application(workdir):
    home = "<h1>党史学习资源库</h1>" + "<p>四个自信，中国梦。</p>" * 40
    StandInBucket.objects = {
        "/site/index.html": stored_page(home),
        "/site/news/38/index.html": stored_page("<h1>南关区开展党史学习教育专题宣讲</h1>"),
        "/site/404.html": stored_page("<h1>抱歉，没有找到这个页面</h1>"),
        "/site/media/images/cover.width-160.format-webp.webp": (b"webp", {"Content-Type": "image/webp", "Cache-Control": "public, max-age=86400"}),
        "/site/media/images/%E5%B0%81%E9%9D%A2.width-160.webp": (b"chinese", {"Content-Type": "image/webp"}),
    }
    write_files({workdir / path: text for path, text in MEDIA.items()}, workdir)
    bucket = ThreadingHTTPServer(("127.0.0.1", 0), StandInBucket)
    threading.Thread(target=bucket.serve_forever, daemon=True).start()
    try:
        with serving(workdir, f"SITE_BUCKET_URL=http://127.0.0.1:{bucket.server_port}/site/") as site:
            status, headers, body = site.request("/", headers={"Accept-Encoding": "gzip"})
            assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(body).decode() == home
            assert headers["cache-control"] == "no-cache" and "set-cookie" not in headers
            for name, value in snippet_headers().items():
                assert headers[name.lower()] == value, name
            status, headers, body = site.request("/news/38/")  # a client without gzip gets it unzipped
            assert status == 200 and "content-encoding" not in headers and "南关区" in body.decode()
            status, _, body = site.request("/news/99/")
            assert status == 404 and "抱歉，没有找到这个页面" in body.decode()
            status, headers, body = site.request("/media/images/cover.width-160.format-webp.webp")
            assert (status, body, headers["cache-control"]) == (200, b"webp", "public, max-age=86400")
            assert site.request("/media/images/%E5%B0%81%E9%9D%A2.width-160.webp")[2] == b"chinese"  # 封面: escaped again
            status, _, body = site.request("/media/documents/permitted.pdf")
            assert (status, body) == (200, "%PDF-1.4 公开文件".encode())
            assert StandInApp.seen[-1]["path"] == "/media/documents/permitted.pdf"
            status, _, body = site.request("/hot/zhongguomeng/")
            assert status == 200 and json.loads(body) == {"app": "/hot/zhongguomeng/"}
            assert site.request("/api/search/?q=a")[0] == 200
    finally:
        bucket.shutdown()
        bucket.server_close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain-loopback", "tls"])
def test_both_variants_pass_nginx_t(workdir, tls):
    nginx = nginx_or_skip()
    settings = ["TLS=0"]
    if tls:
        settings = ["TLS=1", *self_signed(workdir),
                    f"ACME_ROOT={workdir}", f"PUBLIC_LISTEN=127.0.0.1:{free_port()}", f"HTTP_LISTEN=127.0.0.1:{free_port()}"]
    rendered = render(workdir, *settings)
    assert rendered.returncode == 0, rendered.stderr
    tested = nginx_test(nginx, workdir)
    assert tested.returncode == 0, tested.stderr
    text = (workdir / "nginx.conf").read_text(encoding="utf-8")
    assert ("ssl http2" in text and "return 301 https://$host$request_uri;" in text) is tls
    assert "deny all;" in text and "allow 10.0.0.0/8;" in text  # the example's networks restrict the editors' host


def test_every_dynamic_prefix_reaches_the_application_with_the_forwarding_headers(site):
    for prefix in DYNAMIC_PREFIXES:
        status, headers, body = site.request(f"{prefix}?q=%E5%9B%9B%E4%B8%AA%E8%87%AA%E4%BF%A1", headers={"X-Forwarded-For": "6.6.6.6"})
        assert status == 200 and json.loads(body) == {"app": f"{prefix}?q=%E5%9B%9B%E4%B8%AA%E8%87%AA%E4%BF%A1"}, prefix
        seen = StandInApp.seen[-1]
        # Appended, so the client's own claim comes first and cms/client_ip.py takes the last entry.
        assert seen["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
        assert seen["x-forwarded-proto"] == "http" and seen["host"] == f"127.0.0.1:{site.public}"
        # The application sets its own security headers; nginx adds none of the static site's to it.
        assert "content-security-policy" not in headers and headers["cache-control"] == "public, max-age=60"


MEMBER_PREFIXES = ("/me/", "/api/me/", "/api/learning/", "/api/stats/")


def test_members_paths_go_to_the_application_never_the_search_nodes_and_their_forms_are_rate_limited(workdir):
    """Rendered with separate search nodes (no nginx needed): each dynamic prefix has its location, the members'
    ones (they write to the primary database) proxy to dangshi_app, and the login and registration POSTs count
    in a zone of their own."""
    rendered = render(workdir, "TLS=0", "SEARCH_UPSTREAM=127.0.0.1:8001 127.0.0.1:8002")
    assert rendered.returncode == 0, rendered.stderr
    text = (workdir / "nginx.conf").read_text(encoding="utf-8")
    public = text[:text.index("# The editors' host")]
    blocks = {path: body for path, body in re.findall(r"location (?:\^~|=) (\S+) \{(.*?)\n\s*\}", public, re.S)}
    assert set(MEMBER_PREFIXES) <= set(DYNAMIC_PREFIXES) and set(DYNAMIC_PREFIXES) <= set(blocks)
    for path in (*MEMBER_PREFIXES, "/me/login/", "/me/register/"):
        assert "proxy_pass http://dangshi_app;" in blocks[path] and "dangshi_search" not in blocks[path], path
    for path in ("/me/login/", "/me/register/"):
        assert "limit_req zone=dangshi_member_login " in blocks[path], path
    assert "limit_req_zone $dangshi_login_key zone=dangshi_member_login:" in text
    for path in ("/api/learning/", "/api/stats/"):  # beacons anyone can send: counted per address
        assert "limit_req zone=dangshi_beacon burst=60 nodelay;" in blocks[path], path
    assert "limit_req_zone $binary_remote_addr zone=dangshi_beacon:10m rate=5r/s;" in text
    assert "proxy_pass http://dangshi_search;" in blocks["/search/"]


def test_fallback_prefixes_try_the_build_first_then_the_application(site):
    assert FALLBACK_PREFIXES == ("/media/", "/hot/")
    status, headers, body = site.request("/media/images/cover.width-160.format-webp.webp")
    assert (status, body) == (200, b"webp") and headers["cache-control"] == "public, max-age=2592000"
    status, _, body = site.request("/hot/yananjingshen/")
    assert status == 200 and "延安精神" in body.decode()
    status, _, body = site.request("/hot/zhongguomeng/")
    assert status == 200 and json.loads(body) == {"app": "/hot/zhongguomeng/"}


def test_static_files_carry_the_security_headers_caching_and_compression(site):
    status, headers, _ = site.request("/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    for name, value in snippet_headers().items():
        assert headers[name.lower()] == value, name
    assert headers["cache-control"] == "no-cache" and headers["content-encoding"] == "gzip"
    brotli = (site.prefix / "nginx.conf").read_text(encoding="utf-8").count("brotli on;") > 0
    _, headers, _ = site.request("/", headers={"Accept-Encoding": "br, gzip"})
    assert headers["content-encoding"] == ("br" if brotli else "gzip")
    _, headers, _ = site.request("/map/nanguan.geojson", headers={"Accept-Encoding": "gzip"})
    assert headers["content-type"] == "application/geo+json; charset=utf-8" and headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "no-cache" and headers["x-frame-options"] == "DENY"
    _, headers, _ = site.request("/theme/site.3f9a1c2b.css")
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = site.request("/news/38")
    assert status == 301 and headers["location"] == "/news/38/"
    status, _, body = site.request("/news/99/")
    assert status == 404 and "抱歉，没有找到这个页面" in body.decode()
    assert site.request("/.git/config")[0] == 404


def test_editors_paths_answer_only_on_the_editors_host(site):
    for path in ("/admin/", "/admin/login/", "/api/v2/pages/", "/preview/", "/documents/3/a.pdf", "/static/wagtailadmin/x.css"):
        status, _, body = site.request(path)
        assert status == 404 and "抱歉，没有找到这个页面" in body.decode(), path
        status, _, body = site.request(path, port=site.admin)
        assert status == 200 and json.loads(body) == {"app": path}, path
    assert StandInApp.seen and not any(seen["path"].startswith("/admin") and seen["host"].endswith(f":{site.public}")
                                       for seen in StandInApp.seen)


def test_media_root_is_sent_only_after_the_application_permits_it(site):
    status, headers, body = site.request("/media/documents/permitted.pdf")
    assert (status, body) == (200, "%PDF-1.4 公开文件".encode()) and "x-accel-redirect" not in headers
    assert headers["content-type"] == "application/pdf" and headers["cache-control"] == "public, max-age=600"
    assert headers["x-content-type-options"] == "nosniff"
    assert site.request("/media/original_images/private.png")[0] == 404
    for port in (site.public, site.admin):
        assert site.request("/_protected_media/original_images/private.png", port=port)[0] == 404


def test_rate_limits_answer_chinese_429_pages(site):
    # SEARCH_RATE=1r/m with a burst of 3: the fifth search at once is refused, as HTML on /search/, JSON under /api/.
    statuses = [site.request("/search/?q=a")[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 200]
    status, headers, body = site.request("/search/?q=a")
    assert status == 429 and NGINX_429_TEXT in body.decode() and headers["retry-after"] == "60"
    assert headers["cache-control"] == "no-store" and "style-src 'sha256-" in headers["content-security-policy"]
    status, headers, body = site.request("/api/search/?q=a")
    assert status == 429 and NGINX_429_TEXT in json.loads(body)["error"] and headers["content-type"].startswith("application/json")
    # Logins: only POSTs count, on the editors' host.
    assert all(site.request("/admin/login/", port=site.admin)[0] == 200 for _ in range(5))
    posts = [site.request("/admin/login/", port=site.admin, method="POST", body=b"username=admin&password=x")[0] for _ in range(4)]
    assert posts == [200, 200, 200, 429]
    # Members' activity writes share one zone per address, POSTs only: reading a quiz's questions is never slowed,
    # answering, checking in and signing up are; a 心得's upload may be large, other members' bodies may not.
    assert all(site.request("/me/quiz/daily/")[0] == 200 for _ in range(5))
    writes = ["/me/quiz/daily/", "/me/checkin/", "/me/activities/12/signup", "/me/activities/12/reflection/"]
    assert [site.request(path, method="POST", body=b"a=1")[0] for path in writes] == [200, 200, 200, 429]
    big = b"x" * (2 * 1024 * 1024)
    assert site.request("/me/activities/12/reflection/", method="POST", body=big)[0] == 429  # still limited, not "too big"
    status, headers, body = site.request("/me/checkin/", method="POST", body=big)
    assert status == 413 and NGINX_413_TEXT in body.decode()  # Chinese, not nginx's English page
    assert headers["cache-control"] == "no-store" and "style-src 'sha256-" in headers["content-security-policy"]


def test_unknown_host_names_get_no_answer(site):
    with socket.create_connection(("127.0.0.1", site.public), timeout=10) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert connection.recv(100) == b""


def test_the_tls_variant_redirects_plain_http_and_serves_https(workdir):
    nginx = nginx_or_skip()
    certificate = self_signed(workdir)
    (workdir / "site").mkdir()
    (workdir / "site" / "index.html").write_text("<h1>党史学习资源库</h1>", encoding="utf-8")
    https, plain = free_port(), free_port()
    rendered = render(workdir, *certificate, f"PUBLIC_LISTEN=127.0.0.1:{https}", f"HTTP_LISTEN=127.0.0.1:{plain}", f"SITE_ROOT={workdir / 'site'}")
    assert rendered.returncode == 0, rendered.stderr
    process = start(nginx, workdir, [https, plain])
    try:
        connection = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
        connection.request("GET", "/news/38/?q=1", headers={"Host": "dangshi.example.cn"})
        response = connection.getresponse()
        assert response.status == 301 and response.getheader("Location") == "https://dangshi.example.cn/news/38/?q=1"
        # By name (SNI), as a browser asks: a bare address gets no TLS handshake at all.
        context = ssl.create_default_context(cafile=str(workdir / "cert.pem"))
        connection = http.client.HTTPSConnection("127.0.0.1", https, timeout=10)
        connection.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", https), timeout=10),
                                              server_hostname="dangshi.example.cn")
        connection.request("GET", "/", headers={"Host": "dangshi.example.cn"})
        response = connection.getresponse()
        assert response.status == 200 and "党史学习资源库" in response.read().decode()
        assert response.getheader("Strict-Transport-Security") == snippet_headers()["Strict-Transport-Security"]
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.parametrize("setting", [
    "SERVER_NAME=dangshi.example.cn; include /etc/shadow",
    "SITE_ROOT=relative/site",
    "ADMIN_ALLOW=10.0.0.0/8 everyone",
    "SEARCH_RATE=fast",
    "APP_UPSTREAM=127.0.0.1:8000}",
    "TLS_CERTIFICATE=",
    "NO_SUCH_SETTING=1",
    "SITE_BUCKET_URL=oss://dangshi-site/site",
])
def test_render_refuses_values_that_would_change_the_configuration(workdir, setting):
    rendered = render(workdir, setting)
    assert rendered.returncode == 2 and rendered.stderr.startswith("render.py: ") and setting.split("=")[0] in rendered.stderr
    assert not (workdir / "nginx.conf").exists()
