"""A news body the editor cannot read is a plain form error, and a stored body with unbalanced tags can still be edited.

Both go through the admin's HTTP views as a superuser; before the fix each answered 500.
"""

import html
import json
import re

import pytest
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.models import Column, NewsPage
from content_models.rich_text import UNREADABLE_MESSAGE

UNREADABLE_BODIES = [
    "<p>七一重要讲话精神</p>",  # HTML where the editor posts its JSON
    '{"blocks": [{"text": "没有类型的段落"}',  # truncated JSON
    '["不是编辑器内容"]',  # JSON, but not the editor's shape
    '{"blocks": "不是列表", "entityMap": {}}',
]
UNBALANCED_BODIES = {
    "<p>学习<b>党史</p><p>传承红色基因</p>": "传承红色基因",
    "<ul><li>第一条</ul></li><p>第二段": "第二段",
    "<h2>标题<p>标题里的段落</h2></p>": "标题里的段落",
}


def news_form(title: str, body: str) -> dict:
    form = nested_form_data({
        "title": title, "slug": "xuexi-dangshi", "date": "2024-07-01", "source": "南关区委组织部",
        "body": body, "summary": "", "tags": "", "comments": inline_formset([]),
    })
    form["columns"] = [str(Column.objects.first().pk)]
    return form


@pytest.fixture
def news(tiny_catalogue) -> NewsPage:
    return NewsPage.objects.live().public().filter(district_only=False).first()


@pytest.mark.django_db
def test_an_unreadable_body_is_a_form_error_not_a_server_error(admin_client_zh, news):
    title = news.title
    for body in UNREADABLE_BODIES:
        response = admin_client_zh.post(f"/admin/pages/{news.pk}/edit/", news_form("改过的标题", body))
        assert response.status_code == 200, body  # the form again, with the error
        assert UNREADABLE_MESSAGE in response.content.decode(), body
        news.refresh_from_db()
        assert news.title == title and news.get_latest_revision().content["title"] == title


def editor_value(response) -> dict:
    """The editor's content (Draft.js JSON) the edit form was rendered with."""
    field = re.search(r'<input[^>]*name="body"[^>]*>', response.content.decode()).group(0)
    return json.loads(html.unescape(re.search(r'value="([^"]*)"', field).group(1)))


@pytest.mark.django_db
def test_a_stored_body_with_unbalanced_tags_opens_in_the_editor_and_saves_again(admin_client_zh, news):
    for stored, text in UNBALANCED_BODIES.items():
        NewsPage.objects.filter(pk=news.pk).update(body=stored)
        news.refresh_from_db()
        news.save_revision()  # the edit view shows the latest revision: make it hold the broken body too
        response = admin_client_zh.get(f"/admin/pages/{news.pk}/edit/")
        assert response.status_code == 200, stored
        shown = editor_value(response)
        assert text in "".join(block["text"] for block in shown["blocks"]), stored
        saved = admin_client_zh.post(f"/admin/pages/{news.pk}/edit/", news_form("学习党史新闻", json.dumps(shown)))
        assert saved.status_code == 302, stored
        news.refresh_from_db()
        assert text in news.get_latest_revision().content["body"]
