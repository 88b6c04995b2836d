"""Coordinates for Chinese map apps: WGS-84 → GCJ-02 / BD-09, "navigate with 高德 / 腾讯 / 百度" links, distances.

Editors enter GPS (WGS-84) coordinates; 高德 and 腾讯 expect the GCJ-02 datum, which is offset
by up to a few hundred metres inside mainland China and equal to WGS-84 outside it; 百度 adds its
own BD-09 offset on top of GCJ-02.
"""

from __future__ import annotations

import math
from urllib.parse import quote

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0  # the constant of the published BD-09 transform
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def out_of_china(lat: float, lng: float) -> bool:
    """True outside the rough rectangle where GCJ-02 applies (the standard bounding box)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) on WGS-84 → (lat, lng) on GCJ-02; unchanged outside China."""
    if out_of_china(lat, lng):
        return lat, lng
    d_lat = _transform_lat(lng - 105.0, lat - 35.0)
    d_lng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) on GCJ-02 → (lat, lng) on BD-09, the datum of 百度地图."""
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _BD_X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) on WGS-84 → (lat, lng) on BD-09 (through GCJ-02, as Baidu's own conversion does)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance between two WGS-84 points (haversine), in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def amap_marker_url(lat: float, lng: float, name: str) -> str:
    """高德 URI API marker link for a WGS-84 point (converted to GCJ-02)."""
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    return f"https://uri.amap.com/marker?position={g_lng:.6f},{g_lat:.6f}&name={quote(name)}&coordinate=gaode&callnative=0"


def amap_markers_url(points: list[tuple[float, float, str]]) -> str:
    """高德 URI API link showing several WGS-84 points at once (name commas are not allowed there)."""
    parts = []
    for lat, lng, name in points:
        g_lat, g_lng = wgs84_to_gcj02(lat, lng)
        parts.append(f"{g_lng:.6f},{g_lat:.6f},{name.replace(',', '，').replace('|', '｜')}")
    return "https://uri.amap.com/marker?markers=" + quote("|".join(parts), safe=",|") + "&coordinate=gaode"


def qq_marker_url(lat: float, lng: float, name: str) -> str:
    """腾讯地图 URI API marker link for a WGS-84 point (converted to GCJ-02)."""
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    title = quote(name.replace(";", "；"))
    return f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{g_lat:.6f},{g_lng:.6f};title:{title}&referer=dangshi"


def baidu_marker_url(lat: float, lng: float, name: str) -> str:
    """百度地图 URI API marker link for a WGS-84 point (converted to BD-09); opens the app or its web map."""
    b_lat, b_lng = wgs84_to_bd09(lat, lng)
    return (
        f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lng:.6f}&title={quote(name)}"
        f"&content={quote(name)}&coord_type=bd09ll&output=html&src=dangshi"
    )
