"""WGS-84 → GCJ-02 conversion and the 高德 / 腾讯 map links built from it."""

from urllib.parse import parse_qs, unquote, urlparse

import pytest

from site_builder.geo import amap_marker_url, out_of_china, qq_marker_url, wgs84_to_gcj02


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((39.908692, 116.397477), (39.91009, 116.40372)),  # Tiananmen, the commonly published pair
        ((31.239689, 121.499755), (31.23771, 121.50424)),  # Shanghai, Oriental Pearl Tower
    ],
)
def test_wgs84_points_in_china_shift_to_gcj02(wgs, gcj):
    lat, lng = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-4)
    assert lng == pytest.approx(gcj[1], abs=1e-4)


@pytest.mark.parametrize("point", [(51.5007, -0.1246), (40.6892, -74.0445), (-33.8568, 151.2153), (60.0, 100.0)])
def test_points_outside_china_are_unchanged(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point


def test_map_links_carry_gcj02_coordinates_and_the_escaped_name():
    lat, lng = 43.8640, 125.3500
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    amap = parse_qs(urlparse(amap_marker_url(lat, lng, "南关区 纪念馆&1")).query)
    assert amap["position"] == [f"{g_lng:.6f},{g_lat:.6f}"] and amap["name"] == ["南关区 纪念馆&1"]
    qq = unquote(qq_marker_url(lat, lng, "南关区纪念馆"))
    assert qq.startswith(f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{g_lat:.6f},{g_lng:.6f};title:南关区纪念馆")
