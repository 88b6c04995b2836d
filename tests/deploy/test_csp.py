"""Content-Security-Policy: nginx's header for the static site allows exactly the code the built pages inline;
the search pages get the strict policy, the admin what Wagtail needs, and the admin still works under it."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from content_models.models import SectionPage, VideoSeriesPage
from site_builder.build import build_site
from site_builder.pages import SiteConfig

from .conftest import REPO_ROOT

SNIPPET = REPO_ROOT / "deploy" / "nginx" / "security_headers.conf"
INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
# style="…" and onclick="…" in a tag: code a hash cannot allow without 'unsafe-hashes'.
ATTRIBUTE_CODE = re.compile(r"<[a-zA-Z][^>]*\s(?:style|on[a-z]+)\s*=", re.I)
OFF_SITE = re.compile(r"""<(?:script|link|img|iframe|object|embed)\b[^>]*\s(?:src|href|data)=["']?(?:https?:)?//""", re.I)
OFF_SITE_MEDIA = re.compile(r"""<(?:video|audio|source)\b[^>]*\ssrc=["']?https://""", re.I)


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def snippet_headers() -> dict[str, str]:
    return dict(re.findall(r'^add_header (\S+) "([^"]*)" always;$', SNIPPET.read_text(encoding="utf-8"), re.M))


def source_hash(code: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(code.encode('utf-8')).digest()).decode()}'"


def assert_inline_code_allowed(html: str, csp: dict[str, list[str]], where: str) -> tuple[int, int]:
    """Every inline <style> and <script> is allowed by its hash; no code in attributes; nothing fetched off-site."""
    styles, scripts = INLINE_STYLE.findall(html), INLINE_SCRIPT.findall(html)
    for style in styles:
        assert source_hash(style) in csp["style-src"], f"{where}: an inline <style> the policy refuses"
    for script in scripts:
        assert source_hash(script) in csp.get("script-src", csp["default-src"]), f"{where}: an inline <script> the policy refuses"
    assert not ATTRIBUTE_CODE.search(html), f"{where}: {ATTRIBUTE_CODE.search(html).group(0)}"
    assert not OFF_SITE.search(html), f"{where}: {OFF_SITE.search(html).group(0)}"
    if OFF_SITE_MEDIA.search(html):  # an episode's video on a video host
        assert "https:" in csp["media-src"], where
    return len(styles), len(scripts)


def test_the_nginx_snippet_is_what_cms_csp_writes_for_the_current_theme():
    written = subprocess.run([sys.executable, "-m", "cms.csp"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert written.stdout == SNIPPET.read_text(encoding="utf-8"), (
        "themes/default/static/ changed: run `python -m cms.csp > deploy/nginx/security_headers.conf`"
    )


def test_every_built_page_runs_under_the_static_sites_policy(cms_api_url, tmp_path):
    headers = snippet_headers()
    csp = policy(headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["style-src"] + csp["script-src"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    build_site(cms_api_url, tmp_path, config=SiteConfig(site_url="", search_url="/search/", hot_words_source=None))
    pages = sorted(tmp_path.rglob("*.html"))
    counts = [assert_inline_code_allowed(p.read_text(encoding="utf-8"), csp, p.name) for p in pages]
    assert len(pages) > 30 and all(styles == 1 for styles, _ in counts)
    assert any(scripts for _, scripts in counts)  # the map pages' script is among them


@pytest.mark.django_db
def test_search_pages_get_the_strict_policy_that_allows_their_inline_css(client):
    response = client.get("/search/", {"q": "延安精神"})  # no index built here: the theme's 503 page
    assert response.status_code == 503 and "搜索" in response.content.decode()
    csp = policy(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"] and "script-src" not in csp
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    styles, _scripts = assert_inline_code_allowed(response.content.decode(), csp, "/search/")
    assert styles == 1
    api = client.get("/api/suggest/", {"q": "yan"})
    assert policy(api["Content-Security-Policy"]) == csp


@pytest.mark.django_db
def test_the_admin_works_under_its_policy(client, tiny_catalogue):
    login = client.get("/admin/login/")
    assert "'unsafe-inline'" in policy(login["Content-Security-Policy"])["script-src"]
    get_user_model().objects.create_superuser("shenhe", "shenhe@example.cn", "审核员的密码2021")
    signed_in = client.post("/admin/login/", {"username": "shenhe", "password": "审核员的密码2021"})
    assert signed_in.status_code == 302
    series = VideoSeriesPage.objects.live().first()  # its editor has inline episode panels and date pickers
    section = SectionPage.objects.get(district__slug="nanguan")
    for path in ["/admin/", f"/admin/pages/{section.pk}/", f"/admin/pages/{series.pk}/edit/", "/admin/images/",
                 "/admin/documents/", "/admin/snippets/content_models/district/"]:
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, path
        csp = policy(response["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], path
        assert csp["frame-ancestors"] == ["'self'"] and "'unsafe-eval'" not in csp["script-src"], path
        assert not OFF_SITE.search(html), f"{path}: {OFF_SITE.search(html).group(0)}"  # gravatar, update check
        assert re.search(r'<script src="/static/wagtailadmin/js/', html), path
    edit = client.get(f"/admin/pages/{series.pk}/edit/").content.decode()
    assert INLINE_SCRIPT.search(edit)  # what 'unsafe-inline' is there for
