"""An item's page depends on the items it shows: when one of them leaves the public set, comes back or is
renamed, an incremental build rewrites every page that names it, exactly as a full build would."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from content_models.models import EBookPage, MapSitePage, NewsPage, SiteRelatedLink
from site_builder.build import build_site
from site_builder.pages import SiteConfig

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="https://cms.example.cn/search/", hot_words_source=None)


def build(api_url: str, out: Path, *, full: bool = False):
    return build_site(api_url, out, config=CONFIG, full=full)


def site_files(out: Path) -> dict[str, bytes]:
    return {"/" + p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def assert_same_as_full_build(api_url: str, out: Path, scratch: Path) -> None:
    build(api_url, scratch, full=True)
    incremental, full = site_files(out), site_files(scratch)
    assert incremental.keys() == full.keys()
    assert [path for path in full if incremental[path] != full[path]] == []


def page_text(out: Path, site_path: str) -> str:
    return (out / site_path.lstrip("/") / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def related(cms_api_url):
    """A public map site related to four public books, titled so each is easy to find in the output."""
    site = MapSitePage.objects.live().filter(district_only=False).order_by("pk").first()
    books = list(EBookPage.objects.live().filter(district_only=False).order_by("pk")[:4])
    SiteRelatedLink.objects.filter(page=site).delete()  # only this test's relations
    for n, book in enumerate(books):
        book.title = f"相关资源{'甲乙丙丁'[n]}：{book.title}"
        book.save_revision().publish()
        SiteRelatedLink.objects.create(page=site, related=book, sort_order=n)
    return site, books


def test_related_items_that_leave_the_public_set_vanish_from_the_page(cms_api_url, tmp_path, related):
    site, (renamed, district_only, unpublished, deleted) = related
    out = tmp_path / "site"
    build(cms_api_url, out)
    before = page_text(out, site.site_path)
    assert all(book.title in before for book in related[1])

    renamed.title = "相关资源甲：改名后的书名"
    renamed.save_revision().publish()
    district_only.district_only = True
    district_only.save_revision().publish()
    unpublished.unpublish()
    gone_title = deleted.title
    deleted.delete()

    result = build(cms_api_url, out)
    assert result.incremental
    text = page_text(out, site.site_path)
    assert "改名后的书名" in text
    for title in (district_only.title, unpublished.title, gone_title):
        assert title not in text
    every_byte = b"".join(site_files(out).values()).decode("utf-8", "replace")
    for title in (district_only.title, unpublished.title, gone_title):
        assert title not in every_byte
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_restricted_related_item_is_named_again_once_the_restriction_is_lifted(cms_api_url, tmp_path, related):
    site, (_, restricted, *_rest) = related
    restriction = PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.PASSWORD, password="内部")
    out = tmp_path / "site"
    build(cms_api_url, out)
    assert restricted.title not in page_text(out, site.site_path)

    restriction.delete()
    result = build(cms_api_url, out)
    assert result.incremental
    assert restricted.title in page_text(out, site.site_path)
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")

    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    build(cms_api_url, out)
    assert restricted.title not in page_text(out, site.site_path)
    assert not (out / restricted.site_path.lstrip("/")).exists()
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full2")


def test_a_link_in_a_news_body_to_an_item_that_went_private_loses_its_address(cms_api_url, tmp_path):
    book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    news = NewsPage.objects.live().filter(district_only=False).order_by("pk").first()
    news.body = f'<p>请阅读<a linktype="page" id="{book.pk}">这本学习读物</a>。</p>'
    news.save_revision().publish()
    out = tmp_path / "site"
    build(cms_api_url, out)
    link = f'href="{book.site_path}"'
    assert link in page_text(out, news.site_path)

    PageViewRestriction.objects.create(page=book, restriction_type=PageViewRestriction.LOGIN)
    build(cms_api_url, out)
    text = page_text(out, news.site_path)
    assert link not in text and "这本学习读物" in text
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_cover_whose_collection_becomes_restricted_leaves_every_page_on_the_next_build(cms_api_url, tmp_path):
    book = EBookPage.objects.live().public().filter(district_only=False, cover__isnull=False).order_by("pk").first()
    cover = book.cover
    stem = Path(cover.get_rendition("width-160|format-webp|webpquality-70").file.name).name.split(".")[0]
    out = tmp_path / "site"
    build(cms_api_url, out)
    assert stem in page_text(out, book.site_path)

    internal = Collection.get_first_root_node().add_child(name="内部封面")
    cover.collection = internal
    cover.save()
    CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    result = build(cms_api_url, out)
    assert result.full_reason == "files became private or public"
    assert [path for path, data in site_files(out).items() if stem in path or stem.encode() in data] == []
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_hot_word_page_names_only_items_of_this_build(cms_api_url, tmp_path):
    public = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    hidden = EBookPage.objects.filter(live=False).order_by("pk").first()  # as a search index a moment behind has it
    source = tmp_path / "hot.json"
    source.write_text(json.dumps({"hot_words": [{"word": "读本", "url": "/hot/duben/", "results": [
        {"title": public.title, "url": public.site_path, "type": "ebook", "cover": "", "snippet": "公开", "date": ""},
        {"title": hidden.title, "url": hidden.site_path, "type": "ebook", "cover": "", "snippet": "草稿", "date": ""},
    ]}]}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "site"
    build_site(cms_api_url, out, config=replace(CONFIG, hot_words_source=str(source)))
    hot = page_text(out, "/hot/duben/")
    assert public.title in hot and hidden.title not in hot and hidden.site_path not in hot
