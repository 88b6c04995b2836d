"""Search inside books through the search service's HTTP pages, and hot words that page text cannot plant."""

from __future__ import annotations

import pytest
from django.test import Client

from search_index import hotwords, sync
from search_index.models import HotWord
from tests.search_index.test_book_pages import ebook, rows
from tests.site_builder.fake_cms import FakeCMS


@pytest.fixture
def book_index(settings, tmp_path):
    """An index of one book read page by page (the stand-in CMS's API), as the search service sees it."""
    fake = FakeCMS()
    fake.items = {"ebooks": [ebook(12, "中国革命的道路", 31)]}
    fake.reader_pages = {31: rows("中国革命的道路", 40)}
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.HOT_WORD_MIN_VISITORS = 3
    settings.HOT_WORD_REQUIRE_APPROVAL = True
    sync.rebuild(fake.api_url, settings.SEARCH_INDEX_DIR, [])
    yield settings.SEARCH_INDEX_DIR
    fake.close()


def search_as(q: str, visitor: int) -> str:
    client = Client(REMOTE_ADDR=f"10.9.0.{visitor + 1}", HTTP_USER_AGENT=f"Mozilla/5.0 (Linux; Android 14; 党员{visitor}号)")
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_hit_inside_a_book_reads_book_and_page_and_links_to_the_reader_page(book_index):
    html = search_as("遵义会议", 0)
    assert '<a class="card" href="/books/12/read/37/">' in html
    assert "《中国革命的道路》第 37 页" in html and "书刊正文" in html and "<mark>遵义</mark>" in html


@pytest.mark.django_db
def test_words_found_only_inside_pages_never_become_hot_words(book_index):
    for visitor in range(4):
        search_as("遵义会议", visitor)  # only page 37's text has it
        search_as("中国革命的道路", visitor)  # the book's title
    hotwords.refresh(book_index)
    assert set(HotWord.objects.filter(status=HotWord.Status.PENDING).values_list("word", flat=True)) == {"中国革命的道路"}
