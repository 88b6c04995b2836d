"""Search inside books: the text of every reader page is indexed on its own, fetched from the API's reader_pages/
(a stand-in CMS over HTTP shaped as the reading contract); a hit names the book and the page and links to that
reader page, and the book itself stays first when its title is searched."""

from __future__ import annotations

import pytest

from search_index import sync
from search_index.query import search
from tests.site_builder.fake_cms import FakeCMS

PAGE_TEXT = [
    "星星之火，可以燎原。1930年1月，毛泽东在古田写信给林彪，批评了党内一些同志对时局估量的悲观思想。",
    "红军第五次反“围剿”失利后，中央红军被迫实行战略转移，开始了举世闻名的长征。",
    "1935年1月，中共中央政治局在贵州遵义召开扩大会议，集中解决了当时具有决定意义的军事和组织问题。",
]


def ebook(item_id: int, title: str, document_id: int | None, pages: int = 40) -> dict:
    return {
        "id": item_id, "title": title, "item_type": "ebook", "site_path": f"/books/{item_id}/",
        "last_published_at": "2024-05-01T10:00:00+08:00", "columns": [{"slug": "sige-zixin", "name": "四个自信"}],
        "district": None, "tags": ["党史"], "summary": "一部党史读物。", "cover": None, "publisher": "人民出版社",
        "reading": {"document_id": document_id, "format": "pdf", "page_count": pages, "revision": "r1"} if document_id else None,
    }


def rows(title: str, count: int) -> list[dict]:
    """Every page has the book's title as a running head, as printed books do; page 37 tells of 遵义会议."""
    return [
        {"number": n, "title": "", "text": f"{title}\n{PAGE_TEXT[2] if n == 37 else PAGE_TEXT[n % 2]}\n— {n} —",
         "image": None, "image_small": None}
        for n in range(1, count + 1)
    ]


@pytest.fixture
def cms():
    fake = FakeCMS()
    yield fake
    fake.close()


def test_a_word_inside_a_book_finds_the_page_named_and_linked_by_book_and_page_number(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国革命的道路", 31), ebook(13, "长春老工业基地", None)]}
    cms.reader_pages = {31: rows("中国革命的道路", 40)}
    summary = sync.rebuild(cms.api_url, tmp_path, [])
    assert summary["pages"] == 40 and summary["documents"] == 2 + 40

    result = search(tmp_path, "遵义会议")
    hit = result.hits[0]
    assert result.total == 1 and hit.type == "page"
    assert hit.title == "《中国革命的道路》第 37 页" and hit.url == "/books/12/read/37/"
    assert "<mark>遵义</mark>" in hit.snippet_html


def test_a_title_search_puts_the_book_first_not_its_pages(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国革命的道路", 31), ebook(14, "星火燎原", 32, pages=3)]}
    cms.reader_pages = {31: rows("中国革命的道路", 40), 32: rows("星火燎原", 3)}
    sync.rebuild(cms.api_url, tmp_path, [])

    by_title = search(tmp_path, "中国革命的道路", per_page=5)
    assert by_title.hits[0].key == "ebook:12"
    assert [h.type for h in by_title.hits[1:]] == ["page"] * 4  # its pages follow: each has the title as running head
    spark = search(tmp_path, "星火燎原", per_page=5)
    assert spark.hits[0].key == "ebook:14"
    # A column's name finds books on that shelf, never their pages (pages carry no shelf names).
    shelf = search(tmp_path, "四个自信", per_page=50)
    assert shelf.total == 2 and {h.type for h in shelf.hits} == {"ebook"}


def test_pages_leave_the_index_with_the_book_and_never_enter_for_a_document_the_api_hides(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国革命的道路", 31)]}
    cms.reader_pages = {31: rows("中国革命的道路", 40)}
    sync.rebuild(cms.api_url, tmp_path, [])
    assert search(tmp_path, "遵义会议").total == 1

    # Unpublished (the API serves the book no more): one item update removes the book and every page of it.
    cms.items = {"ebooks": []}
    assert sync.sync_item(cms.api_url, tmp_path, 12)["deleted"] == 41
    assert search(tmp_path, "遵义会议").total == 0 and search(tmp_path, "中国革命的道路").total == 0

    # A book whose document the API does not serve (restricted collection): the book is indexed, its text is not.
    cms.items = {"ebooks": [ebook(12, "中国革命的道路", 31)]}
    cms.reader_pages = {}
    sync.sync_item(cms.api_url, tmp_path, 12)
    assert search(tmp_path, "中国革命的道路").hits[0].key == "ebook:12"
    assert search(tmp_path, "遵义会议").total == 0
