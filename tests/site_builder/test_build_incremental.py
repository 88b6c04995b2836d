"""Incremental builds: after an edit, unpublish, delete, move or rename, only what changed is fetched and
rendered, and the folder ends up byte for byte what a full build of the same content writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from content_models.models import (
    Column,
    District,
    EBookPage,
    LibraryItemPage,
    MapSitePage,
    NewsPage,
    SectionPage,
    VideoSeriesPage,
)
from site_builder.build import build_site, cache_dir_for, journal_file_for
from site_builder.pages import SiteConfig
from site_builder.source import CMSClient, CMSUnavailable

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="https://cms.example.cn/search/", hot_words_source=None)
ITEM_PAGE = re.compile(r"^/(books|periodicals|videos|sites|news)/\d+/")


def build(api_url: str, out: Path, *, full: bool = False):
    return build_site(api_url, out, config=CONFIG, full=full)


def site_files(out: Path) -> dict[str, bytes]:
    return {"/" + p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def unpublished_changes(out: Path) -> set[str]:
    """The site paths the builds recorded for the next publish_changes()."""
    return set(json.loads(journal_file_for(out).read_text(encoding="utf-8"))["paths"])


def assert_same_as_full_build(api_url: str, out: Path, scratch: Path) -> None:
    """A full build from scratch of the same content gives exactly the same files."""
    fresh = build(api_url, scratch, full=True)
    assert not fresh.incremental
    incremental, full = site_files(out), site_files(scratch)
    assert incremental.keys() == full.keys()
    assert [path for path in full if incremental[path] != full[path]] == []


def test_nothing_changed_fetches_renders_and_writes_nothing(cms_api_url, tmp_path):
    first = build(cms_api_url, tmp_path / "site")
    assert not first.incremental and first.full_reason == "no earlier catalogue"
    images = [p for folder in ("media", "covers") for p in (tmp_path / "site" / folder).rglob("*.*")]  # downloaded, drawn
    assert first.rendered == first.pages and len(first.written) == first.files - len(images)
    caches = {"catalogue.json", "manifest.json", "publish-journal.json", "publish-digests.json"}
    assert not [p for p in (tmp_path / "site").rglob("*.json") if p.name in caches]  # beside the site, never in it
    assert (cache_dir_for(tmp_path / "site") / "catalogue.json").is_file()

    again = build(cms_api_url, tmp_path / "site")
    assert again.incremental and again.fetched_items == 0
    assert again.rendered == 0 and again.written == [] and again.removed == []
    assert again.pages == first.pages and again.files == first.files


def test_an_edit_rewrites_the_item_and_the_lists_it_is_on_only(cms_api_url, tmp_path):
    out = tmp_path / "site"
    first = build(cms_api_url, out)
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    book.title = "三会一课工作手册（增量构建修订版）"
    book.save_revision().publish()

    result = build(cms_api_url, out)
    assert result.incremental and result.fetched_items == 1
    page = book.site_path + "index.html"
    assert page in result.written and "/index.html" in result.written
    assert "增量构建修订版" in (out / page.lstrip("/")).read_text(encoding="utf-8")
    # No other item page, but those of the map sites that name the book among their 相关资源 (and the book's own
    # reader pages, which carry its title).
    showing = {site.site_path + "index.html" for site in MapSitePage.objects.filter(related_links__related=book)}
    others = [path for path in result.written if ITEM_PAGE.match(path) and path != page and path not in showing]
    assert [path for path in others if not path.startswith(f"{book.site_path}read/")] == []
    assert result.rendered < first.pages / 3 and len(result.written) < 30
    column = book.columns.first().slug
    assert f"/columns/{column}/index.html" in result.written and f"/columns/{column}/feed.xml" in result.written
    assert set(result.written) <= unpublished_changes(out)  # what the next publish will send
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_unpublish_and_delete_remove_the_items_files(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    series = VideoSeriesPage.objects.live().order_by("pk").first()
    episodes = [e.site_path + "index.html" for e in series.episodes.all()]
    news = NewsPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    series.unpublish()
    news_path = news.site_path + "index.html"
    news.delete()

    result = build(cms_api_url, out)
    assert result.incremental and result.fetched_items == 0
    assert {series.site_path + "index.html", news_path, *episodes} <= set(result.removed)
    assert not (out / series.site_path.lstrip("/")).exists() and not (out / news.site_path.lstrip("/")).exists()
    assert [path for path in result.written if ITEM_PAGE.match(path)] == []
    assert set(result.removed) <= unpublished_changes(out)  # the next publish deletes them
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_an_item_moved_to_another_district_is_fetched_again(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    item = LibraryItemPage.objects.live().public().filter(district_only=False, district__isnull=True).order_by("pk").first()
    district = District.objects.order_by("pk").first()
    # Wagtail's own move (what the admin's move view runs): no new publish, another section.
    item.move(SectionPage.objects.get(district=district), pos="last-child")

    result = build(cms_api_url, out)
    assert result.incremental and result.fetched_items == 1
    assert f"/districts/{district.slug}/index.html" in result.written
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_new_item_that_was_published_long_ago_is_fetched(cms_api_url, tmp_path):
    out = tmp_path / "site"
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").last()
    LibraryItemPage.objects.filter(pk=book.pk).update(district_only=True)
    build(cms_api_url, out)
    assert not (out / book.site_path.lstrip("/")).exists()
    # e.g. a privacy restriction lifted: public again without a new publish time.
    LibraryItemPage.objects.filter(pk=book.pk).update(district_only=False)

    result = build(cms_api_url, out)
    # The book, and each map site that names it among its 相关资源 again.
    showing = MapSitePage.objects.live().filter(related_links__related=book).distinct().count()
    assert result.incremental and result.fetched_items == 1 + showing
    assert (out / book.site_path.lstrip("/") / "index.html").is_file()
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_column_rename_fetches_everything_again(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    column = Column.objects.order_by("order", "pk").first()
    column.name = column.name + "（新）"
    column.save()

    result = build(cms_api_url, out)
    assert not result.incremental and result.full_reason == "columns or districts changed"
    assert result.fetched_items == len(LibraryItemPage.objects.live().public().filter(district_only=False))
    assert any(ITEM_PAGE.match(path) for path in result.written)  # the item pages name their columns
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_full_build_renders_every_page_again(cms_api_url, tmp_path):
    # (A theme or code change doing the same is test_build.py's test_a_theme_change_renders_every_page_again.)
    out = tmp_path / "site"
    first = build(cms_api_url, out)
    forced = build(cms_api_url, out, full=True)
    assert not forced.incremental and forced.full_reason == "full build requested" and forced.rendered == first.pages


def test_a_page_missing_from_the_folder_is_rendered_again(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    (out / "map/index.html").unlink()
    (out / "sitemap.xml").write_text("damaged")
    result = build(cms_api_url, out)
    assert result.rendered == 1 and sorted(result.written) == ["/map/index.html", "/sitemap.xml"]
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_cms_that_fails_half_way_changes_nothing(cms_api_url, tmp_path, monkeypatch):
    out = tmp_path / "site"
    build(cms_api_url, out)
    before = site_files(out)
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    book.title = "不会出现的书名"
    book.save_revision().publish()
    real_get_json = CMSClient.get_json

    def failing(self, endpoint, params=None):
        if params and params.get("ids"):
            raise CMSUnavailable("the CMS went away")
        return real_get_json(self, endpoint, params)

    monkeypatch.setattr(CMSClient, "get_json", failing)
    with pytest.raises(CMSUnavailable):
        build(cms_api_url, out)
    assert site_files(out) == before
    monkeypatch.undo()
    result = build(cms_api_url, out)
    assert result.incremental and result.fetched_items == 1
    assert "不会出现的书名" in (out / book.site_path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def test_api_filters_changed_since_and_ids(cms_api_url, client):
    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk"))
    newest = max(book.last_published_at for book in books)
    listing = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "fields": "_,id,last_published_at,district", "order": "id"})
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["items"]] == [book.pk for book in books]
    assert set(listing.json()["items"][0]) == {"id", "last_published_at", "district"}

    some = f"{books[0].pk},{books[-1].pk}"
    answer = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "fields": "*", "ids": some, "order": "id"}).json()
    assert [item["id"] for item in answer["items"]] == [books[0].pk, books[-1].pk] and "document" in answer["items"][0]

    since = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "changed_since": newest.isoformat()}).json()
    assert since["meta"]["total_count"] == 0
    since = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "changed_since": books[0].last_published_at.isoformat()})
    assert books[0].pk not in [item["id"] for item in since.json()["items"]]

    assert client.get("/api/v2/pages/", {"changed_since": "yesterday"}).status_code == 400
    assert client.get("/api/v2/pages/", {"ids": "1,x"}).status_code == 400


def test_pages_rendered_by_several_processes_are_those_one_process_renders(cms_api_url, tmp_path, monkeypatch):
    # At seed scale the pages are shared among forked processes (one per core); the tiny catalogue is below that
    # threshold, so lower it: every page, manifest entry and journal path must be the same as from one process.
    from site_builder import render

    one = build(cms_api_url, tmp_path / "one", full=True)
    monkeypatch.setattr(render, "MIN_PAGES_PER_PROCESS", 1)
    monkeypatch.setattr(render.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert render.render_processes(one.pages) == 3
    several = build(cms_api_url, tmp_path / "several", full=True)
    assert several.rendered == one.rendered == one.pages and several.written == one.written
    assert site_files(tmp_path / "several") == site_files(tmp_path / "one")
    manifests = [json.loads((cache_dir_for(tmp_path / name) / "manifest.json").read_text(encoding="utf-8"))["pages"] for name in ("one", "several")]
    assert manifests[0] == manifests[1] and unpublished_changes(tmp_path / "several") == unpublished_changes(tmp_path / "one")
    # And an incremental build after that finds nothing to render again.
    again = build(cms_api_url, tmp_path / "several")
    assert again.rendered == 0 and again.written == []
