"""The Content-Security-Policy in a real browser: Chromium reports no violation on the admin's busiest pages
(and their scripts really run), nor on the static site served with nginx's header snippet."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from content_models.models import NewsPage, VideoSeriesPage
from site_builder.build import build_site
from site_builder.pages import SiteConfig

SNIPPET = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "security_headers.conf"
PASSWORD = "审核员的密码2021"


def violations(chromium) -> list[str]:
    return [error for error in chromium.errors() if "Content Security Policy" in error or "Refused to" in error]


class SnippetHeadersHandler(SimpleHTTPRequestHandler):
    """A static file server sending deploy/nginx/security_headers.conf's headers, as nginx will."""

    headers_to_add = re.findall(r'^add_header (\S+) "([^"]*)" always;$', SNIPPET.read_text(encoding="utf-8"), re.M)

    def end_headers(self) -> None:
        for name, value in self.headers_to_add:
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site_with_nginx_headers(cms_api_url, tmp_path) -> Iterator[str]:
    build_site(cms_api_url, tmp_path / "site", config=SiteConfig(site_url="", search_url="/search/", hot_words_source=None))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SnippetHeadersHandler, directory=str(tmp_path / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_the_admin_runs_under_its_policy(chromium, cms_api_url, live_server):
    get_user_model().objects.create_superuser("shenhe", "shenhe@example.cn", PASSWORD)
    chromium.open(f"{live_server.url}/admin/login/", width=1280, height=900)
    chromium.evaluate(f"""document.querySelector('#id_username').value = 'shenhe';
        document.querySelector('#id_password').value = '{PASSWORD}';
        document.querySelector('form.login-form').submit()""")
    chromium.wait_for_event("Page.loadEventFired")
    assert chromium.evaluate("location.pathname") == "/admin/"
    news, series = NewsPage.objects.live().first(), VideoSeriesPage.objects.live().first()
    for path, ready in [
        ("/admin/", "!!window.wagtailConfig"),
        (f"/admin/pages/{news.pk}/edit/", "!!document.querySelector('.Draftail-Editor')"),  # rich text drawn by script
        (f"/admin/pages/{series.pk}/edit/", "!!document.querySelector('[data-w-formset-target], [data-controller]')"),
        ("/admin/images/", "!!document.querySelector('[data-controller]')"),
    ]:
        chromium.open(live_server.url + path, width=1280, height=900)
        assert chromium.evaluate(ready), path
        assert not violations(chromium), (path, violations(chromium))


@pytest.mark.browser
def test_the_static_site_runs_under_nginxs_policy(chromium, site_with_nginx_headers):
    for path in ["/", "/columns/shizheng-yaowen/", "/map/"]:
        chromium.open(site_with_nginx_headers + path)
        assert chromium.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18, path  # the inlined CSS applied
        assert not violations(chromium), (path, violations(chromium))
    chromium.open(f"{site_with_nginx_headers}/map/nanguan/")
    chromium.evaluate("document.querySelector('a[data-embed-map]').click()")  # the inlined map script runs
    assert chromium.evaluate("document.querySelector('iframe') && document.querySelector('iframe').src.startsWith('https://uri.amap.com/')")
    assert not violations(chromium)
