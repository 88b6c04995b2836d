"""The static-site build end to end: the tiny catalogue served over real HTTP, Pelican rendering into a folder."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.core.management import call_command

from content_models.models import EBookPage, LibraryItemPage, MapSitePage, NewsPage, PeriodicalPage, VideoSeriesPage
from site_builder import render
from site_builder.build import BuildError, build_site
from site_builder.dev_server import DYNAMIC_PREFIXES
from site_builder.pages import SiteConfig
from site_builder.render import render_item_page
from site_builder.source import CMSClient

REPO_ROOT = Path(__file__).resolve().parents[2]
BUDGET_GZIPPED = 14 * 1024
CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="https://cms.example.cn/search/", hot_words_source=None)


def build(api_url: str, out: Path, config: SiteConfig = CONFIG):
    return build_site(api_url, out, config=config)


def site_files(out: Path) -> dict[str, bytes]:
    return {"/" + p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def html(out: Path, path: str) -> str:
    return (out / path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def test_build_writes_a_page_for_every_public_item_issue_and_episode(cms_api_url, tmp_path):
    result = build(cms_api_url, tmp_path)
    expected = []
    for model in (EBookPage, PeriodicalPage, VideoSeriesPage, MapSitePage, NewsPage):
        for page in model.objects.live().public().filter(district_only=False):
            expected.append(page.site_path)
            expected += [issue.site_path for issue in getattr(page, "issues", []).all()] if model is PeriodicalPage else []
            expected += [episode.site_path for episode in page.episodes.all()] if model is VideoSeriesPage else []
    assert len(expected) > 25
    for path in expected:
        assert (tmp_path / path.lstrip("/") / "index.html").is_file(), path
    for path in ["/", "/map/", "/columns/shizheng-yaowen/", "/columns/shizheng-yaowen/books/", "/districts/nanguan/"]:
        assert (tmp_path / path.lstrip("/") / "index.html").is_file(), path
    for path in ["404.html", "sitemap.xml", "robots.txt", "columns/shizheng-yaowen/feed.xml", "map/nanguan.geojson"]:
        assert (tmp_path / path).is_file(), path
    assert result.pages == sum(1 for p in tmp_path.rglob("*.html"))
    assert result.files == len(site_files(tmp_path))


def test_covers_are_downloaded_small_webp_with_size_and_lazy_loading(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    page = html(tmp_path, "/columns/shizheng-yaowen/")
    images = re.findall(r"<img [^>]+>", page)
    sources = [re.search(r'src="([^"]+)"', tag).group(1) for tag in images]
    # Covers from the CMS are downloaded under /media/; items without one get a cover drawn from their title.
    assert {src.split("/")[1] for src in sources} == {"media", "covers"}
    for tag, src in zip(images, sources, strict=True):
        assert src.endswith(".webp")
        assert (tmp_path / src.lstrip("/")).read_bytes()[8:12] == b"WEBP"
        assert re.search(r'width="\d+" height="\d+"', tag) and 'loading="lazy"' in tag and " 160w" in tag


def test_drafts_district_only_and_unpublished_items_never_reach_any_file(cms_api_url, tmp_path):
    draft = EBookPage.objects.get(live=False)
    internal = NewsPage.objects.get(district_only=True, live=True)
    build(cms_api_url, tmp_path)
    everything = b"".join(site_files(tmp_path).values())
    assert draft.title.encode() not in everything
    assert internal.title.encode() not in everything
    assert internal.site_path.encode() not in everything

    gone = VideoSeriesPage.objects.live().first()
    episode_paths = [e.site_path for e in gone.episodes.all()]
    assert (tmp_path / gone.site_path.lstrip("/") / "index.html").is_file()
    gone.unpublish()
    result = build(cms_api_url, tmp_path)
    everything = b"".join(site_files(tmp_path).values())
    assert gone.title.encode() not in everything
    assert not (tmp_path / gone.site_path.lstrip("/")).exists()
    assert gone.site_path + "index.html" in result.removed
    for path in episode_paths:
        assert path + "index.html" in result.removed


def test_same_content_builds_byte_identical_sites(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path / "one")
    build(cms_api_url, tmp_path / "two")
    build(cms_api_url, tmp_path / "one")  # a rebuild over an earlier build changes nothing either
    one, two = site_files(tmp_path / "one"), site_files(tmp_path / "two")
    assert one.keys() == two.keys()
    assert [path for path in one if one[path] != two[path]] == []


def test_every_page_fits_the_first_round_trip_without_fonts_or_blocking_scripts(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    sizes = {}
    for path in tmp_path.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        sizes[path.relative_to(tmp_path).as_posix()] = len(gzip.compress(text.encode(), 9))
        assert "<style>" in text and 'rel="stylesheet"' not in text
        assert "@font-face" not in text
        # Scripts are small enhancements: deferred files of the theme, never holding up the first paint.
        assert all(re.fullmatch(r'<script src="/assets/[a-z]+\.[0-9a-f]{12}\.js" defer>', tag) for tag in re.findall(r"<script src[^>]*>", text))
        assert '<html lang="zh-Hans">' in text
    too_big = {path: size for path, size in sizes.items() if size > BUDGET_GZIPPED}
    assert too_big == {}
    assert len(sizes) > 60


def test_listings_paginate_under_page_n_with_working_links(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path, replace(CONFIG, per_page=2))
    first = html(tmp_path, "/columns/shizheng-yaowen/")
    assert 'href="/columns/shizheng-yaowen/page/2/" rel="next"' in first
    second = html(tmp_path, "/columns/shizheng-yaowen/page/2/")
    assert 'href="/columns/shizheng-yaowen/" rel="prev"' in second
    assert list(tmp_path.glob("columns/*/*/page/2/index.html"))  # per-type sub-lists paginate the same way
    # Every internal link in the site points at a file that exists: in the build, or for documents and the video and
    # audio renditions, which stay on the one origin's /media/ path, at the CMS's guarded media view; the members'
    # archive (/me/, a dynamic path) at the application, which asks an anonymous visitor to log in.
    origin = CMSClient(cms_api_url)
    for path in tmp_path.rglob("*.html"):
        for target in re.findall(r'href="(/[^"#?]*)"', path.read_text(encoding="utf-8")):
            file = tmp_path / target.lstrip("/")
            if not (file.is_file() or (file / "index.html").is_file()):
                assert target.startswith(("/media/", *DYNAMIC_PREFIXES)), f"{path}: {target}"
                assert origin.get(cms_api_url.removesuffix("/api/v2/") + target).status_code == 200, f"{path}: {target}"


def test_title_change_keeps_the_url_and_editor_text_is_escaped(cms_api_url, tmp_path):
    book = EBookPage.objects.live().order_by("pk").first()
    build(cms_api_url, tmp_path)
    book.title = '<script>alert("x")</script>新书名'
    book.save_revision().publish()
    result = build(cms_api_url, tmp_path)
    page = html(tmp_path, book.site_path)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;新书名" in page
    assert "<script>alert" not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.html"))
    assert result.removed == []


def test_column_feed_is_atom_dated_by_publication_not_build_time(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    feed = ElementTree.parse(tmp_path / "columns/shizheng-yaowen/feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    column_items = LibraryItemPage.objects.live().public().filter(district_only=False, columns__slug="shizheng-yaowen")
    assert len(entries) == column_items.count()
    newest = max(page.last_published_at for page in column_items)
    assert feed.find("a:updated", ns).text[:19] == newest.astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    ).isoformat()[:19]
    links = {entry.find("a:link", ns).get("href") for entry in entries}
    assert all(link.startswith("https://dangshi.example.cn/") for link in links)


def test_sitemap_lists_every_public_page_and_robots_points_to_it(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    urls = [loc.text for loc in ElementTree.parse(tmp_path / "sitemap.xml").getroot().iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    pages = {"/" + p.relative_to(tmp_path).as_posix().removesuffix("index.html") for p in tmp_path.rglob("index.html")}
    # Reader pages (…/read/…) are left out on purpose: 400,000 of them at seed scale; their book's page links to them.
    readers = {p for p in pages if "/read/" in p}
    assert readers and sorted(urls) == sorted("https://dangshi.example.cn" + p for p in pages - readers)
    assert "Sitemap: https://dangshi.example.cn/sitemap.xml" in (tmp_path / "robots.txt").read_text()


def test_map_lists_sites_per_district_with_gcj02_links_and_wgs84_geojson(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    site = MapSitePage.objects.live().filter(district__slug="nanguan").first()
    overview = html(tmp_path, "/map/")
    assert 'href="/map/nanguan/">南关区（' in overview and "<svg" in overview
    page = html(tmp_path, "/map/nanguan/")
    assert site.title in page and site.address in page
    assert "https://uri.amap.com/marker?position=" in page and "https://apis.map.qq.com/uri/v1/marker?marker=coord:" in page
    assert "<svg" in page and "<iframe" not in page  # the interactive map waits for a tap
    data = json.loads((tmp_path / "map/nanguan.geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    feature = next(f for f in data["features"] if f["id"] == site.pk)
    assert feature["geometry"] == {"type": "Point", "coordinates": [float(site.longitude), float(site.latitude)]}
    assert feature["properties"]["url"] == "https://dangshi.example.cn" + site.site_path


def test_home_has_search_box_hot_words_newest_per_column_districts_and_map(cms_api_url, tmp_path):
    hot_words = tmp_path / "hot.json"
    hot_words.write_text(json.dumps({"hot_words": [{"word": "四个自信"}, {"word": "三会一课", "url": "/hot/sanhui/"}]}, ensure_ascii=False))
    build(cms_api_url, tmp_path / "site", replace(CONFIG, hot_words_source=str(hot_words)))
    home = html(tmp_path / "site", "/")
    assert '<form class="search" action="https://cms.example.cn/search/" method="get"' in home
    assert 'href="https://cms.example.cn/search/?q=%E5%9B%9B%E4%B8%AA%E8%87%AA%E4%BF%A1">四个自信</a>' in home
    assert 'href="/hot/sanhui/">三会一课</a>' in home
    # The list as static JSON, and a page behind every /hot/ link so no tap ends on a missing page.
    words = json.loads((tmp_path / "site" / "hot" / "words.json").read_text(encoding="utf-8"))
    assert [w["word"] for w in words] == ["四个自信", "三会一课"] and words[1]["url"] == "/hot/sanhui/"
    assert "三会一课" in html(tmp_path / "site", "/hot/sanhui/")
    assert 'href="/districts/nanguan/">南关区</a>' in home and 'href="/map/"' in home
    newest = LibraryItemPage.objects.live().public().filter(district_only=False, columns__slug="shizheng-yaowen").order_by("-last_published_at").first()
    assert newest.title in home


def test_render_item_page_gives_the_same_html_as_the_build(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    client = CMSClient(cms_api_url)
    news = NewsPage.objects.live().public().filter(district_only=False).first()
    item = client.get_json("pages/", {"type": "content_models.NewsPage", "fields": "*", "id": news.pk})["items"][0]
    columns = client.get_all("columns/")
    assert render_item_page(item, CONFIG, columns) == html(tmp_path, news.site_path)
    assert "<p>" in html(tmp_path, news.site_path)  # the rich-text body is HTML, not escaped text


def test_cli_builds_without_django_and_manage_command_builds_too(cms_api_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    code = "import sys, runpy; sys.modules['django'] = None; sys.argv = ['site_builder', *sys.argv[1:]]; runpy.run_module('site_builder', run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", code, "build", "--api", cms_api_url, "--out", str(tmp_path / "cli"), "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pages"] > 60
    call_command("build_site", "--api", cms_api_url, "--out", str(tmp_path / "cmd"), verbosity=0)
    assert site_files(tmp_path / "cli").keys() == site_files(tmp_path / "cmd").keys()


def test_a_theme_change_renders_every_page_again(cms_api_url, tmp_path, monkeypatch):
    # A copy of the theme to edit, so the shared one stays untouched; the real hash of its files must notice.
    theme = tmp_path / "theme"
    shutil.copytree(render.THEME_DIR, theme)
    monkeypatch.setattr(render, "THEME_DIR", theme)
    out = tmp_path / "site"
    first = build(cms_api_url, out)
    assert build(cms_api_url, out).rendered == 0
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- 新版页脚 --></body>"), encoding="utf-8")
    result = build(cms_api_url, out)
    assert result.incremental and result.rendered == first.pages
    assert all("<!-- 新版页脚 -->" in page.read_text(encoding="utf-8") for page in out.rglob("*.html"))


def test_refuses_to_build_into_a_folder_that_is_not_an_earlier_build(tmp_path):
    (tmp_path / "notes.txt").write_text("别删我")
    with pytest.raises(BuildError, match="not empty"):
        build_site("http://127.0.0.1:9/api/v2/", tmp_path)
    assert (tmp_path / "notes.txt").exists()
