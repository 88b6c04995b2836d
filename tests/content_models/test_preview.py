"""wagtail-headless-preview on Wagtail 8: the admin's preview hands out a token, the API returns the draft for it."""

import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from django.test import override_settings
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.models import EBookPage


def preview_token(client, book: EBookPage, title: str) -> dict:
    """Do what the admin's preview button does; return the client URL's query (content_type, token)."""
    form = nested_form_data({
        "title": title, "slug": book.slug, "summary": "草稿简介：尚未发布。", "authors": book.authors,
        "publisher": book.publisher, "year": book.year, "isbn": book.isbn, "page_count": book.page_count,
        "reader_url": book.reader_url, "tags": "", "comments": inline_formset([]),
    })
    form["columns"] = [str(c.pk) for c in book.columns.all()]
    url = f"/admin/pages/{book.pk}/edit/preview/"
    assert client.post(url, form).json()["is_valid"] is True
    response = client.get(url)
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == "/preview/"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


@pytest.mark.django_db
def test_preview_endpoint_returns_the_draft_for_a_valid_token(admin_client_zh, tiny_catalogue):
    book = EBookPage.objects.live().first()
    query = preview_token(admin_client_zh, book, "草稿：延安精神新编")
    assert query["content_type"] == "content_models.ebookpage"
    anonymous = admin_client_zh.__class__()  # the preview client needs no login, only the token
    draft = anonymous.get("/api/v2/page_preview/", query).json()
    assert draft["title"] == "草稿：延安精神新编" and draft["summary"] == "草稿简介：尚未发布。"
    assert draft["site_path"] == f"/books/{book.pk}/"
    # The draft stays a draft: the live API still shows the published title.
    assert anonymous.get(f"/api/v2/pages/{book.pk}/").json()["title"] == book.title


@pytest.mark.django_db
def test_preview_endpoint_refuses_forged_tokens_and_other_types(admin_client_zh, tiny_catalogue):
    book = EBookPage.objects.live().first()
    query = preview_token(admin_client_zh, book, "草稿：不应泄露的标题")
    forged = {**query, "token": query["token"][:-3] + "abc"}
    for bad in (forged, {**query, "token": "id=1:made-up:signature"}, {"content_type": query["content_type"]},
                {**query, "content_type": "content_models.newspage"}):
        response = admin_client_zh.get("/api/v2/page_preview/", bad)
        assert response.status_code == 404
        assert "不应泄露" not in response.content.decode()


@pytest.mark.django_db
def test_preview_token_expires_after_its_max_age(admin_client_zh, tiny_catalogue, monkeypatch):
    book = EBookPage.objects.live().first()
    query = preview_token(admin_client_zh, book, "草稿：过期后不应泄露的标题")
    signed_at = time.time()

    def travel(seconds: float) -> None:
        # Django's signer reads the clock through its own `time` module reference: move only that clock.
        monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: signed_at + seconds))

    with override_settings(PREVIEW_TOKEN_MAX_AGE=3600):
        travel(3600 - 60)
        response = admin_client_zh.get("/api/v2/page_preview/", query)
        assert response.status_code == 200 and response.json()["title"] == "草稿：过期后不应泄露的标题"
        travel(3600 + 60)
        response = admin_client_zh.get("/api/v2/page_preview/", query)
    assert response.status_code == 404 and "不应泄露" not in response.content.decode()


@pytest.mark.django_db
def test_admin_preview_renders_the_draft_with_the_sites_theme(admin_client_zh, tiny_catalogue):
    book = EBookPage.objects.live().first()
    query = preview_token(admin_client_zh, book, "草稿：四个自信新读本")
    response = admin_client_zh.__class__().get("/preview/", query)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    assert "草稿：四个自信新读本" in html and "尚未发布的草稿" in html
    # The same template as the live page: the static build's item page shares its skeleton.
    from site_builder.render import render_item_page

    live = render_item_page(admin_client_zh.get(f"/api/v2/pages/{book.pk}/").json())
    assert re.findall(r'class="([^"]+)"', live)[:5] == re.findall(r'class="([^"]+)"', html.replace(
        re.search(r'<p role="status".*?</p>', html).group(0), ""))[:5]
    forged = admin_client_zh.__class__().get("/preview/", {**query, "token": "forged"})
    assert forged.status_code == 404 and "草稿" not in forged.content.decode().replace("预览链接无效", "")
