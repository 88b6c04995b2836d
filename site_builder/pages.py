"""Generate: decide which pages, feeds and data files the site has, at which URLs, with what data.

Pure functions of the fetched catalogue: no I/O, no templates. Item URLs are the API's site_path
(ids, so a new title keeps the URL); listings paginate as …/page/N/, a segment no item URL uses.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from . import geo
from .covers import Cover
from .source import Catalogue, HotWord, media_path

PER_PAGE = 20
NEWEST_PER_COLUMN = 3  # the front page shows each column's newest few with 「更多」: one screen per column at most
FEED_SIZE = 50
HOT_WORDS_FROM_TAGS = 8

# Catalogue kind → (sub-list URL segment, label, template). Order is the order of tabs and sections.
KINDS = {
    "ebooks": ("books", "图书", "ebook"),
    "periodicals": ("periodicals", "党刊", "periodical"),
    "series": ("videos", "视频", "series"),
    "audio": ("audio", "音频", "series"),
    "news": ("news", "要闻", "news"),
    "sites": ("sites", "红色地标", "site"),
    "activities": ("activities", "学习活动", "activity"),
}
ACTIVITIES_ON_HOME = 3


@dataclass(frozen=True)
class SiteConfig:
    """What a build needs beyond the catalogue; every field has a working default."""

    site_name: str = "党史学习资源库"
    site_url: str = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8080").rstrip("/")
    # One public origin: nginx (or the demo's router) sends /search/ to the search service.
    search_url: str = os.environ.get("SEARCH_URL", "/search/")
    hot_words_source: str | None = os.environ.get("HOT_WORDS_URL") or None
    per_page: int = PER_PAGE
    # Path prefixes in the output folder that other tools own (e.g. pre-rendered hot-word pages);
    # the builder never deletes files under them.
    preserve: tuple[str, ...] = ()


@dataclass
class Page:
    """One HTML file: its site path, the template (without .html) and the template's variables."""

    path: str
    template: str
    context: dict
    lastmod: str = ""  # YYYY-MM-DD for the sitemap; empty for listings
    in_sitemap: bool = True

    @property
    def save_as(self) -> str:
        return self.path.lstrip("/") + ("index.html" if self.path.endswith("/") else "")


@dataclass
class PageGroup:
    """Many pages that change together (a book's reader pages): rendered all or none, by one hash of `inputs`, so an
    unchanged group costs neither loading nor hashing its pages. `key` (a site folder) names it in the manifest."""

    key: str
    inputs: object  # everything the pages' bytes depend on besides the theme and the site context
    paths: list[str]  # site paths of every file it writes
    load: Callable[[], list[Page]]  # its pages, built only when the group is rendered


@dataclass
class SitePlan:
    """Every output of a build: HTML pages, the data behind the feeds and JSON files, the media the pages show."""

    pages: list[Page] = field(default_factory=list)
    groups: list[PageGroup] = field(default_factory=list)
    feeds: list[dict] = field(default_factory=list)  # {path, title, link, description, entries}
    json_files: dict[str, dict | list] = field(default_factory=dict)  # site path → JSON (GeoJSON, hot words)
    media: list[str] = field(default_factory=list)  # media URLs (from the API) the pages use
    covers: list[Cover] = field(default_factory=list)  # covers drawn for the items without one (covers.py)

    def add(self, page: Page) -> None:
        self.pages.append(page)


def published(item: dict) -> datetime:
    return datetime.fromisoformat(item["last_published_at"]) if item.get("last_published_at") else datetime.min.replace(tzinfo=UTC)


def newest_first(items: list[dict]) -> list[dict]:
    """Newest publication first; the id breaks ties so the order never depends on the fetch."""
    return sorted(items, key=lambda item: (published(item), item["id"]), reverse=True)


def image(cover: dict | None) -> dict | None:
    """A cover as the <img> needs it: local src (w160), srcset of distinct widths, size, alt."""
    if not cover or not cover.get("w160"):
        return None
    renditions = [cover[key] for key in ("w160", "w320") if cover.get(key)]
    srcset, seen = [], set()
    for rendition in renditions:
        if rendition["width"] not in seen:
            seen.add(rendition["width"])
            srcset.append(f"{media_path(rendition['url'])} {rendition['width']}w")
    small = cover["w160"]
    return {
        "src": media_path(small["url"]),
        "srcset": ", ".join(srcset),
        "width": small["width"],
        "height": small["height"],
        "alt": cover.get("alt") or "",
    }


def title_cover(item: dict, kind: str) -> Cover:
    """The cover drawn from the item's title and kind, for an item the CMS has no cover image for."""
    return Cover.for_item(item["id"], item["title"], KINDS[kind][1])


def cover_of(item: dict, kind: str, *, drawn: bool = True) -> dict | None:
    """The <img> fields of the item's cover: its own, else (with `drawn`) the one drawn from its title."""
    return image(item.get("cover")) or (title_cover(item, kind).image() if drawn else None)


def cover_urls(cover: dict | None) -> list[str]:
    return [cover[key]["url"] for key in ("w160", "w320") if cover and cover.get(key)]


def card(item: dict, kind: str) -> dict:
    """What a listing shows of an item; built once per item and shared by every list it is on."""
    return {
        "id": item["id"],
        "title": item["title"],
        "url": item["site_path"],
        "kind": KINDS[kind][1],
        "summary": item.get("summary", ""),
        "date": item.get("date") or (item.get("starts_at") or item.get("last_published_at") or "")[:10],
        "cover": cover_of(item, kind),
        "district": (item.get("district") or {}).get("name", ""),
    }


def paginate(base: str, entries: list, per_page: int) -> list[tuple[str, dict]]:
    """(path, pagination context) for each page of a listing: base, base/page/2/, …"""
    pages = max(1, math.ceil(len(entries) / per_page))

    def url(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    return [
        (
            url(n),
            {
                "entries": entries[(n - 1) * per_page : n * per_page],
                "page_number": n,
                "page_count": pages,
                "previous_url": url(n - 1) if n > 1 else "",
                "next_url": url(n + 1) if n < pages else "",
                "total": len(entries),
            },
        )
        for n in range(1, pages + 1)
    ]


def map_links(lat: float, lng: float, name: str) -> dict:
    """「导航去这里」 links: 高德 and 腾讯 with GCJ-02, 百度 with BD-09, all converted from the stored WGS-84."""
    return {
        "amap": geo.amap_marker_url(lat, lng, name),
        "qq": geo.qq_marker_url(lat, lng, name),
        "baidu": geo.baidu_marker_url(lat, lng, name),
    }


def site_point(item: dict) -> dict | None:
    """A site's position and links, or None when its coordinates are missing."""
    try:
        lat, lng = float(item["latitude"]), float(item["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return {
        "id": item["id"],
        "title": item["title"],
        "url": item["site_path"],
        "kind": item.get("kind", ""),
        "address": item.get("address", ""),
        "lat": lat,
        "lng": lng,
        "links": map_links(lat, lng, item["title"]),
    }


SKETCH_WIDTH, SKETCH_HEIGHT, SKETCH_PAD = 320, 240, 28
MIN_SKETCH_SPAN_KM = 2.0  # a single site, or sites a street apart, sit in the middle of a 2 km square, not a corner


def schematic(points: list[dict], labels: list[str] | None = None) -> list[dict]:
    """Screen positions for an SVG sketch of the points: equirectangular, north up, the points' extent centred and
    scaled to fill the sketch (at least MIN_SKETCH_SPAN_KM across), each with its label (default 1, 2, 3…)."""
    if not points:
        return []
    lats = [p["lat"] for p in points]
    lngs = [p["lng"] for p in points]
    mid_lat, mid_lng = (max(lats) + min(lats)) / 2, (max(lngs) + min(lngs)) / 2
    squash = math.cos(math.radians(mid_lat))  # degrees of longitude are shorter up north
    min_span = MIN_SKETCH_SPAN_KM / 111.2  # in degrees of latitude
    span_x = max((max(lngs) - min(lngs)) * squash, min_span)
    span_y = max(max(lats) - min(lats), min_span)
    scale = min((SKETCH_WIDTH - 2 * SKETCH_PAD) / span_x, (SKETCH_HEIGHT - 2 * SKETCH_PAD) / span_y)
    labels = labels or [str(n) for n in range(1, len(points) + 1)]
    dots = [
        {
            "x": round(SKETCH_WIDTH / 2 + (p["lng"] - mid_lng) * squash * scale, 1),
            "y": round(SKETCH_HEIGHT / 2 - (p["lat"] - mid_lat) * scale, 1),
            "title": p["title"],
            "label": label,
        }
        for p, label in zip(points, labels, strict=True)
    ]
    place_labels(dots)
    return dots


LABEL_HEIGHT = 16
DOT_RADIUS = 5


def place_labels(dots: list[dict]) -> None:
    """Put each label beside its dot where it overlaps no other dot or placed label and stays inside the sketch
    (right, left, above, below); a label that fits nowhere is left out (its dot keeps its <title> and the list)."""
    boxes = [(d["x"] - DOT_RADIUS, d["y"] - DOT_RADIUS, d["x"] + DOT_RADIUS, d["y"] + DOT_RADIUS) for d in dots]
    for dot in dots:
        text = dot.pop("label")
        width = sum(8 if ch.isascii() else 14 for ch in text) + 2
        x, y = dot["x"], dot["y"]
        for anchor, left, top in (
            ("start", x + 8, y - 8), ("end", x - 8 - width, y - 8),
            ("start", x - width / 2, y - 8 - LABEL_HEIGHT), ("start", x - width / 2, y + 8),
        ):
            box = (left, top, left + width, top + LABEL_HEIGHT)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= SKETCH_WIDTH and box[3] <= SKETCH_HEIGHT
            if text and inside and not any(overlaps(box, other) for other in boxes):
                boxes.append(box)
                dot["label"] = {"text": text, "x": round(left if anchor == "start" else left + width, 1), "y": round(top + 13, 1), "anchor": anchor}
                break


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def centre_of(district: dict, points: list[dict]) -> tuple[float, float]:
    """A district's centre: the editors' coordinates when set, else the middle of its sites."""
    try:
        return float(district["latitude"]), float(district["longitude"])
    except (KeyError, TypeError, ValueError):
        return sum(p["lat"] for p in points) / len(points), sum(p["lng"] for p in points) / len(points)


def with_distances(district: dict, points: list[dict]) -> list[dict]:
    """The district's sites nearest its centre first, each with its distance in words (「距区中心 2.3 公里」)."""
    lat, lng = centre_of(district, points)
    rows = [(geo.distance_km(lat, lng, p["lat"], p["lng"]), p["id"], p) for p in points]
    return [
        dict(p, distance=f"距{district['name']}中心 {km:.1f} 公里" if km >= 0.1 else f"在{district['name']}中心附近")
        for km, _, p in sorted(rows, key=lambda row: row[:2])
    ]


def geojson(points: list[dict], site_url: str) -> dict:
    """RFC 7946 FeatureCollection (WGS-84, [longitude, latitude])."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": p["id"],
                "geometry": {"type": "Point", "coordinates": [p["lng"], p["lat"]]},
                "properties": {"name": p["title"], "kind": p["kind"], "address": p["address"], "url": site_url + p["url"]},
            }
            for p in points
        ],
    }


def hot_words_from_tags(catalogue: Catalogue, search_url: str) -> list[HotWord]:
    """Until the search service publishes its hot words, the most used tags stand in for them."""
    counts = Counter(tag for item in catalogue.all_items() for tag in item.get("tags", []))
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:HOT_WORDS_FROM_TAGS]
    return [HotWord(word, f"{search_url}?q={quote(word)}") for word, _ in ranked]


def plan_site(catalogue: Catalogue, config: SiteConfig, hot_words: list[HotWord]) -> SitePlan:
    """Every page, feed and data file of the site for this catalogue."""
    plan = SitePlan()
    cards = {item["id"]: card(item, kind) for kind, items in catalogue.items.items() for item in items}
    kind_of = {item["id"]: kind for kind, items in catalogue.items.items() for item in items}
    everything = newest_first(catalogue.all_items())
    points = {item["id"]: site_point(item) for item in catalogue.items.get("sites", [])}

    plan_items(plan, catalogue, config)
    plan_columns(plan, catalogue, config, everything, cards, kind_of)
    plan_districts(plan, catalogue, config, everything, cards, kind_of, points)
    activities = plan_activities(plan, catalogue, config, cards)
    map_groups = plan_map(plan, catalogue, config, points)
    plan_home(plan, catalogue, config, hot_words, everything, cards, map_groups, activities)
    plan_data(plan, config, map_groups)
    plan.add(Page("/404.html", "404", {"title": "页面没有找到"}, in_sitemap=False))
    plan.media = sorted({url for item in catalogue.all_items() for url in media_of(item)})
    plan.covers = [title_cover(item, kind) for kind, items in catalogue.items.items() for item in items if not image(item.get("cover"))]
    seen: set[str] = set()
    for page in plan.pages:
        if page.path in seen:
            raise ValueError(f"two pages want the same URL {page.path}; check column and district slugs")
        seen.add(page.path)
    return plan


def banner_of(catalogue: Catalogue) -> dict | None:
    """The editor's banner as the home page shows it; a link to an item only while the item is in this build."""
    banner = catalogue.banner
    if not banner or not banner.get("title"):
        return None
    url = banner.get("url") or ""
    if banner.get("page_id") is not None:
        items = {item["id"]: item for item in catalogue.all_items()}
        url = items[banner["page_id"]]["site_path"] if banner["page_id"] in items else ""
    elif ITEM_PATH.match(url):
        url = ""  # an item address typed in by hand: it may be private, and the chosen-resource field exists for it
    shown = next((item for item in catalogue.items.get("activities", []) if item["id"] == banner.get("page_id")), None)
    # A pinned activity is the banner: its own picture (none drawn: the title is already there in big letters).
    cover = image(shown.get("cover")) if shown else None
    return {"title": banner["title"], "text": banner.get("text") or "", "url": url, "cover": cover}


def plan_home(
    plan: SitePlan, catalogue: Catalogue, config: SiteConfig, hot_words: list[HotWord], everything: list[dict],
    cards: dict, map_groups: list[dict], activities: list[dict],
) -> None:
    """The front page: the editor's banner, hot words, each column's newest few with 「更多」, red sites by district.

    An item in several columns is shown once, in the first of them, so the columns do not repeat one another.
    """
    by_column = {column["slug"]: [] for column in catalogue.columns}
    for item in everything:
        for column in item.get("columns", []):
            by_column.setdefault(column["slug"], []).append(cards[item["id"]])
    shown: set[int] = set()
    newest = []
    for column in catalogue.columns:
        entries = [entry for entry in by_column[column["slug"]] if entry["id"] not in shown][:NEWEST_PER_COLUMN]
        shown.update(entry["id"] for entry in entries)
        newest.append({"column": column, "entries": entries, "total": len(by_column[column["slug"]])})
    plan.add(
        Page(
            "/",
            "home",
            {
                "title": config.site_name,
                "banner": banner_of(catalogue),
                "activities": activities[:ACTIVITIES_ON_HOME],
                "activity_count": len(activities),
                "hot_words": hot_words,
                "newest": newest,
                "districts": catalogue.districts,
                "map_groups": map_groups,
                "site_count": sum(group["count"] for group in map_groups),
            },
        )
    )


def plan_data(plan: SitePlan, config: SiteConfig, map_groups: list[dict]) -> None:
    """「数据与订阅」: every feed and map data file in plain words (the pages name them only in <link rel>)."""
    plan.add(
        Page(
            "/data/",
            "data",
            {
                "title": "数据与订阅",
                "feeds": [{"title": feed["title"].removeprefix(f"{config.site_name} · "), "url": feed["path"]} for feed in plan.feeds],
                "map_files": [{"title": group["district"]["name"], "url": group["geojson_url"], "count": group["count"]} for group in map_groups],
            },
        )
    )


def media_of(item: dict) -> list[str]:
    """Every image rendition URL an item's pages show."""
    urls = cover_urls(item.get("cover"))
    for issue in item.get("issues", []):
        urls += cover_urls(issue.get("cover"))
    for episode in item.get("episodes", []):
        urls += cover_urls(episode.get("poster"))
        if ((episode.get("media") or {}).get("poster") or {}).get("url"):
            urls.append(episode["media"]["poster"]["url"])  # small: in the bucket; the video and audio stay on /media/
    for photo in item.get("photos", []):
        urls += cover_urls(photo.get("image"))
    return urls


def item_links(catalogue: Catalogue) -> dict[int, dict]:
    """What another page may say about each item of this build (id → title, type, site_path)."""
    return {
        item["id"]: {"id": item["id"], "title": item["title"], "item_type": item.get("item_type", ""), "site_path": item["site_path"]}
        for item in catalogue.all_items()
    }


ITEM_LINK = re.compile(r'<a href="(?P<url>[^"]*)"')
ITEM_PATH = re.compile(r"^/(?:" + "|".join(segment for segment, _, _ in KINDS.values()) + r")/(?P<id>\d+)/")


def unlink_missing_items(html: str, links: dict[int, dict], site_url: str) -> str:
    """Drop the href of links (in rich text) to items that are not in this build: unpublished, private, deleted."""

    def replace(match: re.Match) -> str:
        url = match["url"]
        path = url[len(site_url):] if site_url and url.startswith(site_url + "/") else url
        found = ITEM_PATH.match(path)
        if found and int(found["id"]) not in links:
            return "<a"
        return match[0]

    return ITEM_LINK.sub(replace, html)


def plan_items(plan: SitePlan, catalogue: Catalogue, config: SiteConfig) -> None:
    """One page per item, plus one per periodical issue and per video episode."""
    links = item_links(catalogue)
    for kind, items in catalogue.items.items():
        template = KINDS[kind][2]
        for item in items:
            lastmod = (item.get("last_published_at") or "")[:10]
            context = item_context(item, kind, config, links)
            plan.add(Page(item["site_path"], template, context, lastmod))
            if kind == "periodicals":
                issues = item.get("issues", [])
                for index, issue in enumerate(issues):
                    plan.add(Page(issue["site_path"], "issue", issue_context(item, issues, index), lastmod))
            elif kind in ("series", "audio"):
                episodes = item.get("episodes", [])
                for index, episode in enumerate(episodes):
                    plan.add(Page(episode["site_path"], "episode", episode_context(item, episodes, index), lastmod))


def item_context(item: dict, kind: str, config: SiteConfig, links: dict[int, dict] | None = None, *, drawn_cover: bool = True) -> dict:
    """Template variables of an item page (also what a preview renders).

    What the page says about other items (related resources, links in the body) comes from `links`, this
    build's items, when given: an item that left the public set since this one was fetched is not named.
    Without `drawn_cover` an item without a cover image shows none (a preview: only a build draws covers).
    """
    if links is not None:
        if "related_items" in item:
            item = dict(item, related_items=[links[r["id"]] for r in item["related_items"] if r["id"] in links])
        if item.get("body"):
            item = dict(item, body=unlink_missing_items(item["body"], links, config.site_url))
    context = {
        "title": item["title"],
        "item": item,
        "kind_label": KINDS[kind][1],
        "cover": cover_of(item, kind, drawn=drawn_cover),
        "tag_links": [{"word": tag, "url": f"{config.search_url}?q={quote(tag)}"} for tag in item.get("tags", [])],
    }
    if kind == "periodicals":
        context["issues"] = [dict(issue, cover_image=image(issue.get("cover"))) for issue in item.get("issues", [])]
    elif kind == "activities":
        context.update(activity_context(item, links))
    elif kind == "sites":
        context["point"] = site_point(item)
        context["photos"] = [{"caption": p.get("caption", ""), "image": image(p.get("image"))} for p in item.get("photos", [])]
    return context


def local_time(value: str | None) -> datetime | None:
    """An API time (ISO, already in Asia/Shanghai) as given, without converting it to the builder's zone."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def cn_time_range(starts: datetime | None, ends: datetime | None) -> str:
    """「2026年12月5日 09:30–11:00」, or both dates when the activity spans days."""
    if starts is None:
        return ""
    first = f"{starts.year}年{starts.month}月{starts.day}日 {starts:%H:%M}"
    if ends is None:
        return first
    if ends.date() == starts.date():
        return f"{first}–{ends:%H:%M}"
    return f"{first} 至 {ends.year}年{ends.month}月{ends.day}日 {ends:%H:%M}"


def activity_requirements(item: dict, task_count: int) -> list[str]:
    """What completing the activity asks, in plain words (the same rules as activities.progress)."""
    asked = []
    if task_count:
        asked.append(f"学习下面列出的 {task_count} 项资源")
    if item.get("checkin_days"):
        asked.append(f"活动期间打卡满 {item['checkin_days']} 天")
    if item.get("requires_reflection") or item.get("kind") == "essay":
        asked.append("提交一篇学习心得（打字、拍照或录音都可以），经审核采纳")
    if item.get("kind") == "lecture":
        asked.append("到现场参加，并输入现场公布的签到码")
    if item.get("kind") == "live":
        asked.append("观看直播或回放")
    if item.get("quiz"):
        asked.append("参加专项测评并及格")
    return asked


def activity_context(item: dict, links: dict[int, dict] | None) -> dict:
    """An activity page's variables: when and where in words, what it asks, and only the items of this build
    (a place, replay or task that left the public set since the activity was fetched is not named)."""

    def built(row: dict | None) -> dict | None:
        return row if row and (links is None or row.get("id") in links) else None

    starts, ends = local_time(item.get("starts_at")), local_time(item.get("ends_at"))
    deadline = local_time(item.get("signup_deadline"))
    tasks = [task for task in item.get("tasks") or [] if built(task)]
    return {
        "when": cn_time_range(starts, ends),
        "deadline": cn_time_range(deadline, None),
        "place": built(item.get("place")),
        "replay": built(item.get("replay")),
        "tasks": tasks,
        "requirements": activity_requirements(item, len(tasks)),
        "reflections": item.get("published_reflections") or [],
    }


def plan_activities(plan: SitePlan, catalogue: Catalogue, config: SiteConfig, cards: dict) -> list[dict]:
    """「学习活动」: every public activity, the latest start first (so coming ones lead), like a column without a feed.
    Returns its cards, for the front page."""
    activities = sorted(catalogue.items.get("activities", []), key=lambda item: (item.get("starts_at") or "", item["id"]), reverse=True)
    entries = [cards[item["id"]] for item in activities]
    listing_pages(plan, "/activities/", entries, {"title": "学习活动", "tab_url": "/activities/"}, config.per_page)
    return entries


def neighbours(rows: list[dict], index: int) -> dict:
    return {
        "previous": rows[index - 1] if index > 0 else None,
        "next": rows[index + 1] if index + 1 < len(rows) else None,
    }


def issue_context(periodical: dict, issues: list[dict], index: int) -> dict:
    issue = issues[index]
    return {
        "title": f"{periodical['title']} {issue['year']}年第{issue['number']}期",
        "periodical": periodical,
        "issue": issue,
        "cover": image(issue.get("cover")) or cover_of(periodical, "periodicals"),
        "articles": [line.strip() for line in (issue.get("table_of_contents") or "").splitlines() if line.strip()],
        **neighbours(issues, index),
    }


def episode_context(series: dict, episodes: list[dict], index: int) -> dict:
    """A video or audio episode: what plays (the light renditions when the worker made them, else the uploaded file
    or the external address as the editor gave it) and the picture shown until play."""
    episode = episodes[index]
    media = episode.get("media") or {}
    original = (episode.get("video_file") or episode.get("audio_file") or {}).get("url") or episode.get("video_url") or episode.get("audio_url") or ""
    frame = media.get("poster")
    is_audio = series.get("item_type") == "audio"
    labels = (("audio", "收听"),) if is_audio else (("low", "流畅"), ("high", "高清"), ("audio", "只听声音"))
    return {
        "title": episode["title"],
        "series": series,
        "episode": episode,
        "is_audio": is_audio,
        "poster": image(episode.get("poster")) or ({"src": media_path(frame["url"]), "width": frame["width"], "height": frame["height"]} if frame else None),
        "sources": [
            {"label": label, "url": media[name]["url"], "bytes": media[name].get("bytes", 0)}
            for name, label in labels
            if media.get(name)
        ],
        "original": original,
        **neighbours(episodes, index),
    }


def listing_pages(plan: SitePlan, base: str, entries: list[dict], context: dict, per_page: int) -> None:
    for path, pagination in paginate(base, entries, per_page):
        plan.add(Page(path, "listing", {**context, **pagination}))


def kind_tabs(base: str, counts: Counter) -> list[dict]:
    return [
        {"label": label, "url": f"{base}{segment}/", "count": counts[kind]}
        for kind, (segment, label, _) in KINDS.items()
        if counts[kind]
    ]


def plan_columns(plan: SitePlan, catalogue: Catalogue, config: SiteConfig, everything: list[dict], cards: dict, kind_of: dict) -> None:
    """Each column: all its items, one sub-list per kind, an Atom feed."""
    for column in catalogue.columns:
        base = f"/columns/{column['slug']}/"
        items = [item for item in everything if any(c["slug"] == column["slug"] for c in item.get("columns", []))]
        counts = Counter(kind_of[item["id"]] for item in items)
        tabs = kind_tabs(base, counts)
        shared = {"column": column, "tabs": [{"label": "全部", "url": base, "count": len(items)}, *tabs], "feed_url": f"{base}feed.xml"}
        listing_pages(plan, base, [cards[i["id"]] for i in items], {**shared, "title": column["name"], "tab_url": base}, config.per_page)
        for kind, (segment, label, _) in KINDS.items():
            if counts[kind]:
                entries = [cards[i["id"]] for i in items if kind_of[i["id"]] == kind]
                sub = f"{base}{segment}/"
                listing_pages(plan, sub, entries, {**shared, "title": f"{column['name']} · {label}", "tab_url": sub}, config.per_page)
        plan.feeds.append(
            {
                "path": f"{base}feed.xml",
                "title": f"{config.site_name} · {column['name']}",
                "link": config.site_url + base,
                "description": column.get("description", ""),
                "entries": items[:FEED_SIZE],
            }
        )


def plan_districts(
    plan: SitePlan, catalogue: Catalogue, config: SiteConfig, everything: list[dict], cards: dict, kind_of: dict, points: dict
) -> None:
    """Each district: its red sites, then its other public content, newest first."""
    for district in catalogue.districts:
        base = f"/districts/{district['slug']}/"
        mine = [item for item in everything if (item.get("district") or {}).get("slug") == district["slug"]]
        sites = sorted((points[i["id"]] for i in mine if kind_of[i["id"]] == "sites" and points[i["id"]]), key=lambda p: p["id"])
        entries = [cards[i["id"]] for i in mine if kind_of[i["id"]] != "sites"]
        listing_pages(
            plan, base, entries,
            {"title": district["name"], "district": district, "sites": sites, "tab_url": base, "geojson_url": f"/map/{district['slug']}.geojson"},
            config.per_page,
        )


def plan_map(plan: SitePlan, catalogue: Catalogue, config: SiteConfig, points: dict) -> list[dict]:
    """The map without tiles: an overview (districts with their site counts, a sketch labelled by district), one
    list page per district (nearest its centre first, 「导航去这里」, then a numbered sketch) and one GeoJSON file each.

    Each district's list has its own page so the map stays inside the page budget at any catalogue size.
    Returns the districts that have sites ({district, count, url, geojson_url}), for the front page and /data/.
    """
    groups = []
    all_points, all_labels = [], []
    for district in catalogue.districts:
        slug = district["slug"]
        mine = [
            points[item["id"]]
            for item in catalogue.items.get("sites", [])
            if points[item["id"]] and (item.get("district") or {}).get("slug") == slug
        ]
        plan.json_files[f"/map/{slug}.geojson"] = geojson(mine, config.site_url)
        if not mine:
            continue
        mine = with_distances(district, mine)
        all_points += mine
        all_labels += [district["name"] if n == 0 else "" for n in range(len(mine))]
        group = {"district": district, "count": len(mine), "url": f"/map/{slug}/", "geojson_url": f"/map/{slug}.geojson"}
        groups.append(group)
        plan.add(
            Page(
                group["url"],
                "map",
                {
                    "title": f"{district['name']}红色地标",
                    "group": group,
                    "sites": mine,
                    "dots": schematic(mine),
                    "amap_all": geo.amap_markers_url([(p["lat"], p["lng"], p["title"]) for p in mine]),
                },
            )
        )
    plan.add(Page("/map/", "map", {"title": "红色地标地图", "groups": groups, "dots": schematic(all_points, all_labels)}))
    return groups


def json_bytes(data: object) -> bytes:
    """Stable JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
