"""The reader pipeline through its public surface: the demo's generated books are processed into reader pages the
API lists, the page images are served while the document is public, and the command resumes and starts over."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from content_models.models import EBookPage, PeriodicalPage

API = "/api/v2/pages/"


def items(client, page_type: str, **params) -> list[dict]:
    response = client.get(API, {"type": page_type, "fields": "*", "limit": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()["items"]


def reader_pages(client, document_id: int, **params) -> dict:
    response = client.get("/api/v2/reader_pages/", {"document": document_id, **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_demo_books_have_reader_pages_with_images_and_chinese_text(client, tiny_catalogue):
    books = {item["title"]: item for item in items(client, "content_models.EBookPage")}
    history = books["中国共产党简史读本"]["reading"]
    assert history["format"] == "pdf" and history["page_count"] == 8 and len(history["revision"]) >= 16
    answer = reader_pages(client, history["document_id"], limit=500)
    assert answer["meta"]["total_count"] == 8
    pages = answer["items"]
    assert [page["number"] for page in pages] == list(range(1, 9))
    assert "中国共产党第一次全国代表大会在上海" in pages[1]["text"]
    image, small = pages[1]["image"], pages[1]["image_small"]
    assert (image["width"], small["width"]) == (720, 360) and image["height"] > 900
    assert image["url"].startswith("/media/reader/") and image["url"].endswith("720.webp")
    fetched = client.get(image["url"])
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/webp"
    body = b"".join(fetched.streaming_content)
    assert len(body) == image["bytes"] and image["bytes"] <= 60_000
    assert Image.open(io.BytesIO(body)).size == (720, image["height"])

    epub = books["延安精神读本"]["reading"]
    assert epub["format"] == "epub" and epub["page_count"] == 3
    chapters = reader_pages(client, epub["document_id"])["items"]
    assert [chapter["title"] for chapter in chapters] == ["第一章 宝塔山下", "第二章 南泥湾", "第三章 为人民服务"]
    assert "三五九旅开进南泥湾" in chapters[1]["text"] and "<p>" not in chapters[1]["text"]
    assert chapters[1]["image"] is None and chapters[1]["image_small"] is None


@pytest.mark.django_db
def test_periodical_issue_dict_carries_reading_and_items_a_reading_revision(client, tiny_catalogue):
    periodical = next(item for item in items(client, "content_models.PeriodicalPage") if item["meta"]["slug"] == "periodical-0001")
    issue = periodical["issues"][0]
    assert issue["reading"]["format"] == "pdf" and issue["reading"]["page_count"] == 4
    assert all(other["reading"] is None for other in periodical["issues"][1:])
    assert periodical["reading_revision"]
    cheap = client.get(API, {"type": "content_models.PeriodicalPage", "fields": "_,id,reading_revision"}).json()["items"]
    assert {row["id"]: row["reading_revision"] for row in cheap}[periodical["id"]] == periodical["reading_revision"]
    news = client.get(API, {"type": "content_models.NewsPage", "fields": "_,id,reading_revision"}).json()["items"]
    assert news and all(row["reading_revision"] == "" for row in news)
    text = reader_pages(client, issue["reading"]["document_id"])["items"][1]["text"]
    assert "三会一课" in text


@pytest.mark.django_db
def test_a_500_item_listing_resolves_readings_in_a_fixed_number_of_queries(client, tiny_catalogue):
    """Adding books does not add queries: readings are resolved for the whole API page at once."""
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            items(client, "content_models.EBookPage")
            items(client, "content_models.PeriodicalPage")
            client.get(API, {"type": "content_models.PeriodicalPage", "fields": "_,id,reading_revision"})
        return len(captured)

    count_queries()  # content types, sites and the like are cached by the first request
    before = count_queries()
    template = EBookPage.objects.get(slug="ebook-0001")
    section = template.get_parent()
    for n in range(5):
        book = EBookPage(title=f"中国共产党简史读本（第{n + 2}版）", slug=f"jianshi-{n}", document=template.document,
                         summary="再版。")
        section.add_child(instance=book)
        book.save_revision().publish()
    periodical = PeriodicalPage.objects.get(slug="periodical-0002")
    for issue in periodical.issues.all():
        issue.document = template.document
        issue.save()
    PeriodicalPage.objects.get(pk=periodical.pk).save_revision().publish()
    readings = [issue["reading"] for issue in items(client, "content_models.PeriodicalPage", slug="periodical-0002")[0]["issues"]]
    assert len(readings) >= 2 and all(reading and reading["page_count"] == 8 for reading in readings)
    assert count_queries() == before
