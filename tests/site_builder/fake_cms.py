"""A stand-in for the CMS's public API over real HTTP, serving a catalogue the test shapes: for builder tests of
API fields whose CMS side is not the point of the test (e.g. the reader contract's `reading` and reader_pages/)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ITEM_TYPES = {
    "content_models.EBookPage": "ebooks",
    "content_models.PeriodicalPage": "periodicals",
    "content_models.VideoSeriesPage": "series",
    "content_models.MapSitePage": "sites",
    "content_models.NewsPage": "news",
    "content_models.AudioSeriesPage": "audio",
}


class FakeCMS:
    """`items` by catalogue kind, `reader_pages` by document id; change them between builds. `requests` logs paths."""

    def __init__(self) -> None:
        self.columns = [{"id": 1, "slug": "sige-zixin", "name": "四个自信", "description": ""}]
        self.districts = [{"id": 1, "slug": "nanguan", "name": "南关区"}]
        self.items: dict[str, list[dict]] = {}
        self.reader_pages: dict[int, list[dict]] = {}
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                fake.requests.append(self.path)
                status, body = fake.answer(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict]:
        endpoint = path.removeprefix("/api/v2/")
        limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
        if endpoint == "columns/":
            rows = self.columns
        elif endpoint == "districts/":
            rows = self.districts
        elif endpoint in ("visibility/", "frontpage/"):
            return 200, {"meta": {"total_count": 0, "media_version": "v1"}, "items": []}
        elif endpoint == "pages/":
            rows = self.items.get(ITEM_TYPES.get(query.get("type", ""), ""), [])
            if "ids" in query:
                wanted = {int(i) for i in query["ids"].split(",")}
                rows = [row for row in rows if row["id"] in wanted]
            if query.get("fields", "*") != "*":
                names = [f for f in query["fields"].split(",") if f != "_"]
                rows = [{"id": row["id"], **{f: row.get(f) for f in names}} for row in rows]
        elif endpoint == "reader_pages/":
            rows = self.reader_pages.get(int(query.get("document", 0)))
            if rows is None:
                return 404, {"message": "Not found"}
        elif (found := re.fullmatch(r"pages/([0-9]+)/", endpoint)) is not None:
            item = next((row for rows in self.items.values() for row in rows if row["id"] == int(found[1])), None)
            return (200, item) if item else (404, {"message": "Not found"})
        else:
            return 404, {"message": "Not found"}
        return 200, {"meta": {"total_count": len(rows)}, "items": rows[offset : offset + limit]}
