"""The API client: paging, retries with backoff, and plain errors when the CMS is down or is not the CMS."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from site_builder.source import CMSClient, CMSUnavailable, media_path


class FakeCMS:
    """A tiny real HTTP server answering each GET with the next scripted (status, content type, body)."""

    def __init__(self, answers: list[tuple[int, str, str]]) -> None:
        self.answers = answers
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                fake.requests.append(self.path)
                status, content_type, body = fake.answers[min(len(fake.requests), len(fake.answers)) - 1]
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v2/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_cms():
    servers = []

    def start(answers):
        servers.append(FakeCMS(answers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def page(items, total):
    return (200, "application/json", json.dumps({"meta": {"total_count": total}, "items": items}))


def test_pages_through_a_listing_500_at_a_time(fake_cms):
    cms = fake_cms([page([{"id": i} for i in range(500)], 700), page([{"id": i} for i in range(500, 700)], 700)])
    items = CMSClient(cms.url, backoff=0).get_all("columns/")
    assert [item["id"] for item in items] == list(range(700))
    assert ["limit=500" in r for r in cms.requests] == [True, True]
    assert "offset=500" in cms.requests[1]


def test_server_errors_are_retried_then_succeed(fake_cms):
    cms = fake_cms([(503, "text/plain", "busy"), (502, "text/plain", "bad gateway"), page([{"id": 1}], 1)])
    assert CMSClient(cms.url, attempts=3, backoff=0.01).get_all("columns/") == [{"id": 1}]
    assert len(cms.requests) == 3


def test_a_cms_that_keeps_failing_gives_a_plain_error_after_every_attempt(fake_cms):
    cms = fake_cms([(500, "text/plain", "boom")])
    with pytest.raises(CMSUnavailable, match=r"not answering \(the server answered 500, 3 attempts\)"):
        CMSClient(cms.url, attempts=3, backoff=0.01).get_all("columns/")
    assert len(cms.requests) == 3


def test_a_cms_that_is_down_says_so_and_what_to_check():
    with pytest.raises(CMSUnavailable, match="could not connect.*Check that the CMS is running"):
        CMSClient("http://127.0.0.1:9/api/v2/", attempts=2, backoff=0.01).get_all("columns/")


def test_html_instead_of_json_is_reported_as_not_the_api(fake_cms):
    cms = fake_cms([(200, "text/html; charset=utf-8", "<!doctype html><title>登录</title>")])
    with pytest.raises(CMSUnavailable, match=r"did not return JSON \(it sent text/html"):
        CMSClient(cms.url, backoff=0).get_all("columns/")


def test_json_that_is_not_an_api_listing_is_rejected(fake_cms):
    cms = fake_cms([(200, "application/json", '{"detail": "hello"}')])
    with pytest.raises(CMSUnavailable, match="without an 'items' list"):
        CMSClient(cms.url, backoff=0).get_all("columns/")


def test_media_paths_cannot_escape_the_output_folder():
    assert media_path("/media/images/a.webp") == "/media/images/a.webp"
    assert media_path("https://cdn.example.cn/media/images/%E5%B0%81.webp") == "/media/images/封.webp"
    assert media_path("/media/../../etc/passwd") == "/media/etc/passwd"
