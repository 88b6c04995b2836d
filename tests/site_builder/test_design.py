"""The design pass for older readers, through the built files and HTTP: the front page's banner (and its privacy),
compact headers, dates and breadcrumbs, feeds as <link rel>, the 数据与订阅 page, the map's lists, navigation links
and sketch, the theme's scripts and the demo router's 404."""

from __future__ import annotations

import gzip
import re
import threading
import urllib.request
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlparse

import pytest
from wagtail.models import PageViewRestriction

from activities.models import ActivityPage
from content_models.models import EBookPage, HomePage, MapSitePage, NewsPage
from site_builder import geo
from site_builder.build import build_site
from site_builder.dev_server import make_server
from site_builder.pages import SKETCH_HEIGHT, SKETCH_WIDTH, SiteConfig, schematic

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="/search/", hot_words_source=None)


def build(api_url: str, out: Path) -> None:
    build_site(api_url, out, config=CONFIG)


def html(out: Path, path: str) -> str:
    return (out / path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def banner_html(home: str) -> str:
    found = re.search(r'<section class="banner".*?</section>', home, re.S)
    return found[0] if found else ""


def set_banner(**fields) -> None:
    home = HomePage.objects.get()
    for name, value in fields.items():
        setattr(home, name, value)
    home.save_revision().publish()


# -- coordinates -----------------------------------------------------------------------------------------------------
# Reference values of the widely used coordtransform library (wandergis), for the point (39.915 N, 116.404 E).
def test_conversions_match_the_published_reference_points():
    assert geo.wgs84_to_gcj02(39.915, 116.404) == pytest.approx((39.91640428150164, 116.41024449916938), abs=1e-9)
    assert geo.gcj02_to_bd09(39.915, 116.404) == pytest.approx((39.92133699351021, 116.41036949371029), abs=1e-9)
    assert geo.wgs84_to_bd09(39.915, 116.404) == pytest.approx((39.922699552216216, 116.41662724378733), abs=1e-9)


def test_distance_between_changchun_and_beijing_is_about_860_km():
    # 长春 (43.8171 N, 125.3235 E) to 北京 (39.9042 N, 116.4074 E): 859 km on the great circle.
    assert geo.distance_km(43.8171, 125.3235, 39.9042, 116.4074) == pytest.approx(859, abs=5)
    assert geo.distance_km(43.8, 125.3, 43.8, 125.3) == 0


def test_baidu_link_carries_bd09_coordinates_and_the_escaped_name():
    url = geo.baidu_marker_url(43.8640, 125.3500, "南湖公园&抗联")
    query = parse_qs(urlparse(url).query)
    lat, lng = (float(part) for part in query["location"][0].split(","))
    assert (lat, lng) == pytest.approx(geo.wgs84_to_bd09(43.8640, 125.3500), abs=1e-6)
    assert query["title"] == ["南湖公园&抗联"] and query["coord_type"] == ["bd09ll"]


def test_sketch_centres_a_single_site_and_fits_spread_ones_inside_the_frame():
    one = schematic([{"lat": 43.86, "lng": 125.35, "title": "纪念馆"}])
    assert (one[0]["x"], one[0]["y"]) == (SKETCH_WIDTH / 2, SKETCH_HEIGHT / 2) and one[0]["label"]["text"] == "1"
    spread = schematic([{"lat": 43.7 + n * 0.05, "lng": 125.1 + n * 0.1, "title": str(n)} for n in range(5)])
    assert all(10 < dot["x"] < SKETCH_WIDTH - 10 and 10 < dot["y"] < SKETCH_HEIGHT - 10 for dot in spread)
    assert spread[0]["y"] > spread[-1]["y"]  # north is up
    assert max(dot["x"] for dot in spread) - min(dot["x"] for dot in spread) > SKETCH_WIDTH / 2  # it fills the frame


def test_sketch_labels_never_cover_each_other():
    names = ["南关区", "宽城区", "朝阳区", "二道区", "绿园区", "双阳区", "九台区", "榆树市", "德惠市", "公主岭市"]
    crowded = [{"lat": 43.88 + (n % 3) * 0.004, "lng": 125.32 + (n // 3) * 0.006, "title": name} for n, name in enumerate(names)]
    dots = schematic(crowded, names)
    boxes = []
    for dot in dots:
        if "label" in dot:
            label = dot["label"]
            width = 14 * len(label["text"])
            left = label["x"] if label["anchor"] == "start" else label["x"] - width
            boxes.append((left, label["y"] - 13, left + width, label["y"] + 3))
    assert len(boxes) >= 6  # most names find a place
    assert all(0 <= box[0] and box[2] <= SKETCH_WIDTH + 2 and 0 <= box[1] and box[3] <= SKETCH_HEIGHT for box in boxes)
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert overlapping == []


# -- the built site ----------------------------------------------------------------------------------------------------
def test_front_page_banner_follows_the_editor_and_never_links_a_private_item(cms_api_url, tmp_path):
    ActivityPage.objects.update(pinned=False)  # the editor's own banner: no pinned activity takes its place
    news = NewsPage.objects.live().filter(district_only=False, view_restrictions__isnull=True).order_by("pk").first()
    set_banner(banner_title="七一建党节专题学习", banner_text="重温入党誓词<b>", banner_page=news, banner_url="")
    out = tmp_path / "site"
    build(cms_api_url, out)
    banner = banner_html(html(out, "/"))
    assert "七一建党节专题学习" in banner and f'href="{news.site_path}"' in banner
    assert "重温入党誓词&lt;b&gt;" in banner  # editor text is escaped

    PageViewRestriction.objects.create(page=news, restriction_type=PageViewRestriction.PASSWORD, password="dangshi")
    build(cms_api_url, out)  # incremental: the item left, and the banner's link with it
    banner = banner_html(html(out, "/"))
    assert "七一建党节专题学习" in banner and "href" not in banner

    set_banner(banner_title="", banner_page=None)
    build(cms_api_url, out)
    assert banner_html(html(out, "/")) == "" and "七一建党节专题学习" not in html(out, "/")


def test_front_page_is_a_real_front_page_within_the_first_round_trip(cms_api_url, tmp_path):
    ActivityPage.objects.update(pinned=False)  # the editor's own banner: no pinned activity takes its place
    build(cms_api_url, tmp_path)
    home = html(tmp_path, "/")
    assert len(gzip.compress(home.encode(), 9)) <= 14 * 1024
    assert "党史学习教育专题" in banner_html(home)  # the tiny demo seeds a banner
    shown = []
    for section in re.findall(r'<section aria-labelledby="c-[^"]+">.*?</section>', home, re.S):
        items = re.findall(r'href="(/(?:books|periodicals|videos|audio|sites|news)/[^"]+)"', section)
        assert 1 <= len(items) <= 3 and section.count('class="card"') == 1 and "更多“" in section
        shown += items
    assert len(shown) == len(set(shown)) >= 5  # no item twice, though many items are in several columns
    assert re.search(r'<a href="/map/nanguan/">南关区（\d+处）</a>', home)


def test_item_pages_have_a_compact_header_dates_that_do_not_wrap_and_plain_breadcrumbs(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    book = EBookPage.objects.live().order_by("pk").first()
    page = html(tmp_path, book.site_path)
    header = page.split("</header>")[0]
    assert "<details class=\"menu\"><summary>栏目</summary>" in header and 'role="search"' in header
    assert '<nav class="cols"' not in page  # no row of column buttons above the title
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S)[0]
    assert not re.search(r"›\s*(<[^>]+>\s*)*</nav>", crumbs)  # nothing dangles after the last link
    news = NewsPage.objects.live().filter(district_only=False, view_restrictions__isnull=True).order_by("pk").first()
    news_page = html(tmp_path, news.site_path)
    assert f'<time datetime="{news.date:%Y-%m-%d}">{news.date.year}年{news.date.month}月{news.date.day}日</time>' in news_page
    assert "data-read-aloud" in news_page
    script = re.search(r'<script src="(/assets/site\.[0-9a-f]{12}\.js)" defer></script>', page)[1]
    assert "speechSynthesis" in (tmp_path / script.lstrip("/")).read_text(encoding="utf-8")


def test_feeds_and_map_data_are_links_in_head_and_on_one_plain_page(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    column = html(tmp_path, "/columns/shizheng-yaowen/")
    head, body = column.split("</head>")
    assert '<link rel="alternate" type="application/atom+xml"' in head and 'href="/columns/shizheng-yaowen/feed.xml"' in head
    assert "Atom" not in body and "GeoJSON" not in html(tmp_path, "/districts/nanguan/").split("</head>")[1]
    assert 'type="application/geo+json"' in html(tmp_path, "/map/nanguan/").split("</head>")[0]
    data = html(tmp_path, "/data/")
    assert "<h1>数据与订阅</h1>" in data and 'href="/data/"' in column  # the footer links it
    assert 'href="/me/">我的学习档案（党员登录）</a>' in column  # and the members' way in
    for target in re.findall(r'href="(/(?:columns|map)/[^"]+\.(?:xml|geojson))"', data):
        assert (tmp_path / target.lstrip("/")).is_file()
    assert 'href="/columns/shizheng-yaowen/feed.xml"' in data and 'href="/map/nanguan.geojson"' in data


def test_map_lists_sites_by_distance_with_navigation_to_three_apps(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    site = MapSitePage.objects.live().filter(district__slug="nanguan").first()
    page = html(tmp_path, "/map/nanguan/")
    assert page.index("<ol class=\"links sites\" data-near>") < page.index("<svg")  # the list first, the sketch after it
    assert "导航去这里" in page and re.search(r"距南关区中心 \d+\.\d 公里", page)
    lat, lng = float(site.latitude), float(site.longitude)
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    b_lat, b_lng = geo.wgs84_to_bd09(lat, lng)
    assert f"position={g_lng:.6f},{g_lat:.6f}" in page and f"coord:{g_lat:.6f},{g_lng:.6f}" in page
    assert f"location={b_lat:.6f},{b_lng:.6f}" in page
    dot = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"', page)
    assert (float(dot[1]), float(dot[2])) != (12.0, 12.0) and float(dot[1]) > 40  # not in the top-left corner
    assert re.search(r"<text [^>]*>1</text>", page)  # numbered as in the list
    overview = html(tmp_path, "/map/")
    assert re.search(r"<text [^>]*>南关区</text>", overview)


def test_demo_router_answers_a_missing_page_with_the_themes_404(cms_api_url, tmp_path):
    build(cms_api_url, tmp_path)
    server = make_server(tmp_path, "http://127.0.0.1:9", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/books/999999/", timeout=10)
        body = answer.value.read().decode("utf-8")
        assert answer.value.code == 404 and answer.value.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "抱歉，没有找到这个页面" in body and 'href="/data/"' in body  # the theme's page, not Python's
        assert "Error response" not in body
    finally:
        server.shutdown()
        server.server_close()


def test_frontpage_api_gives_the_live_banner_only_and_links_only_public_items(tiny_catalogue, client):
    ActivityPage.objects.update(pinned=False)  # the editor's own banner: no pinned activity takes its place
    home = HomePage.objects.get()
    book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    set_banner(banner_title="红色家书诵读活动", banner_text="", banner_page=None, banner_url="https://huodong.example.cn/jiashu")
    home.refresh_from_db()
    home.banner_title = "草稿横幅"
    home.save_revision()  # a draft: members never see it
    items = client.get("/api/v2/frontpage/").json()["items"]
    assert items == [{"title": "红色家书诵读活动", "text": "", "url": "https://huodong.example.cn/jiashu", "page_id": None}]

    set_banner(banner_title="红色家书诵读活动", banner_page=book)  # the chosen resource wins over the address
    assert client.get("/api/v2/frontpage/").json()["items"][0] == {
        "title": "红色家书诵读活动", "text": "", "url": book.site_path, "page_id": book.pk,
    }
    book.district_only = True
    book.save_revision().publish()
    assert client.get("/api/v2/frontpage/").json()["items"][0]["url"] == ""  # private now: no link, no id
    assert client.get("/api/v2/frontpage/").json()["items"][0]["page_id"] is None
