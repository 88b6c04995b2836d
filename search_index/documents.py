"""API item JSON (from /api/v2/pages/) → the flat documents the search core indexes.

One document per public item, plus one per periodical issue and per video or audio episode. Keys:
"<type>:<page id>", "issue:<periodical id>:<year>-<number>", "episode:<series id>:<number>",
"audio_episode:<audio series id>:<number>"; and one per page of a book or issue read page by page (type "page"):
"bookpage:<ebook id>:<n>", "issue:<periodical id>:<year>-<number>:<n>" (under the issue's prefix, so they go with it).
A page's document is its text only: no title, tags or shelf names, so a title or column search finds the book, not
its 400 pages; `heading` (stored, not searched) is what a hit shows: 「《书名》第 37 页」.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping

from .schema import PAGE_TEXT_FIELD, PAGE_TYPE

# API item_type → index type. Unknown types are skipped (the API may grow new page types).
ITEM_TYPES = ("ebook", "periodical", "series", "audio", "site", "news", "activity")
CHILD_PREFIXES = {"periodical": "issue", "series": "episode", "audio": "audio_episode", "ebook": "bookpage"}
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|h[1-6]|li|br|div|ul|ol|tr|blockquote)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def html_to_text(value: str) -> str:
    """Rich-text HTML → plain text: block tags become line breaks, entities decoded."""
    if not value:
        return ""
    text = _BLOCK.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def cover_url(cover: dict | None) -> str:
    """The 160-px rendition's URL of an API cover, or ""."""
    if not isinstance(cover, dict):
        return ""
    small = cover.get("w160") or {}
    return small.get("url") or ""


def _slugs(rows: Iterable[dict] | None) -> list[str]:
    return [row["slug"] for row in rows or [] if isinstance(row, dict) and row.get("slug")]


def _names(rows: Iterable[dict | None]) -> list[str]:
    return [str(row["name"]) for row in rows if isinstance(row, dict) and row.get("name")]


def _date(item: dict) -> str:
    value = item.get("date") or (item.get("last_published_at") or "")
    return str(value)[:10] if value else ""


def item_key(item_type: str, page_id: int) -> str:
    return f"{item_type}:{page_id}"


def _people(item: dict) -> str:
    parts = [item.get(name) or "" for name in ("authors", "presenter", "producer")]
    return "、".join(p for p in parts if p)


def _base(item: dict, item_type: str) -> dict:
    district = item.get("district") or {}
    return {
        "key": item_key(item_type, item["id"]),
        "type": item_type,
        "title": item.get("title") or "",
        "people": _people(item),
        "summary": item.get("summary") or "",
        "body": "",
        "columns": _slugs(item.get("columns")),
        "district": district.get("slug") or "" if isinstance(district, dict) else "",
        "tags": [str(t) for t in item.get("tags") or []],
        # Searchable names of the shelves the item is on: 四个自信 finds the 四个自信 column's items.
        "labels": _names([*(item.get("columns") or []), district]),
        "date": _date(item),
        "url": item.get("site_path") or "",
        "cover": cover_url(item.get("cover")),
    }


def readings(item: dict) -> list[dict]:
    """The item's documents read page by page (the API's non-null `reading` values: the e-book's, each issue's)."""
    found = [item.get("reading")] + [issue.get("reading") for issue in item.get("issues") or [] if isinstance(issue, dict)]
    return [r for r in found if isinstance(r, dict) and isinstance(r.get("document_id"), int)]


def page_documents(parent: dict, reading: dict | None, rows: list[dict] | None, name: str, key_prefix: str) -> list[dict]:
    """One document per reader page with text (rows from the API's reader_pages/), linking to the static reader page."""
    if not reading or not rows:
        return []
    docs = []
    base = f"{parent['url']}read/"
    for row in rows:
        number, text = row.get("number"), str(row.get("text") or "").strip()
        if not isinstance(number, int) or not text:
            continue
        where = str(row.get("title") or "").strip() if reading.get("format") == "epub" else ""
        docs.append({
            "key": f"{key_prefix}{number}",
            "type": PAGE_TYPE,
            "heading": f"《{name}》{where or f'第 {number} 页'}",
            PAGE_TEXT_FIELD: text,
            "columns": parent["columns"],
            "district": parent["district"],
            "date": parent["date"],
            "url": f"{base}{number}/",
        })
    return docs


def documents_for_item(item: dict, pages: Mapping[int, list[dict]] | None = None) -> list[dict]:
    """Every index document for one API item (detail or listing with fields=*); `pages`: reader pages by document
    id (search_index.sync fetches them) for the item's `reading` documents."""
    pages = pages or {}

    def rows_of(reading: object) -> list[dict] | None:
        return pages.get(reading["document_id"]) if isinstance(reading, dict) and isinstance(reading.get("document_id"), int) else None

    item_type = item.get("item_type") or ""
    if item_type not in ITEM_TYPES:
        return []
    doc = _base(item, item_type)
    docs = [doc]
    if item_type == "news":
        doc["body"] = "\n".join(filter(None, [item.get("source") or "", html_to_text(item.get("body") or "")]))
    elif item_type == "ebook":
        doc["body"] = " ".join(str(item.get(f) or "") for f in ("publisher", "isbn")).strip()
        reading = item.get("reading")
        docs += page_documents(doc, reading, rows_of(reading), doc["title"], f"{CHILD_PREFIXES['ebook']}:{item['id']}:")
    elif item_type == "site":
        doc["body"] = "\n".join(str(item.get(f) or "") for f in ("kind", "address", "opening_hours") if item.get(f))
    elif item_type == "activity":
        # Its own words only: the titles of its place and tasks change (or turn private) without this item being
        # indexed again, so they are found on their own items, never through the activity.
        doc["body"] = "\n".join(str(item.get(f)) for f in ("kind_label", "place_note") if item.get(f))
        doc["date"] = str(item.get("starts_at") or "")[:10] or doc["date"]
    elif item_type == "periodical":
        doc["body"] = " ".join(str(item.get(f) or "") for f in ("publisher", "issn", "cn_number") if item.get(f))
        for issue in item.get("issues") or []:
            title = f"{doc['title']} {issue.get('year')}年第{issue.get('number')}期"
            key = f"issue:{item['id']}:{issue.get('year')}-{issue.get('number')}"
            docs.append({
                **doc,
                "key": key,
                "type": "issue",
                "title": title,
                "summary": "",
                "body": issue.get("table_of_contents") or "",
                "date": str(issue.get("date") or "")[:10] or doc["date"],
                "url": issue.get("site_path") or doc["url"],
                "cover": cover_url(issue.get("cover")) or doc["cover"],
            })
            reading = issue.get("reading")
            docs += page_documents(docs[-1], reading, rows_of(reading), title, f"{key}:")
    elif item_type in ("series", "audio"):
        child = CHILD_PREFIXES[item_type]
        for episode in item.get("episodes") or []:
            docs.append({
                **doc,
                "key": f"{child}:{item['id']}:{episode.get('number')}",
                "type": child,
                "title": episode.get("title") or f"{doc['title']} 第{episode.get('number')}集",
                "summary": doc["title"],
                "body": episode.get("transcript") or "",
                "url": episode.get("site_path") or doc["url"],
                "cover": cover_url(episode.get("poster")) or doc["cover"],
            })
    return docs


def documents_for_items(items: Iterable[dict], pages: Mapping[int, list[dict]] | None = None) -> Iterator[dict]:
    for item in items:
        yield from documents_for_item(item, pages)


def child_key_prefix(item_type: str, page_id: int) -> str | None:
    """The key prefix of an item's child documents ("episode:7:"), or None for types without children."""
    child = CHILD_PREFIXES.get(item_type)
    return f"{child}:{page_id}:" if child else None
