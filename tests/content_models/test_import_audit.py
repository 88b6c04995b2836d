"""The site history report shows who imported, changed, published and unpublished what — pages and snippets."""

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook

from content_models.demo_data import isbn13
from content_models.importing.importer import run_import
from content_models.models import EBookPage
from content_models.seeding import ensure_districts


def sheet(title: str) -> bytes:
    workbook = Workbook()
    workbook.active.append(["书名", "ISBN", "栏目", "在线阅读地址"])
    workbook.active.append([title, isbn13(4242), "四史学习", "https://reader.example.cn/audit"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_import_unpublish_and_column_edit_appear_in_site_history_with_the_user(client):
    ensure_districts()
    user = get_user_model().objects.create_superuser("liming", "liming@example.cn", "pw", first_name="黎明")
    assert run_import("ebook", sheet("审计读本"), "a.xlsx", user).created == 1
    assert run_import("ebook", sheet("审计读本（第二版）"), "a.xlsx", user).updated == 1
    book = EBookPage.objects.get(title="审计读本（第二版）")

    client.force_login(user)
    assert client.post(f"/admin/pages/{book.pk}/unpublish/").status_code == 302
    book.refresh_from_db()
    assert not book.live
    response = client.post("/admin/snippets/content_models/column/add/",
                           {"name": "党史人物", "slug": "dangshi-renwu", "order": 8, "description": ""})
    assert response.status_code == 302

    history = client.get("/admin/reports/site-history/").content.decode()
    assert "审计读本（第二版）" in history and "党史人物" in history and "黎明" in history
    assert all(word in history for word in ("创建", "发布", "取消发布"))
    rows = client.get("/admin/reports/site-history/?action=wagtail.unpublish").content.decode()
    assert "审计读本（第二版）" in rows and "黎明" in rows
