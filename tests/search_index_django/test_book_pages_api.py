"""Search inside books through the real CMS API: the tiny demo's processed PDF is searchable to the page; made
district-only, the book takes its pages out of the index with the next item update."""

from __future__ import annotations

import json

from django.test import Client

from content_models.models import EBookPage
from search_index import sync


def search(q: str) -> dict:
    return json.loads(Client().get("/api/search/", {"q": q}).content)


def test_the_demo_pdf_is_searchable_to_the_page_and_leaves_with_its_book(built_index, settings):
    book = EBookPage.objects.get(slug="ebook-0001")
    hits = [h for h in search("望志路")["hits"] if h["type"] == "page"]
    assert hits and hits[0]["title"] == f"《{book.title}》第 2 页" and hits[0]["url"] == f"{book.site_path}read/2/"

    book.district_only = True
    book.save_revision().publish()
    sync.sync_item(settings.CMS_API_URL, built_index, book.pk)
    assert [h for h in search("望志路")["hits"] if h["type"] == "page"] == []
    assert not [h for h in search(book.title)["hits"] if h["url"].startswith(book.site_path)]
