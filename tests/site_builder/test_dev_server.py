"""The demo's one public origin over real HTTP: the build folder, the theme's 404, no way out of the folder,
the dynamic paths proxied to a live CMS, and every link of the built site and the search page answering."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from markupsafe import escape
from wagtail.images.models import Image
from wagtail.models import Collection

from content_models.models import EBookPage, LibraryDocument, NewsPage
from content_models.seeding import cover_image_bytes
from site_builder.dev_server import make_server
from tests.one_origin import one_origin, running

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
SECRET = "不该被看到的文件"


def fetch(base: str, target: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """(status, headers, body text) for a raw request target, sent exactly as written (no normalising client)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.msg, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def folder(tmp_path) -> Path:
    """A small built site, with a file beside it that no request may reach."""
    site = tmp_path / "site"
    files = {
        "index.html": "<h1>党史学习资源库</h1>",
        "404.html": "<h1>抱歉，没有找到这个页面</h1>",
        "books/7/index.html": "<h1>论持久战</h1>",
        "map/nanguan.geojson": '{"type": "FeatureCollection", "features": []}',
        "hot/yananjingshen/index.json": '["延安精神"]',
        "columns/sige-zixin/feed.xml": "<rss><channel><title>四个自信</title></channel></rss>",
        "sitemap.xml": "<urlset></urlset>",
        "robots.txt": "User-agent: *\n",
        ".hidden": SECRET,
        "books/empty/.keep": "",
    }
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    (site / "media/images").mkdir(parents=True)
    (site / "media/images/yanan.width-160.webp").write_bytes(WEBP)
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    return site


@pytest.fixture
def router(folder) -> Iterator[str]:
    """The router over the small site, its application down (nothing listens where it points)."""
    with running(make_server(folder, f"http://127.0.0.1:{free_port()}", port=0)) as url:
        yield url


def test_serves_index_pages_and_files_with_their_content_types(router):
    status, headers, body = fetch(router, "/books/7/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8") and "论持久战" in body
    assert fetch(router, "/")[2] == "<h1>党史学习资源库</h1>"
    expected = {
        "/media/images/yanan.width-160.webp": "image/webp",
        "/map/nanguan.geojson": "application/geo+json",
        "/hot/yananjingshen/index.json": "application/json",
        "/columns/sige-zixin/feed.xml": "application/xml; charset=utf-8",
        "/sitemap.xml": "application/xml; charset=utf-8",
        "/robots.txt": "text/plain; charset=utf-8",
    }
    assert {path: fetch(router, path)[1]["Content-Type"] for path in expected} == expected
    status, headers, body = fetch(router, "/books/7/", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len("<h1>论持久战</h1>".encode())), "")


def test_a_folder_without_its_slash_redirects_on_this_host(router):
    status, headers, _ = fetch(router, "/books/7?from=hot")
    assert (status, headers["Location"]) == (301, "/books/7/?from=hot")
    # A doubled slash must not turn into a protocol-relative redirect to a host named like a folder.
    assert fetch(router, "//books/7")[1]["Location"] == "/books/7/"


@pytest.mark.parametrize("path", ["/nothing/here/", "/books/8/", "/books/empty/", "/books/empty", "/.hidden", "/books/7/index.htm"])
def test_missing_files_and_folders_answer_the_themes_404_without_a_listing(router, path):
    status, headers, body = fetch(router, path)
    assert (status, headers["Content-Type"], body) == (404, "text/html; charset=utf-8", "<h1>抱歉，没有找到这个页面</h1>")


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/books/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/books/..%2f..%2fsecret.txt",
    "/media/%2e%2e/%2e%2e/secret.txt", "/search/../../secret.txt", "/books/7/..\\..\\..\\secret.txt", "/index.html%00.txt",
])
def test_no_request_leaves_the_folder(router, target):
    status, _, body = fetch(router, target)
    assert status == 404 and SECRET not in body


def test_the_static_site_refuses_to_be_posted_to(router):
    status, headers, body = fetch(router, "/books/7/", method="POST", body=b"x=1")
    assert (status, headers["Allow"]) == (405, "GET, HEAD") and "不支持这种请求" in body


def test_application_down_answers_a_clear_502_in_chinese(router):
    status, headers, body = fetch(router, "/search/?q=" + quote("延安精神"))
    assert (status, headers["Content-Type"]) == (502, "text/html; charset=utf-8")
    assert "服务暂时连不上" in body and "其他页面仍可正常浏览" in body
    status, headers, body = fetch(router, "/api/suggest/?q=yan")
    assert (status, headers["Content-Type"], json.loads(body)) == (502, "application/json; charset=utf-8", {"error": "服务暂时连不上"})
    # A document or an image not in the build goes to the application too, and gets the same answer.
    assert fetch(router, "/media/documents/lun-chijiuzhan.pdf")[0] == 502
    assert fetch(router, "/media/images/yanan.width-160.webp")[0] == 200


class EchoApplication(BaseHTTPRequestHandler):
    """Answers 201 with what it received as JSON, two cookies, and a chunked body (no length)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length).decode()}
        body = json.dumps(seen, ensure_ascii=False).encode()
        self.send_response(201, "Created")
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Set-Cookie", "first=1; Path=/")
        self.send_header("Set-Cookie", "second=2; Path=/")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (body[:7], body[7:]):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def router_to_echo(folder) -> Iterator[str]:
    with running(ThreadingHTTPServer(("127.0.0.1", 0), EchoApplication)) as app:
        with running(make_server(folder, app, port=0)) as url:
            yield url


def test_proxy_passes_host_status_cookies_and_a_streamed_body_and_sets_the_forwarding_headers(router_to_echo):
    target = "/api/search/?q=" + quote("延安精神")
    status, headers, body = fetch(router_to_echo, target, headers={
        "Host": "dangshi.example.cn", "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "User-Agent": "WeChat",
    })
    seen = json.loads(body)
    assert (status, seen["method"], seen["path"]) == (201, "GET", target)
    assert headers.get_all("Set-Cookie") == ["first=1; Path=/", "second=2; Path=/"]
    assert headers["Connection"] == "close" and "Transfer-Encoding" not in headers
    received = seen["headers"]
    assert (received["Host"], received["X-Forwarded-Host"], received["User-Agent"]) == ("dangshi.example.cn", "dangshi.example.cn", "WeChat")
    # The connection's own address comes last, after whatever the client claimed (as nginx's $proxy_add_x_forwarded_for).
    assert (received["X-Forwarded-For"], received["X-Real-IP"], received["X-Forwarded-Proto"]) == ("203.0.113.9, 127.0.0.1", "127.0.0.1", "http")


def test_proxy_forwards_a_posted_body(router_to_echo):
    form = "心得=学习延安精神".encode()
    status, _, body = fetch(router_to_echo, "/search/", method="POST", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 201 and json.loads(body)["body"] == form.decode()


# Against the live CMS: the tiny catalogue built and indexed, the router in front of both.

def add_a_download_and_a_body_image() -> None:
    """What editors add beyond the seed: a PDF on an e-book (its download button) and an image in a news body."""
    root = Collection.get_first_root_node()
    document = LibraryDocument(title="论持久战（全文）", collection=root)
    document.file.save("lun-chijiuzhan.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    book.document = document
    book.save_revision().publish()
    image = Image(title="延安宝塔山", collection=root)
    image.file = ImageFile(io.BytesIO(cover_image_bytes(5)), name="yanan-baotashan.png")
    image.save()
    news = NewsPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    news.body += f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="延安宝塔山"/>'
    news.save_revision().publish()


@pytest.fixture
def site(cms_api_url, tmp_path, settings) -> Iterator[str]:
    add_a_download_and_a_body_image()
    with one_origin(cms_api_url, tmp_path, settings) as url:
        yield url


LINK = re.compile(r'(?:href|src)="([^"]*)"|srcset="([^"]*)"')
FORM = re.compile(r'<form[^>]*\saction="([^"]*)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def form_submissions(html: str) -> set[str]:
    """Each form as a member sends it: its hidden fields, and 2 typed into a page-number box (the reader's jump)."""
    found = set()
    for action, body in FORM.findall(html):
        fields = [(name, value.replace("&amp;", "&")) for name, value in HIDDEN.findall(body)]
        fields += [("n", "2")] if 'name="n"' in body else []
        found.add(action.replace("&amp;", "&") + ("?" + urlencode(fields) if fields else ""))
    return found


def links_in(html: str) -> set[str]:
    found = set()
    for single, srcset in LINK.findall(html):
        found |= {single} if single else {candidate.split()[0] for candidate in srcset.split(",")}
    return {link.replace("&amp;", "&") for link in found if link != "data:,"}


def test_search_results_lead_to_the_items_pages_on_the_same_origin(site, live_server):
    status, _, html = fetch(site, "/search/?q=" + quote("延安精神"))
    assert status == 200
    assert 'id="q" name="q" type="search" value="延安精神"' in html  # the header box keeps the query
    assert urlsplit(live_server.url).netloc not in html
    assert all(link.startswith("/") and not link.startswith("//") for link in links_in(html)), links_in(html)

    status, _, body = fetch(site, "/api/search/?q=" + quote("延安精神"))
    hits = json.loads(body)["hits"]
    assert status == 200 and hits
    assert [hit["url"] for hit in hits] == re.findall(r'<a class="card" href="([^"]+)"', html)
    for hit in hits:
        status, _, page = fetch(site, hit["url"])
        # A hit inside a book reads 「《书名》第三章 …」 or 「《书名》第 37 页」: its reader page names the book and chapter.
        book_page = re.fullmatch(r"《(.+)》(第 \d+ 页|.+)", hit["title"]) if hit["type"] == "page" else None
        names = [book_page[1]] + ([] if book_page[2].startswith("第 ") else [book_page[2]]) if book_page else [hit["title"]]
        assert status == 200 and all(str(escape(name)) in page for name in names), hit["url"]


def test_every_link_of_the_built_site_and_the_search_page_answers_on_the_one_origin(site, tmp_path):
    pages = [path.read_text(encoding="utf-8") for path in (tmp_path / "site").rglob("*.html")]
    pages.append(fetch(site, "/search/?q=" + quote("延安精神"))[2])
    links = {link for html in pages for link in links_in(html) if link.startswith("/") and not link.startswith("//")}
    # Covers come from the build folder; documents and images in rich text from the CMS's guarded /media/ view.
    built = {link for link in links if (tmp_path / "site" / link.lstrip("/")).is_file()}
    assert any(link.startswith("/media/images/") for link in built)
    assert any(link.startswith("/media/images/") and link.endswith(".width-800.png") for link in links - built)
    assert any(link.startswith("/media/documents/") for link in links - built)
    assert any(link.startswith("/search/?q=") for link in links)
    # The members' paths (the footer's 我的学习档案, search's 本县市区的专享内容) send an anonymous visitor to the login form.
    assert {"/me/", "/me/search/?q=" + quote("延安精神")} <= links

    def answers(link: str) -> int:
        """The status of `link`, or of the same-origin page its redirect names."""
        status, headers, _ = fetch(site, link)
        if status == 302 and headers["Location"].startswith("/") and not headers["Location"].startswith("//"):
            status = fetch(site, headers["Location"])[0]
        return status

    failed = {link: status for link in sorted(links) if (status := answers(link)) != 200}
    assert failed == {}
    # Forms (the header's search, the reader's 跳到第 __ 页) answer, or redirect to a page that does.
    submissions = {link for html in pages for link in form_submissions(html)}
    assert any(link.startswith("/search/read/?to=") for link in submissions)
    for link in sorted(submissions):
        assert answers(link) == 200, link
