"""The page-by-page reader through the builder: items whose API dict has `reading` get static reader pages from the
reader_pages/ endpoint (a stand-in CMS over HTTP shaped as /work/notes' reading contract), fetched once per revision."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from site_builder.build import build_site
from site_builder.pages import SiteConfig

from .fake_cms import FakeCMS

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="/search/", hot_words_source=None)
BUDGET_GZIPPED = 14 * 1024
SENTENCES = [
    "1921年7月，中国共产党第一次全国代表大会在上海召开，后转移到浙江嘉兴南湖的一条游船上继续举行。",
    "大会通过了党的第一个纲领，选举产生了党的中央领导机构，宣告了中国共产党的正式成立。",
    "中国共产党的成立，是中国历史上开天辟地的大事变，深刻改变了近代以后中华民族发展的方向和进程。",
    "1935年1月，中共中央政治局在贵州遵义召开扩大会议，确立了毛泽东同志在党中央和红军的领导地位。",
    "遵义会议在最危急的关头挽救了党、挽救了红军、挽救了中国革命，是党的历史上一个生死攸关的转折点。",
]


def pdf_rows(document_id: int, count: int, marker: str = "") -> list[dict]:
    """Reader pages as the contract's endpoint answers them: text with printed line breaks, two WebP sizes."""
    rows = []
    for n in range(1, count + 1):
        sentence = SENTENCES[n % len(SENTENCES)]
        text = "\r\n".join([sentence[:20], sentence[20:40], sentence[40:]]) + f"\r\n{marker}第{n}页"
        rows.append({
            "number": n, "title": "", "text": text,
            "image": {"url": f"/media/reader/{document_id}/p{n}-abc123.720.webp", "width": 720, "height": 1018, "bytes": 41234},
            "image_small": {"url": f"/media/reader/{document_id}/p{n}-abc123.360.webp", "width": 360, "height": 509, "bytes": 15012},
        })
    return rows


def ebook(item_id: int, title: str, reading: dict | None, published: str = "2024-05-01T10:00:00+08:00") -> dict:
    return {
        "id": item_id, "title": title, "item_type": "ebook", "site_path": f"/books/{item_id}/",
        "last_published_at": published, "meta": {"first_published_at": published},
        "columns": [{"slug": "sige-zixin", "name": "四个自信"}], "district": None, "tags": ["建党"], "summary": "党史读物。",
        "cover": None, "related_ids": [], "authors": "编写组", "publisher": "人民出版社", "year": 2021, "page_count": 3,
        "document": {"url": f"/documents/{item_id}/book.pdf", "file_extension": "pdf", "file_size": 5_300_000},
        "reading": reading, "reading_revision": (reading or {}).get("revision", ""),
    }


def periodical(item_id: int, reading: dict | None) -> dict:
    published = "2024-06-01T10:00:00+08:00"
    return {
        "id": item_id, "title": "共产党员", "item_type": "periodical", "site_path": f"/periodicals/{item_id}/",
        "last_published_at": published, "meta": {"first_published_at": published},
        "columns": [{"slug": "sige-zixin", "name": "四个自信"}], "district": None, "tags": [], "summary": "", "cover": None,
        "related_ids": [], "reading_revision": (reading or {}).get("revision", ""),
        "issues": [{
            "year": 2021, "number": 7, "date": "2021-07-01", "site_path": f"/periodicals/{item_id}/2021-07/", "cover": None,
            "table_of_contents": "建党百年特刊", "document": {"url": "/documents/9/issue.pdf", "file_extension": "pdf", "file_size": 900_000},
            "reading": reading,
        }],
    }


def reading(document_id: int, pages: int, revision: str = "a1b2c3", kind: str = "pdf") -> dict:
    return {"document_id": document_id, "format": kind, "page_count": pages, "revision": revision}


@pytest.fixture
def cms():
    fake = FakeCMS()
    yield fake
    fake.close()


def page(out: Path, path: str) -> str:
    return (out / path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def reader_requests(cms: FakeCMS) -> list[str]:
    return [r for r in cms.requests if r.startswith("/api/v2/reader_pages/")]


def test_every_page_of_a_book_and_an_issue_gets_a_reader_page_with_image_text_and_buttons(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国共产党简史", reading(31, 12))], "periodicals": [periodical(40, reading(32, 2, "ff00"))]}
    cms.reader_pages = {31: pdf_rows(31, 12), 32: pdf_rows(32, 2)}
    out = tmp_path / "site"
    result = build_site(cms.api_url, out, config=CONFIG)

    for n in range(1, 13):
        assert (out / f"books/12/read/{n}/index.html").is_file()
    assert not (out / "books/12/read/13").exists()
    assert (out / "periodicals/40/2021-07/read/2/index.html").is_file()
    assert result.pages == sum(1 for _ in out.rglob("*.html"))

    html = page(out, "/books/12/read/2/")
    assert "中国共产党简史" in html and "第 2 / 12 页" in html
    image = re.search(r'<img class="page"[^>]+>', html).group(0)
    assert 'src="/media/reader/31/p2-abc123.720.webp"' in image
    assert 'srcset="/media/reader/31/p2-abc123.360.webp 360w, /media/reader/31/p2-abc123.720.webp 720w"' in image
    assert 'width="720" height="1018"' in image and 'sizes="360px"' in image and 'alt="《中国共产党简史》第 2 页' in image
    # The printed lines are joined back into one paragraph, inside the read-aloud container.
    text = re.search(r"<div class=\"prose page-text\" data-read-aloud>(.*?)</div>", html, re.S).group(1)
    assert f"<p>{SENTENCES[2]}</p>" in text
    assert 'href="/books/12/read/1/" rel="prev">‹ 上一页' in html and 'href="/books/12/read/3/" rel="next">下一页 ›' in html
    assert 'action="/search/read/"' in html and 'name="to" value="/books/12/read/"' in html and 'name="of" value="12"' in html
    assert 'href="/books/12/read/text/1/#p2"' in html
    assert "<script>" not in html and re.search(r'<script src="/assets/reader\.[0-9a-f]{12}\.js" defer></script>', html)
    script = re.search(r'src="(/assets/reader\.[0-9a-f]{12}\.js)"', html).group(1)
    assert b"localStorage" in (out / script.lstrip("/")).read_bytes()

    last = page(out, "/books/12/read/12/")
    assert 'rel="next"' not in last and "读完了，返回" in last

    # 文字版: five pages' text, no image at all.
    text_page = page(out, "/books/12/read/text/1/")
    assert "<img" not in text_page and "第 1–5 页" in text_page
    assert all(f'id="p{n}"' in text_page for n in range(1, 6)) and 'id="p6"' not in text_page
    assert 'href="/books/12/read/text/2/" rel="next"' in text_page
    assert (out / "books/12/read/text/3/index.html").is_file() and not (out / "books/12/read/text/4").exists()

    book = page(out, "/books/12/")
    assert '<a class="btn read" href="/books/12/read/1/">开始阅读</a>' in book
    assert 'data-continue="/books/12/read/" data-pages="12"' in book and "hidden>继续阅读</a>" in book
    assert "下载PDF（5.1 MB）" in book
    issue = page(out, "/periodicals/40/2021-07/")
    assert 'href="/periodicals/40/2021-07/read/1/">开始阅读</a>' in issue and "下载本期" in issue

    for path in ["/books/12/read/1/", "/books/12/read/12/", "/books/12/read/text/1/", "/periodicals/40/2021-07/read/1/"]:
        size = len(gzip.compress(page(out, path).encode(), 9))
        assert size <= BUDGET_GZIPPED, (path, size)
    sitemap = (out / "sitemap.xml").read_text()
    assert "/books/12/</loc>" in sitemap and "/read/" not in sitemap


def test_reader_pages_are_fetched_once_per_revision_and_removed_with_the_book(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国共产党简史", reading(31, 3)), ebook(13, "遵义会议", reading(33, 2, "0001"))]}
    cms.reader_pages = {31: pdf_rows(31, 3), 33: pdf_rows(33, 2)}
    out = tmp_path / "site"
    first = build_site(cms.api_url, out, config=CONFIG)
    assert first.fetched_documents == 2 and len(reader_requests(cms)) == 2

    cms.requests.clear()
    again = build_site(cms.api_url, out, config=CONFIG)
    assert again.incremental and again.fetched_documents == 0 and reader_requests(cms) == []
    assert not [p for p in again.written if "/read/" in p]

    # A re-rendered document: a new revision, refetched alone; its pages change, the other book's are not rewritten.
    cms.reader_pages[33] = pdf_rows(33, 2, marker="修订版")
    cms.items["ebooks"][1] = ebook(13, "遵义会议", reading(33, 2, "0002"), published="2024-05-02T10:00:00+08:00")
    cms.requests.clear()
    changed = build_site(cms.api_url, out, config=CONFIG)
    assert changed.fetched_documents == 1 and [r for r in reader_requests(cms) if "document=33" in r]
    assert "修订版第1页" in page(out, "/books/13/read/1/")
    assert not [p for p in changed.written if p.startswith("/books/12/read/")]
    assert len(list((tmp_path / "site.cache" / "reader").iterdir())) == 2  # the old revision's cache file is gone

    # Unpublished: the next (incremental) build removes every reader page of the book.
    cms.items["ebooks"] = cms.items["ebooks"][:1]
    gone = build_site(cms.api_url, out, config=CONFIG)
    assert gone.incremental and not (out / "books/13").exists()
    assert "/books/13/read/1/index.html" in gone.removed and "/books/13/read/text/1/index.html" in gone.removed
    assert (out / "books/12/read/3/index.html").is_file()
    # After all that, the same bytes as a full build from scratch.
    full = tmp_path / "full"
    build_site(cms.api_url, full, config=CONFIG, full=True)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert files == {p.relative_to(full).as_posix(): p.read_bytes() for p in full.rglob("*") if p.is_file()}


def test_a_document_the_api_does_not_serve_gets_no_reader_and_no_dead_link(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "内部学习资料", reading(31, 3))]}
    cms.reader_pages = {}  # reader_pages/?document=31 answers 404: made private after the item was read
    out = tmp_path / "site"
    build_site(cms.api_url, out, config=CONFIG)
    assert not (out / "books/12/read").exists()
    assert "开始阅读" not in page(out, "/books/12/") and "下载PDF" in page(out, "/books/12/")
    # Fixed at the CMS, the next build writes the reader without a republish of the book.
    cms.reader_pages = {31: pdf_rows(31, 3)}
    build_site(cms.api_url, out, config=CONFIG)
    assert (out / "books/12/read/3/index.html").is_file() and "开始阅读" in page(out, "/books/12/")


def test_epub_chapters_are_text_pages_titled_by_chapter_and_editor_text_is_escaped(cms, tmp_path):
    chapters = [
        {"number": 1, "title": "第一章 开天辟地", "text": SENTENCES[0] + "\n" + SENTENCES[1], "image": None, "image_small": None},
        {"number": 2, "title": "第二章 <b>转折</b>", "text": "<script>alert(1)</script>\n" + SENTENCES[3], "image": None, "image_small": None},
    ]
    cms.items = {"ebooks": [ebook(14, "党史故事", reading(35, 2, "e1", kind="epub"))]}
    cms.reader_pages = {35: chapters}
    out = tmp_path / "site"
    build_site(cms.api_url, out, config=CONFIG)
    first = page(out, "/books/14/read/1/")
    assert "<h2>第一章 开天辟地</h2>" in first and "第 1 / 2 章" in first and "<img" not in first
    assert f"<p>{SENTENCES[0]}</p>\n<p>{SENTENCES[1]}</p>" in first
    assert "下一章 ›" in first and "文字版" not in first and not (out / "books/14/read/text").exists()
    second = page(out, "/books/14/read/2/")
    assert "<script>alert" not in second and "&lt;script&gt;alert(1)&lt;/script&gt;" in second
    assert "&lt;b&gt;转折&lt;/b&gt;" in second


def test_one_document_read_by_two_books_is_fetched_once_and_both_get_reader_pages(cms, tmp_path):
    cms.items = {"ebooks": [ebook(12, "中国共产党简史", reading(31, 3)), ebook(15, "中国共产党简史（大字本）", reading(31, 3))]}
    cms.reader_pages = {31: pdf_rows(31, 3)}
    out = tmp_path / "site"
    result = build_site(cms.api_url, out, config=CONFIG)
    assert result.fetched_documents == 1 and len(reader_requests(cms)) == 1
    assert "中国共产党简史（大字本）" in page(out, "/books/15/read/3/") and (out / "books/12/read/3/index.html").is_file()


def test_a_long_epub_chapter_is_cut_into_parts_that_each_fit_the_budget(cms, tmp_path):
    long_text = "\n".join(SENTENCES[i % len(SENTENCES)] + f"（第{i + 1}段）" for i in range(400))  # ~20,000 characters
    chapters = [
        {"number": 1, "title": "第一章 开天辟地", "text": long_text, "image": None, "image_small": None},
        {"number": 2, "title": "第二章 转折", "text": SENTENCES[3], "image": None, "image_small": None},
    ]
    cms.items = {"ebooks": [ebook(16, "党史长篇", reading(36, 2, "e2", kind="epub"))]}
    cms.reader_pages = {36: chapters}
    out = tmp_path / "site"
    result = build_site(cms.api_url, out, config=CONFIG)
    parts = sorted(p.relative_to(out / "books/16/read").parent.as_posix() for p in (out / "books/16/read").rglob("index.html"))
    assert parts[:2] == ["1", "1/2"] and "2" in parts and len(parts) >= 5
    assert result.pages == sum(1 for _ in out.rglob("*.html"))
    text = ""
    for part in [p for p in parts if p.split("/")[0] == "1"]:
        html = page(out, f"/books/16/read/{part}/")
        assert len(gzip.compress(html.encode(), 9)) <= BUDGET_GZIPPED, part
        text += "".join(re.findall(r"<p>(.*?)</p>", html))
    assert all(f"（第{i + 1}段）" in text for i in range(400))  # nothing lost between the parts
    first, last_part = page(out, "/books/16/read/1/"), page(out, f"/books/16/read/{parts[len(parts) - 2]}/")
    assert 'href="/books/16/read/1/2/" rel="next">下一页 ›' in first and "（本章第 1 / " in first
    assert 'href="/books/16/read/2/" rel="next">下一章 ›' in last_part
    assert 'rel="prev">‹ 上一页' in last_part
    assert f'href="/books/16/read/{parts[len(parts) - 2]}/" rel="prev">‹ 上一章' in page(out, "/books/16/read/2/")
    # Unchanged, the next build renders nothing and keeps every part.
    again = build_site(cms.api_url, out, config=CONFIG)
    assert not [p for p in again.written if "/read/" in p] and not again.removed
