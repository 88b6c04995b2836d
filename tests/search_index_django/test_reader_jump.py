"""「跳到第 __ 页」 without JavaScript: the static reader's form asks /search/read/, which only ever redirects to a
reader page of this site."""

from __future__ import annotations

import pytest


@pytest.fixture
def jump(client, settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "no-index"

    def get(**params):
        return client.get("/search/read/", params)

    return get


@pytest.mark.django_db
def test_a_page_number_redirects_to_that_reader_page_clamped_to_the_book(jump):
    assert jump(to="/books/12/read/", n="37", of="180")["Location"] == "/books/12/read/37/"
    assert jump(to="/books/12/read/", n="999", of="180")["Location"] == "/books/12/read/180/"
    assert jump(to="/books/12/read/", n="0", of="180")["Location"] == "/books/12/read/1/"
    assert jump(to="/books/12/read/", n="３７", of="180")["Location"] == "/books/12/read/37/"
    assert jump(to="/periodicals/7/2021-03/read/", n=" 5 ", of="40")["Location"] == "/periodicals/7/2021-03/read/5/"
    response = jump(to="/books/12/read/", n="37", of="180")
    assert response.status_code == 302 and "public" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("target", [
    "https://evil.example/books/1/read/", "//evil.example/books/1/read/", "/books/1/read/../../admin/",
    "/books/1/", "/admin/", "/books/abc/read/", "/books/1/read/\\evil.example", "",
])
def test_nothing_but_a_reader_folder_of_this_site_is_a_target(jump, target):
    response = jump(to=target, n="3", of="10")
    assert response.status_code == 404 and "Location" not in response
    assert "没有找到" in response.content.decode()


@pytest.mark.django_db
def test_something_that_is_not_a_page_number_gets_the_form_again_in_plain_chinese(jump):
    response = jump(to="/books/12/read/", n="第三十页", of="180")
    html = response.content.decode()
    assert response.status_code == 400 and "Location" not in response
    assert "“第三十页”不是页码" in html and "1 到 180" in html and 'name="to" value="/books/12/read/"' in html
    escaped = jump(to="/books/12/read/", n="<script>x</script>").content.decode()
    assert "<script>x" not in escaped and "&lt;script&gt;x" in escaped
