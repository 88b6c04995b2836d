"""Reader: the static page-by-page reader of e-books and periodical issues.

Which documents have one (the API's `reading` field), their pages fetched once per document revision into
the build's cache folder, and the pages written for them: one per document page (`<item>/read/<n>/`) and,
for PDFs, a 「文字版」 without images holding TEXT_GROUP pages' text (`<item>/read/text/<k>/`), the cheapest
way to read on 2G. A document's pages are one PageGroup: unchanged (same revision, same item data, same
theme) they are neither loaded nor hashed again, which keeps incremental builds of a 400,000-page library fast.

Images are linked, not downloaded: `/media/reader/…` names change with their bytes, and the public origin's
/media/ falls back to the CMS's guarded view, so a document made private loses its images at once.
"""

from __future__ import annotations

import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from .pages import Page, PageGroup, SiteConfig
from .source import Catalogue, CMSClient, fetch_reader_pages, media_path

logger = logging.getLogger(__name__)

TEXT_GROUP = 5  # PDF pages per 文字版 page: ~3,000 characters, well inside the 14 KB budget
CHAPTER_PART_CHARS = 5000  # an EPUB chapter is cut into parts of this much text: 14 KB gzipped holds ~7,000
CACHE_FOLDER = "reader"
_REVISION = re.compile(r"^[0-9A-Za-z_-]{1,128}$")  # it becomes part of a cache file name
_SENTENCE_END = ("。", "！", "？", "…", "”", "」", "：", "!", "?", ":")
_MID_SENTENCE = ("，", "、", "；", "（", "“", "「", "《", ",", ";", "-")


@dataclass(frozen=True)
class Reader:
    """One document read page by page, and where: `base` is "/books/12/read/" or "/periodicals/7/2021-03/read/"."""

    base: str
    title: str  # what the pages call the book or issue
    back_url: str  # the book's or issue's own page
    document_id: int
    revision: str
    format: str  # "pdf" | "epub"
    page_count: int
    item_id: int  # the CMS item study on these pages is credited to: the book, or the issue's periodical

    @property
    def cache_name(self) -> str:
        return f"{self.document_id}-{self.revision}.json"

    @property
    def text_pages(self) -> int:
        """How many 文字版 pages (EPUB chapters are text already: none)."""
        return -(-self.page_count // TEXT_GROUP) if self.format == "pdf" else 0

    def page_url(self, number: int) -> str:
        return f"{self.base}{number}/"

    def text_url(self, group: int) -> str:
        return f"{self.base}text/{group}/"

    def text_url_of_page(self, number: int) -> str:
        return f"{self.text_url((number - 1) // TEXT_GROUP + 1)}#p{number}"

    def part_url(self, number: int, part: int) -> str:
        """Where part `part` (from 1) of a long EPUB chapter is: the chapter's own URL, then `<n>/2/`, `<n>/3/`…"""
        return self.page_url(number) if part == 1 else f"{self.base}{number}/{part}/"

    def paths(self, parts: list[int] | None = None) -> list[str]:
        """Site paths of every file this reader writes; `parts`: how many parts each EPUB chapter is cut into."""
        parts = parts or [1] * self.page_count
        pages = [f"{self.part_url(n, p)}index.html" for n, count in enumerate(parts, start=1) for p in range(1, count + 1)]
        return pages + [f"{self.text_url(k)}index.html" for k in range(1, self.text_pages + 1)]


def reader_of(reading: object, base: str, title: str, back_url: str, item_id: int) -> Reader | None:
    """The Reader an API `reading` value describes, or None when it is null or not what the contract says."""
    if not isinstance(reading, dict):
        return None
    document_id, revision = reading.get("document_id"), str(reading.get("revision") or "")
    page_count, kind = reading.get("page_count"), reading.get("format")
    if not isinstance(document_id, int) or not isinstance(page_count, int) or page_count < 1:
        return None
    if kind not in ("pdf", "epub") or not _REVISION.match(revision):
        return None
    return Reader(base, title, back_url, document_id, revision, kind, page_count, item_id)


def issue_title(periodical: dict, issue: dict) -> str:
    return f"{periodical['title']} {issue['year']}年第{issue['number']}期"


def readers_of(catalogue: Catalogue) -> list[Reader]:
    """Every reader the catalogue asks for: e-books and periodical issues whose `reading` is not null."""
    readers = []
    for book in catalogue.items.get("ebooks", []):
        found = reader_of(book.get("reading"), f"{book['site_path']}read/", book["title"], book["site_path"], book["id"])
        readers += [found] if found else []
    for periodical in catalogue.items.get("periodicals", []):
        for issue in periodical.get("issues", []):
            found = reader_of(
                issue.get("reading"), f"{issue['site_path']}read/", issue_title(periodical, issue), issue["site_path"],
                periodical["id"],
            )
            readers += [found] if found else []
    return readers


def cache_folder(cache_dir: Path) -> Path:
    return Path(cache_dir) / CACHE_FOLDER


def fetch_readers(client: CMSClient, readers: list[Reader], cache_dir: Path, *, workers: int = 4) -> tuple[list[Reader], int]:
    """Make sure each reader's pages are in the cache, fetching only documents at a revision not cached yet.

    Returns the readers whose pages are there (a document the API no longer serves, or whose pages do not
    add up to its page_count, is left out and retried next build) and how many documents were fetched.
    Cache files of revisions no reader wants any more are deleted.
    """
    folder = cache_folder(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # One fetch per document revision, however many books or issues read it.
    missing = list({r.cache_name: r for r in readers if not (folder / r.cache_name).is_file()}.values())

    def fetch(reader: Reader) -> bool:
        rows = fetch_reader_pages(client, reader.document_id)
        if rows is None or len(rows) != reader.page_count:
            logger.warning(
                "Reader pages of document %s not used: the API served %s of %d pages",
                reader.document_id, "none" if rows is None else len(rows), reader.page_count,
            )
            return False
        rows = sorted(rows, key=lambda row: row.get("number") or 0)
        partial = folder / (reader.cache_name + ".part")
        partial.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, folder / reader.cache_name)
        return True

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reader") as pool:
        failed = {reader.cache_name for reader, ok in zip(missing, pool.map(fetch, missing), strict=True) if not ok}
    wanted = {reader.cache_name for reader in readers}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name not in wanted:
                os.unlink(entry.path)
    return [reader for reader in readers if reader.cache_name not in failed], len(missing)


def without_missing_readers(catalogue: Catalogue, available: list[Reader]) -> Catalogue:
    """The catalogue with `reading` set to null where the reader pages could not be had, so no page links to them."""
    have = {reader.base for reader in available}

    def checked(row: dict) -> dict:
        if row.get("reading") is not None and f"{row['site_path']}read/" not in have:
            return {**row, "reading": None}
        return row

    items = dict(catalogue.items)
    items["ebooks"] = [checked(book) for book in items.get("ebooks", [])]
    items["periodicals"] = [
        {**p, "issues": [checked(issue) for issue in p["issues"]]} if p.get("issues") else p
        for p in items.get("periodicals", [])
    ]
    return replace(catalogue, items=items)


def paragraphs(text: str, kind: str) -> list[str]:
    """A page's text as paragraphs. EPUB text has one paragraph per line. PDF text has a line break at the end of
    every printed line, so lines are joined back: a paragraph starts at an indented line (Chinese typesetting
    indents with two ideographic spaces) and ends after a line that ends a sentence short of the full width;
    a short line that does not end mid-sentence (a running head, a page number, a chapter title) stands alone."""
    raw = [line.rstrip() for line in (text or "").replace("\r", "\n").split("\n")]
    raw = [line for line in raw if line.strip()]
    if kind != "pdf":
        return [line.strip() for line in raw]
    full = max((len(line.strip()) for line in raw), default=0)
    result, current = [], ""
    for line in raw:
        indented = line.startswith(("\u3000", "  "))
        line = line.strip()
        if indented and current:
            result.append(current)
            current = ""
        joiner = " " if current and current[-1].isascii() and current[-1].isalnum() and line[0].isascii() else ""
        current += joiner + line
        short = len(line) < full * 0.9
        if (short and line.endswith(_SENTENCE_END)) or (len(line) < full * 0.6 and not line.endswith(_MID_SENTENCE)):
            result.append(current)
            current = ""
    return result + ([current] if current else [])


def chapter_parts(paragraphs: list[str]) -> list[list[str]]:
    """An EPUB chapter cut at paragraph ends into parts of at most CHAPTER_PART_CHARS characters (a paragraph longer
    than that stays whole), so each reader page stays within the 14 KB budget; a short chapter is one part."""
    parts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for paragraph in paragraphs:
        if current and size + len(paragraph) > CHAPTER_PART_CHARS:
            parts.append(current)
            current, size = [], 0
        current.append(paragraph)
        size += len(paragraph)
    return [*parts, current] if current or not parts else parts


def page_image(row: dict) -> dict | None:
    """The <img> of a page: the 720-px WebP with a 360-px one in srcset, or None (EPUB, or no usable image)."""
    large, small = row.get("image"), row.get("image_small")
    if not isinstance(large, dict) or not large.get("url") or not large.get("width") or not large.get("height"):
        return None
    candidates = [small, large] if isinstance(small, dict) and small.get("url") and small.get("width") else [large]
    return {
        "src": media_path(large["url"]),
        "srcset": ", ".join(f"{media_path(c['url'])} {int(c['width'])}w" for c in candidates),
        "width": int(large["width"]),
        "height": int(large["height"]),
    }


def reader_pages(reader: Reader, rows: list[dict], config: SiteConfig) -> list[Page]:
    """The HTML pages of one reader from its cached API rows (sorted by number)."""
    book = {
        "title": reader.title, "url": reader.back_url, "base": reader.base, "page_count": reader.page_count,
        "format": reader.format, "jump_url": f"{config.search_url}read/", "item_id": reader.item_id,
    }
    # Screens in reading order: a PDF page is one, an EPUB chapter one per part.
    screens = []
    for number, row in enumerate(rows, start=1):
        text = paragraphs(str(row.get("text") or ""), reader.format)
        parts = chapter_parts(text) if reader.format == "epub" else [text]
        screens += [(number, part, len(parts), row, chunk) for part, chunk in enumerate(parts, start=1)]
    urls = [reader.part_url(number, part) for number, part, *_rest in screens]
    pages = []
    for i, (number, part, part_count, row, chunk) in enumerate(screens):
        entry = {"number": number, "title": str(row.get("title") or ""), "paragraphs": chunk, "part": part, "parts": part_count}
        unit = "章" if reader.format == "epub" else "页"
        context = {
            "title": f"{reader.title} 第{number}{unit}" + (f" {entry['title']}" if entry["title"] else "")
            + (f"（{part}/{part_count}）" if part_count > 1 else ""),
            "book": book,
            "entry": entry,
            "image": page_image(row),
            "previous_url": urls[i - 1] if i > 0 else "",
            "next_url": urls[i + 1] if i + 1 < len(urls) else "",
            # 上一章/下一章 where the button crosses into another chapter, 上一页/下一页 within one (and for PDFs).
            "previous_label": f"上一{unit if part == 1 else '页'}",
            "next_label": f"下一{unit if i + 1 < len(screens) and screens[i + 1][1] == 1 else '页'}",
            "text_url": reader.text_url_of_page(number) if reader.text_pages else "",
        }
        pages.append(Page(urls[i], "reader", context, in_sitemap=False))
    for group in range(1, reader.text_pages + 1):
        first = (group - 1) * TEXT_GROUP + 1
        chunk = rows[first - 1 : first - 1 + TEXT_GROUP]
        last = first + len(chunk) - 1
        entries = [
            {"number": n, "title": str(row.get("title") or ""), "paragraphs": paragraphs(str(row.get("text") or ""), reader.format),
             "url": reader.page_url(n)}
            for n, row in enumerate(chunk, start=first)
        ]
        context = {
            "title": f"{reader.title} 文字版 第{first}–{last}页" if last > first else f"{reader.title} 文字版 第{first}页",
            "book": book,
            "entries": entries,
            "first": first,
            "last": last,
            "previous_url": reader.text_url(group - 1) if group > 1 else "",
            "next_url": reader.text_url(group + 1) if group < reader.text_pages else "",
        }
        pages.append(Page(reader.text_url(group), "reader_text", context, in_sitemap=False))
    return pages


def reader_groups(readers: list[Reader], cache_dir: Path, config: SiteConfig) -> list[PageGroup]:
    """One PageGroup per reader: its pages are built from the cache file only when the group must be rendered."""
    folder = cache_folder(cache_dir)

    def rows_of(reader: Reader) -> list[dict]:
        return json.loads((folder / reader.cache_name).read_text(encoding="utf-8"))

    def loader(reader: Reader):
        return lambda: reader_pages(reader, rows_of(reader), config)

    def paths(reader: Reader) -> list[str]:
        if reader.format != "epub":
            return reader.paths()
        # How many parts each chapter has depends on its text: read from the cache (EPUBs are few and small).
        return reader.paths([len(chapter_parts(paragraphs(str(row.get("text") or ""), "epub"))) for row in rows_of(reader)])

    # The cache file's name holds the revision, so the reader itself stands for the pages' text.
    return [PageGroup(reader.base, (reader, config.search_url), paths(reader), loader(reader)) for reader in readers]
