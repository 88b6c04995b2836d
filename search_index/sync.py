"""Feed the index from the CMS's public API over HTTP: a full rebuild, or one item after a publish.

Reads the API with the site builder's client (retries, clear errors); never touches the page models,
so drafts and district-only items cannot leak in: the API does not serve them.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

from site_builder.source import ITEM_TYPES, CMSClient, CMSUnavailable, fetch_reader_pages

from . import indexer
from .documents import ITEM_TYPES as INDEXED_TYPES
from .documents import child_key_prefix, documents_for_item, documents_for_items, item_key, readings

logger = logging.getLogger(__name__)
LABELS_FILE = "labels.json"


def fetch_items(client: CMSClient) -> list[dict]:
    """Every public item of every type, with all fields, as the API lists them."""
    items: list[dict] = []
    for page_type in ITEM_TYPES:
        items += client.get_all("pages/", {"type": page_type, "fields": "*", "order": "id"})
    return items


def fetch_pages(client: CMSClient, items: list[dict], *, workers: int = 4) -> dict[int, list[dict]]:
    """The reader pages (their text) of every document the items read page by page, by document id; a document the
    API stopped serving meanwhile is simply left out."""
    ids = sorted({reading["document_id"] for item in items for reading in readings(item)})
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pages") as pool:
        found = pool.map(lambda document_id: fetch_reader_pages(client, document_id), ids)
        return {document_id: rows for document_id, rows in zip(ids, found, strict=True) if rows}


def write_labels(client: CMSClient, index_dir: Path) -> None:
    """Column and district names by slug, so facets read 四个自信 rather than sige-zixin."""
    labels = {
        "column": {c["slug"]: c["name"] for c in client.get_all("columns/")},
        "district": {d["slug"]: d["name"] for d in client.get_all("districts/")},
    }
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".{LABELS_FILE}.tmp"
    tmp.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    tmp.replace(index_dir / LABELS_FILE)


def read_labels(index_dir: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads((Path(index_dir) / LABELS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"column": {}, "district": {}}


def rebuild(api_url: str, index_dir: Path, extra_terms: list[str]) -> dict:
    """Fetch the whole public catalogue and build a new index generation (swapped in atomically)."""
    started = time.perf_counter()
    client = CMSClient(api_url)
    items = fetch_items(client)
    pages = fetch_pages(client, items)
    fetched = time.perf_counter()
    write_labels(client, Path(index_dir))
    report = indexer.build_index(documents_for_items(items, pages), Path(index_dir), extra_terms)
    return {
        "items": len(items),
        "pages": sum(map(len, pages.values())),
        "documents": report.doc_count,
        "fetch_seconds": round(fetched - started, 3),
        "index_seconds": report.seconds,
        "size_bytes": report.size_bytes,
        "generation": report.generation,
        "dictionary_version": report.dictionary_version,
    }


def fetch_item(client: CMSClient, page_id: int) -> dict | None:
    """One public item by id, or None when the API does not serve it (unpublished, deleted, private)."""
    response = client.get(urljoin(client.api_url, f"pages/{int(page_id)}/"))
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise CMSUnavailable(f"The CMS answered {response.status_code} for page {page_id}.")
    return response.json()


def all_keys_of(page_id: int, index_dir: Path) -> list[str]:
    """Every key an item with this id may have in the index, whatever its type."""
    keys = [item_key(t, page_id) for t in INDEXED_TYPES]
    for item_type in INDEXED_TYPES:
        prefix = child_key_prefix(item_type, page_id)
        if prefix:
            keys += indexer.keys_with_prefix(index_dir, prefix)
    return keys


def sync_item(api_url: str, index_dir: Path, page_id: int) -> dict:
    """Bring one item's documents in the index in line with what the API serves now."""
    index_dir = Path(index_dir)
    client = CMSClient(api_url)
    item = fetch_item(client, page_id)
    old_keys = set(all_keys_of(page_id, index_dir))
    docs = documents_for_item(item, fetch_pages(client, [item])) if item else []
    new_keys = {doc["key"] for doc in docs}
    gone = sorted(old_keys - new_keys)
    deleted = indexer.delete_documents(gone, index_dir) if gone else 0
    updated = indexer.update_documents(docs, index_dir) if docs else 0
    return {"page_id": page_id, "updated": updated, "deleted": deleted}
