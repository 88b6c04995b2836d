"""The Whoosh schema and the document shape the indexer accepts (one flat dict per searchable thing).

Document keys (all but key/type optional):
    key      "ebook:12" — unique across the index
    type     "ebook" | "periodical" | "issue" | "series" | "episode" | "audio" | "audio_episode" | "site" | "news" | "activity" | other slug
    title, people (authors / speakers), summary, body (plain text: body / transcript / contents)
    columns  ["sige-zixin", ...] column slugs;  district "nanguan" or "";  tags [str]
    labels   ["四个自信", "南关区"]: the names of its columns and district, searched like tags
    date     "2021-07-01" or "";  url "/books/12/";  cover "/media/...webp" or ""
    heading  what a hit shows when the document has no title of its own (a book's page: 「《书名》第 37 页」); not searched
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import ChineseAnalyzer

# Fields searched for each query word, with the boost applied at index time. A column or district
# name says which shelf an item is on: more than a mention in its text, less than its own tags,
# which an editor chose for this one item.
TEXT_FIELDS: tuple[str, ...] = ("title", "people", "tags", "labels", "summary", "body")
FIELD_BOOSTS = {"title": 3.0, "people": 1.5, "tags": 1.5, "labels": 1.2, "summary": 1.3, "body": 1.0}

# A page of a book or issue read page by page (documents.page_documents): its text in PAGE_TEXT_FIELD and nothing else
# searched, so ranking averages the other fields' lengths without these (Snapshot.avg_length).
PAGE_TYPE, PAGE_TEXT_FIELD = "page", "body"
KNOWN_TYPES = ("ebook", "periodical", "issue", "series", "episode", "audio", "audio_episode", "site", "news", "activity", "page")

# How much of summary+body is kept as a stored excerpt to cut snippets from. The body itself
# is indexed but not stored: e-book contents and transcripts would triple the index size.
EXCERPT_CHARS = 3000

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def build_schema(terms: Iterable[str]) -> Schema:
    """The index schema; `terms` is the effective dictionary the text analyzer is pickled with."""
    analyzer = ChineseAnalyzer(terms)

    def text(boost: float, stored: bool) -> TEXT:
        return TEXT(analyzer=analyzer, stored=stored, phrase=True, field_boost=boost)

    return Schema(
        key=ID(stored=True, unique=True),
        type=ID(stored=True, sortable=True),
        # Multi-valued: "a,b" is split on commas. Facets over it need allow_overlap=True.
        columns=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        district=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        title=text(FIELD_BOOSTS["title"], stored=True),
        people=text(FIELD_BOOSTS["people"], stored=True),
        tags=text(FIELD_BOOSTS["tags"], stored=True),
        labels=text(FIELD_BOOSTS["labels"], stored=True),
        summary=text(FIELD_BOOSTS["summary"], stored=False),
        body=text(FIELD_BOOSTS["body"], stored=False),
        excerpt=STORED(),
        heading=STORED(),
        url=STORED(),
        cover=STORED(),
    )


def _text(doc: Mapping[str, Any], name: str, where: str) -> str:
    value = doc.get(name) or ""
    if not isinstance(value, str):
        raise TypeError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
    return value


def _string_list(doc: Mapping[str, Any], name: str, where: str) -> list[str]:
    value = doc.get(name) or []
    if isinstance(value, str):
        raise TypeError(f"{where}: field {name!r} must be a list of strings, not a single string")
    items = [str(v).strip() for v in value if v is not None and str(v).strip()]
    return items


def to_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Validate one API document and turn it into Whoosh field values.

    Raises ValueError (bad value) or TypeError (wrong kind of value) naming the document and field, so a bad record in a bulk import can be
    found and fixed in the CMS.
    """
    if not isinstance(doc, Mapping):
        raise TypeError(f"a search document must be a dict, got {type(doc).__name__}")
    key = doc.get("key")
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"search document without a 'key' (title: {doc.get('title')!r})")
    where = f"search document {key!r}"
    doc_type = _text(doc, "type", where)
    if not _SLUG.match(doc_type):
        raise ValueError(f"{where}: 'type' must be a lowercase slug such as 'ebook', got {doc_type!r}")
    columns = _string_list(doc, "columns", where)
    for column in columns:
        if not _SLUG.match(column):
            raise ValueError(f"{where}: column {column!r} is not a lowercase slug")
    district = _text(doc, "district", where)
    if district and not _SLUG.match(district):
        raise ValueError(f"{where}: district {district!r} is not a lowercase slug")
    date = _text(doc, "date", where)
    if date and not _DATE.match(date):
        raise ValueError(f"{where}: date {date!r} is not YYYY-MM-DD")
    summary = _text(doc, "summary", where)
    body = _text(doc, "body", where)
    tags = _string_list(doc, "tags", where)
    labels = _string_list(doc, "labels", where)
    fields: dict[str, Any] = {
        "key": key,
        "type": doc_type,
        "columns": ",".join(columns),
        "district": district,
        "date": date,
        "title": _text(doc, "title", where),
        "people": _text(doc, "people", where),
        "tags": "\n".join(tags),
        "labels": "\n".join(labels),
        "summary": summary,
        "body": body,
        "excerpt": (summary + "\n" + body)[:EXCERPT_CHARS].strip(),
        "url": _text(doc, "url", where),
        "cover": _text(doc, "cover", where),
        "heading": _text(doc, "heading", where),
    }
    # Empty values are left out rather than indexed as an empty term ("" would become a
    # facet value); readers treat a missing stored field as "".
    return {name: value for name, value in fields.items() if value != ""}
