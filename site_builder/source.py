"""Fetch: read the published catalogue from the CMS's public API (v2) over HTTP, and its cover images.

Nothing here imports Django: the builder can run on any machine that can reach the API.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlparse

import requests

logger = logging.getLogger(__name__)

PAGE_LIMIT = 500  # the CMS allows up to WAGTAILAPI_LIMIT_MAX = 500 per request
FETCH_WORKERS = 4  # API requests at a time: the CMS serialises one while the builder parses another
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubles each time
TIMEOUT = (5, 120)  # connect, read: a 500-item page of video series takes a few seconds to serialise

# API page type → the key the catalogue keeps its items under.
ITEM_TYPES = {
    "content_models.EBookPage": "ebooks",
    "content_models.PeriodicalPage": "periodicals",
    "content_models.VideoSeriesPage": "series",
    "content_models.AudioSeriesPage": "audio",
    "content_models.MapSitePage": "sites",
    "content_models.NewsPage": "news",
    "activities.ActivityPage": "activities",
}


class CMSUnavailable(RuntimeError):
    """The CMS could not be reached or did not answer like the CMS; the message says what to do."""


@dataclass
class Catalogue:
    """Everything public the site shows: columns and districts in editor order, items by kind sorted by id."""

    columns: list[dict]
    districts: list[dict]
    items: dict[str, list[dict]] = field(default_factory=dict)
    media_version: str = ""  # the CMS's digest of restricted files (api visibility/): a change means refetch all
    banner: dict | None = None  # the home page's banner (api frontpage/): title, text, url, page_id; fetched every build

    def all_items(self) -> list[dict]:
        return [item for kind in ITEM_TYPES.values() for item in self.items.get(kind, [])]


@dataclass(frozen=True)
class HotWord:
    """A hot word for the home page; `results` (top hits) when the search service pre-computed them."""

    word: str
    url: str
    results: tuple[dict, ...] = ()


class CMSClient:
    """A small JSON-over-HTTP client for the CMS API with retries on network errors and 5xx answers."""

    def __init__(
        self,
        api_url: str,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/") + "/"
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "dangshi-site-builder"})

    def get(self, url: str, *, params: dict | None = None, stream: bool = False) -> requests.Response:
        """GET with retries; raises CMSUnavailable with a plain explanation when it keeps failing."""
        for attempt in range(1, self.attempts + 1):
            problem = ""
            try:
                response = self.session.get(url, params=params, timeout=TIMEOUT, stream=stream)
            except requests.RequestException as error:
                problem = f"could not connect ({error.__class__.__name__})"
            else:
                if response.status_code < 500:
                    return response
                problem = f"the server answered {response.status_code}"
                response.close()
            if attempt < self.attempts:
                delay = self.backoff * 2 ** (attempt - 1)
                logger.warning("CMS request %s failed: %s; retrying in %.1f s", url, problem, delay)
                time.sleep(delay)
        raise CMSUnavailable(
            f"The CMS at {self.api_url} is not answering ({problem}, {self.attempts} attempts). "
            "Check that the CMS is running and that --api points to its /api/v2/ address."
        )

    def get_json(self, endpoint: str, params: dict | None = None) -> dict:
        """One API answer as a dict; anything that is not the CMS's JSON becomes CMSUnavailable."""
        url = urljoin(self.api_url, endpoint)
        response = self.get(url, params=params)
        if response.status_code != 200:
            raise CMSUnavailable(
                f"The CMS answered {response.status_code} for {response.url}. "
                "Check that --api points to the CMS's /api/v2/ address."
            )
        try:
            data = response.json()
        except (ValueError, json.JSONDecodeError):
            kind = response.headers.get("Content-Type", "unknown content")
            raise CMSUnavailable(
                f"{response.url} did not return JSON (it sent {kind}). "
                "This is probably not the CMS API: check the --api address (it ends in /api/v2/)."
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise CMSUnavailable(f"{response.url} returned JSON without an 'items' list; is this the CMS's /api/v2/ address?")
        return data

    def get_all(self, endpoint: str, params: dict | None = None) -> list[dict]:
        """Every item of a listing endpoint, paging with limit/offset until total_count is reached."""
        return self.get_many([(endpoint, params or {})])[0]

    def get_many(self, listings: list[tuple[str, dict]], *, workers: int = FETCH_WORKERS) -> list[list[dict]]:
        """get_all() of several listings, their pages asked for `workers` at a time: the first page of each says
        how many there are, then all the others at once. A listing that changed meanwhile is completed page by page."""

        def page(listing: tuple[str, dict], offset: int) -> dict:
            endpoint, params = listing
            return self.get_json(endpoint, {**params, "limit": PAGE_LIMIT, "offset": offset})

        def total(answer: dict) -> int:
            return answer.get("meta", {}).get("total_count", len(answer["items"]))

        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
            firsts = list(pool.map(lambda listing: page(listing, 0), listings))
            # The server's page size (it may cap `limit`) is what the first answer holds.
            rest = [(i, offset) for i, first in enumerate(firsts) if first["items"]
                    for offset in range(len(first["items"]), total(first), len(first["items"]))]
            answers = list(pool.map(lambda job: page(listings[job[0]], job[1]), rest))
        results = [list(first["items"]) for first in firsts]
        for (i, _), answer in zip(rest, answers, strict=True):
            results[i].extend(answer["items"])
        for i, items in enumerate(results):
            while firsts[i]["items"] and len(items) < total(firsts[i]):
                more = page(listings[i], len(items))["items"]
                if not more:
                    break
                items.extend(more)
        return results


def fetch_catalogue(client: CMSClient) -> Catalogue:
    """Columns, districts and every public item of each type, sorted by id so builds are repeatable."""
    return fetch_catalogue_incremental(client, None)[0]


# What tells whether a cached item is still current (media_revision: its episodes' renditions finished since;
# reading_revision: its documents' reader pages finished or changed since).
LISTING_FIELDS = "_,id,last_published_at,district,related_ids,media_revision,reading_revision"
IDS_PER_REQUEST = 100  # ids=… per request: keeps URLs short (the CMS allows up to 500)
CATALOGUE_CACHE_VERSION = 2


@dataclass
class FetchStats:
    """How a catalogue was fetched: all of it, or the cached one plus what changed."""

    full: bool = True
    reason: str = ""  # why a full fetch (no cache, columns or districts changed, forced)
    items: int = 0  # items fetched with every field
    removed: int = 0  # cached items no longer public


def fetch_items_by_id(client: CMSClient, wanted: dict[str, list[int]]) -> dict[str, list[dict]]:
    """Every field of the given live public items by page type (absent ones are simply missing from the answer)."""
    listings, types = [], []
    for page_type, ids in wanted.items():
        for start in range(0, len(ids), IDS_PER_REQUEST):
            chunk = ids[start : start + IDS_PER_REQUEST]
            listings.append(("pages/", {"type": page_type, "fields": "*", "order": "id", "ids": ",".join(map(str, chunk))}))
            types.append(page_type)
    found: dict[str, list[dict]] = {page_type: [] for page_type in wanted}
    for page_type, items in zip(types, client.get_many(listings), strict=True):
        found[page_type] += items
    return found


def _by_id(items: list[dict]) -> list[dict]:
    """Items sorted by id, each once (a page asked for while items were published may repeat one)."""
    return sorted({item["id"]: item for item in items}.values(), key=lambda item: item["id"])


def fetch_catalogue_incremental(
    client: CMSClient, cached: Catalogue | None
) -> tuple[Catalogue, FetchStats]:
    """The same catalogue fetch_catalogue() returns, fetching in full only the items that changed since `cached`.

    Columns, districts and the home page's banner are always fetched (small requests); when they differ from the cache
    (a rename, a new column), everything is fetched again, since items embed their names. Otherwise one
    cheap listing per type (id, last_published_at, district, related_ids) says which items are new,
    republished, moved to another district or now related to other public items (fetched with every field), and which are gone (unpublished, deleted,
    made district-only or private). Everything else comes from the cache.
    """
    columns = client.get_all("columns/")
    districts = client.get_all("districts/")
    media_version = str(client.get_json("visibility/").get("meta", {}).get("media_version", ""))
    banner = next(iter(client.get_json("frontpage/")["items"]), None)
    reason = ""  # why everything is fetched
    if cached is None:
        reason = "no earlier catalogue"
    elif columns != cached.columns or districts != cached.districts:
        reason = "columns or districts changed"
    elif media_version != cached.media_version:
        reason = "files became private or public"
    if reason:
        catalogue = Catalogue(columns=columns, districts=districts, media_version=media_version, banner=banner)
        listings = [("pages/", {"type": page_type, "fields": "*", "order": "id"}) for page_type in ITEM_TYPES]
        for kind, items in zip(ITEM_TYPES.values(), client.get_many(listings), strict=True):
            catalogue.items[kind] = _by_id(items)
        return catalogue, FetchStats(full=True, reason=reason, items=len(catalogue.all_items()))

    stats = FetchStats(full=False)
    catalogue = Catalogue(columns=columns, districts=districts, media_version=media_version, banner=banner)
    listings = client.get_many([("pages/", {"type": page_type, "fields": LISTING_FIELDS, "order": "id"}) for page_type in ITEM_TYPES])
    known_by_type = {page_type: {item["id"]: item for item in cached.items.get(kind, [])} for page_type, kind in ITEM_TYPES.items()}
    changed: dict[str, list[int]] = {}
    for page_type, listing in zip(ITEM_TYPES, listings, strict=True):
        known = known_by_type[page_type]
        changed[page_type] = sorted(
            row["id"]
            for row in listing
            if row["id"] not in known
            or known[row["id"]].get("last_published_at") != row.get("last_published_at")
            or known[row["id"]].get("district") != row.get("district")
            or known[row["id"]].get("related_ids") != row.get("related_ids")
            or known[row["id"]].get("media_revision") != row.get("media_revision")
            or known[row["id"]].get("reading_revision") != row.get("reading_revision")
        )
    fetched = fetch_items_by_id(client, {page_type: ids for page_type, ids in changed.items() if ids})
    for (page_type, kind), listing in zip(ITEM_TYPES.items(), listings, strict=True):
        known = known_by_type[page_type]
        fresh = {item["id"]: item for item in fetched.get(page_type, [])}
        stale = set(changed[page_type])
        live = {row["id"] for row in listing}
        items = [fresh[i] if i in fresh else known[i] for i in sorted(live) if i in fresh or (i in known and i not in stale)]
        stats.items += len(fresh)
        stats.removed += len(set(known) - {item["id"] for item in items})
        catalogue.items[kind] = items
    return catalogue, stats


def fetch_reader_pages(client: CMSClient, document_id: int) -> list[dict] | None:
    """Every reader page of a document (reader_pages/ endpoint, 500 a request), or None when the API does not serve
    them: the document stopped being public or processed after the item's `reading` was read."""
    url = urljoin(client.api_url, "reader_pages/")
    rows: list[dict] = []
    while True:
        response = client.get(url, params={"document": int(document_id), "limit": PAGE_LIMIT, "offset": len(rows)})
        if response.status_code == 404:
            return None
        try:
            data = response.json() if response.status_code == 200 else None
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise CMSUnavailable(f"The CMS answered {response.status_code} without reader pages for {response.url}.")
        rows += data["items"]
        if not data["items"] or len(rows) >= data.get("meta", {}).get("total_count", len(rows)):
            return rows


def catalogue_to_json(catalogue: Catalogue, api_url: str) -> dict:
    return {
        "version": CATALOGUE_CACHE_VERSION,
        "api_url": api_url,
        "columns": catalogue.columns,
        "districts": catalogue.districts,
        "items": catalogue.items,
        "media_version": catalogue.media_version,
    }


def catalogue_from_json(data: object, api_url: str) -> Catalogue | None:
    """The cached catalogue, or None when it is missing, from another CMS or in an older format."""
    if not isinstance(data, dict) or data.get("version") != CATALOGUE_CACHE_VERSION or data.get("api_url") != api_url:
        return None
    try:
        return Catalogue(
            columns=list(data["columns"]), districts=list(data["districts"]), items=dict(data["items"]),
            media_version=str(data.get("media_version", "")),
        )
    except (KeyError, TypeError):
        return None


def load_hot_words(source: str | None, client: CMSClient, search_url: str) -> list[HotWord]:
    """Hot words from a JSON file or URL (the search service's /api/hotwords/), or [] when none is configured.

    Accepted JSON: a list of words, a list of {"word", "url"?, "results"?} objects, or {"hot_words": [...]}.
    Without a url a word links to the search page; a URL source is asked for each word's top results,
    so /hot/<slug>/ pages can be pre-rendered from the same single request.
    """
    if not source:
        return []
    if urlparse(source).scheme in ("http", "https"):
        response = client.get(source, params={"with_results": "1"})
        if response.status_code != 200:
            raise CMSUnavailable(f"The hot-word list at {source} answered {response.status_code}.")
        try:
            data = response.json()
        except ValueError:
            raise CMSUnavailable(f"The hot-word list at {source} is not JSON.") from None
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    entries = data.get("hot_words", []) if isinstance(data, dict) else data
    words = []
    for entry in entries:
        entry = {"word": entry} if isinstance(entry, str) else entry
        word = entry.get("word", "") if isinstance(entry, dict) else ""
        if not word:
            continue
        url = entry.get("url") or f"{search_url}?q={quote(word)}"
        words.append(HotWord(word=word, url=url, results=tuple(entry.get("results") or ())))
    return words


def media_path(url: str) -> str:
    """Where a media URL's file lives in the built site: its URL path, made safe ("/media/images/x.webp")."""
    parts = [p for p in unquote(urlparse(url).path).split("/") if p not in ("", ".", "..")]
    if not parts:
        raise ValueError(f"media URL without a file name: {url!r}")
    return "/" + "/".join(parts)


def download_media(
    client: CMSClient, urls: Iterable[str], out_dir: Path, *, workers: int = 4, downloaded: set[str] | None = None
) -> list[str]:
    """Download each media URL (relative ones against the API host) into out_dir at media_path(url).

    A file already there from an earlier build is reused: rendition names change when the image does.
    Returns the site paths of every file, downloaded or reused; those downloaded are added to `downloaded`.
    """
    wanted = {media_path(url): url for url in urls}

    def fetch(site_path: str) -> None:
        target = out_dir / site_path.lstrip("/")
        if target.is_file() and target.stat().st_size > 0:
            return
        response = client.get(urljoin(client.api_url, wanted[site_path]))
        if response.status_code != 200:
            raise CMSUnavailable(f"Could not download the image {wanted[site_path]}: the server answered {response.status_code}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(response.content)
        os.replace(partial, target)  # never leave a half-written image under its real name
        if downloaded is not None:
            downloaded.add(site_path)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media") as pool:
        list(pool.map(fetch, sorted(wanted)))
    return sorted(wanted)
