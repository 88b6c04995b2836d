"""The reader built from the real CMS API: the tiny demo's generated PDFs and EPUB, processed by the reading app, become
static reader pages; a book taken out of the public set loses them on the next incremental build."""

from __future__ import annotations

import gzip
import re

from content_models.models import EBookPage, PeriodicalPage
from site_builder.build import build_site
from site_builder.pages import SiteConfig

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="/search/", hot_words_source=None)
BUDGET_GZIPPED = 14 * 1024


def html(out, path: str) -> str:
    return (out / path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def test_the_demo_books_and_issue_are_readable_page_by_page_within_budget(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build_site(cms_api_url, out, config=CONFIG)
    pdf_book = EBookPage.objects.get(slug="ebook-0001")
    epub_book = EBookPage.objects.get(slug="ebook-0002")
    issue = PeriodicalPage.objects.get(slug="periodical-0001").issues.order_by("-year", "-number").first()

    pages = sorted(int(p.parent.name) for p in (out / pdf_book.site_path.lstrip("/") / "read").glob("[0-9]*/index.html"))
    assert pages == list(range(1, 9))
    first = html(out, f"{pdf_book.site_path}read/1/")
    image = re.search(r'<img class="page"[^>]+>', first).group(0)
    src = re.search(r'src="([^"]+)"', image).group(1)
    assert src.startswith("/media/reader/") and src.endswith(".webp") and " 360w, " in image and " 720w" in image
    text = re.search(r"data-read-aloud>(.*?)</div>", html(out, f"{pdf_book.site_path}read/2/"), re.S).group(1)
    assert len(re.sub(r"<[^>]+>", "", text).strip()) > 200  # the PDF's Chinese text, extracted by the worker
    # Printed lines joined back into paragraphs; the running head and the chapter title stand alone.
    assert "<p>中国共产党简史读本</p>" in text and "<p>第一章 开天辟地</p>" in text
    assert "<p>大会通过了党的第一个纲领，选举产生了党的中央领导机构，宣告中国共产党正式成立。中国产生了共产党，这是开天辟地的大事变。</p>" in text
    assert "开始阅读" in html(out, pdf_book.site_path) and "开始阅读" in html(out, issue.site_path)
    assert (out / issue.site_path.lstrip("/") / "read/4/index.html").is_file()

    chapter = html(out, f"{epub_book.site_path}read/1/")
    assert "<img class=\"page\"" not in chapter and "章" in chapter and "<h2>" in chapter

    for path in out.rglob("read/**/index.html"):
        assert len(gzip.compress(path.read_bytes(), 9)) <= BUDGET_GZIPPED, path


def test_a_book_made_district_only_or_unpublished_loses_its_reader_pages_on_the_next_build(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build_site(cms_api_url, out, config=CONFIG)
    pdf_book = EBookPage.objects.get(slug="ebook-0001")
    other = EBookPage.objects.get(slug="ebook-0004")
    assert (out / pdf_book.site_path.lstrip("/") / "read/8/index.html").is_file()

    pdf_book.district_only = True
    pdf_book.save_revision().publish()
    other.unpublish()
    result = build_site(cms_api_url, out, config=CONFIG)
    assert result.incremental
    assert not (out / pdf_book.site_path.lstrip("/")).exists() and not (out / other.site_path.lstrip("/")).exists()
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert pdf_book.title.encode() not in everything and b"/media/reader/" + str(pdf_book.document_id).encode() not in everything
