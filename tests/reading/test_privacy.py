"""Reader pages are as private as their document: a restricted collection, a district-only or unpublished book →
no `reading` in the API, an empty reader_pages/ listing and 404 for its /media/reader/… files (editors still get them)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from wagtail.models import Collection, CollectionViewRestriction

from content_models.models import EBookPage
from reading.models import ReaderPage


def make_private(book: EBookPage, how: str) -> None:
    if how == "restricted collection":
        internal = Collection.get_first_root_node().add_child(name="党员内部资料")
        CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
        document = book.document
        document.collection = internal
        document.save()
    elif how == "district-only book":
        book.district_only = True
        book.save_revision().publish()
    elif how == "unpublished book":
        book.unpublish()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["restricted collection", "district-only book", "unpublished book"])
def test_a_private_books_reader_pages_are_not_served(client, tiny_catalogue, how):
    book = EBookPage.objects.get(slug="ebook-0001")
    document_id = book.document_id
    urls = ["/media/" + name for page in ReaderPage.objects.filter(document_id=document_id) for name in page.file_names()]
    assert len(urls) == 16 and all(client.get(url).status_code == 200 for url in urls[:2])
    listing = client.get("/api/v2/reader_pages/", {"document": document_id}).json()
    assert listing["meta"]["total_count"] == 8

    make_private(EBookPage.objects.get(pk=book.pk), how)

    assert client.get("/api/v2/reader_pages/", {"document": document_id, "limit": 500}).json() == {
        "meta": {"total_count": 0, "revision": ""}, "items": []}
    assert all(client.get(url).status_code == 404 for url in urls)
    books = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "fields": "*"}).json()["items"]
    for item in books:
        assert item["reading"] is None or item["reading"]["document_id"] != document_id
    cheap = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "fields": "_,id,reading_revision"}).json()
    assert book.pk not in {row["id"] for row in cheap["items"] if row["reading_revision"]}

    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw"))
    answer = editor.get(urls[0])
    assert answer.status_code == 200 and answer["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_reader_pages_endpoint_rejects_bad_parameters_and_has_no_detail_view(client, tiny_catalogue):
    assert client.get("/api/v2/reader_pages/").status_code == 400
    assert client.get("/api/v2/reader_pages/", {"document": "一"}).status_code == 400
    assert client.get("/api/v2/reader_pages/", {"document": 1, "limit": 501}).status_code == 400
    assert client.get("/api/v2/reader_pages/1/").status_code == 404
    assert client.get("/api/v2/reader_pages/", {"document": 999999}).json()["meta"]["total_count"] == 0
    document_id = EBookPage.objects.get(slug="ebook-0001").document_id
    second = client.get("/api/v2/reader_pages/", {"document": document_id, "offset": 2, "limit": 3}).json()
    assert [page["number"] for page in second["items"]] == [3, 4, 5] and second["meta"]["total_count"] == 8
