"""The demo's one public origin: the built site from its folder, the dynamic paths proxied to the application.

Production does the same routing with nginx; DYNAMIC_PREFIXES and FALLBACK_PREFIXES are the one list
both follow. The admin, the content API and previews stay on the CMS host and are never routed here.
"""

from __future__ import annotations

import http.client
import json
import logging
import mimetypes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

logger = logging.getLogger(__name__)

# Answered by the application on the public origin: search, and the members' paths (archive, study beats, page views).
DYNAMIC_PREFIXES: tuple[str, ...] = (
    "/search/", "/api/search/", "/api/suggest/", "/api/hotwords/", "/me/", "/api/me/", "/api/learning/", "/api/stats/",
)
# The build folder first, the application when the file is not there: covers are in the build, but
# documents and images in rich text are served by the CMS's guarded /media/ view; a hot word newer
# than the last build has no page yet and is rendered live.
FALLBACK_PREFIXES: tuple[str, ...] = ("/media/", "/hot/")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
# Headers about one connection, not the message (RFC 9110 §7.6.1); never passed on by a proxy.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "transfer-encoding", "upgrade",
})
# Set here from the connection itself, as nginx does: X-Forwarded-For gets the connecting address appended
# (its last entry is the one to trust, see cms/client_ip.py); the others are replaced.
FORWARDING = frozenset({"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"})
UPSTREAM_TIMEOUT_SECONDS = 30
MAX_BODY_BYTES = 20 * 1024 * 1024
CHUNK_BYTES = 64 * 1024

PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} - 党史学习资源库</title>
<style>body{{margin:0 auto;max-width:46rem;padding:1rem;font:19px/1.6 system-ui,sans-serif;color:#1a1a1a}}a{{color:#8b0000}}</style>
</head><body><h1>{title}</h1><p>{message}</p><p><a href="/">回到首页</a></p></body></html>
"""
MESSAGES = {
    404: ("抱歉，没有找到这个页面", "这个页面可能已经下线，或者网址有误。"),
    405: ("不支持这种请求", "这个网址只能浏览，不能提交。"),
    411: ("请求缺少长度", "提交的内容需要注明长度。"),
    413: ("提交的内容太大", "请减小文件后再试。"),
    502: ("服务暂时连不上", "搜索等服务暂时无法连接，网站的其他页面仍可正常浏览。请稍后再试。"),
    504: ("服务响应超时", "搜索等服务暂时没有响应，请稍后再试。"),
}


def site_path(target: str) -> str | None:
    """The decoded path of a request target; None unless it is a plain absolute path (no ./.. segment, NUL or backslash)."""
    if not target.startswith("/"):
        return None
    path = unquote(target.split("?", 1)[0].split("#", 1)[0])
    if "\x00" in path or "\\" in path or any(part in (".", "..") for part in path.split("/")):
        return None
    return path


def route(path: str) -> str:
    """"app", "fallback" (the build folder, then the app) or "static" for a decoded site path."""
    if any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in DYNAMIC_PREFIXES):
        return "app"
    if path.startswith(FALLBACK_PREFIXES):
        return "fallback"
    return "static"


def content_type(file: Path) -> str:
    suffix = file.suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"


class OneOriginServer(ThreadingHTTPServer):
    """Serves `root` (a built site) and proxies the dynamic paths to the application at `app_url`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, app_url: str) -> None:
        app = urlsplit(app_url)
        if app.scheme != "http" or not app.hostname:
            raise ValueError(f"the application must be an http:// address: {app_url!r}")
        self.root = Path(root).resolve()
        self.app_host, self.app_port = app.hostname, app.port or 80
        super().__init__(address, Router)

    def find_file(self, path: str) -> Path | str | None:
        """The file a site path names, "redirect" for a folder asked for without its slash, or None."""
        parts = [part for part in path.split("/") if part]
        if any(part.startswith(".") for part in parts):
            return None
        candidate = self.root.joinpath(*parts)
        if not path.endswith("/") and candidate.is_dir():
            return "redirect" if (candidate / "index.html").is_file() else None
        if path.endswith("/"):
            candidate = candidate / "index.html"
        resolved = candidate.resolve()
        return resolved if resolved.is_relative_to(self.root) and resolved.is_file() else None


class Router(BaseHTTPRequestHandler):
    server: OneOriginServer
    protocol_version = "HTTP/1.1"
    server_version = "dangshi-dev-router"

    def do_GET(self) -> None:
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def dispatch(self) -> None:
        path = site_path(self.path)
        if path is None:
            return self.send_not_found()
        where = route(path)
        if where == "app":
            return self.proxy()
        if self.command not in ("GET", "HEAD"):
            return self.send_page(405, {"Allow": "GET, HEAD"})
        found = self.server.find_file(path)
        if found == "redirect":
            # Rebuilt from the decoded path, so "//name" cannot become a redirect to another host.
            query = self.path.partition("?")[2]
            location = quote("/" + "/".join(part for part in path.split("/") if part) + "/") + (f"?{query}" if query else "")
            return self.send_page(301, {"Location": location})
        if isinstance(found, Path):
            return self.send_file(found)
        if where == "fallback":
            return self.proxy()
        return self.send_not_found()

    def send_file(self, file: Path, status: int = 200) -> None:
        with file.open("rb") as stream:
            size = file.stat().st_size
            self.send_response(status)
            self.send_header("Content-Type", content_type(file))
            self.send_header("Content-Length", str(size))
            # The demo shows a publish within seconds: browsers must ask again, not reuse a page.
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if self.command != "HEAD":
                while chunk := stream.read(CHUNK_BYTES):
                    self.wfile.write(chunk)

    def send_not_found(self) -> None:
        """The theme's 404 page from the build, or a plain one before the first build."""
        page = self.server.root / "404.html"
        if page.is_file():
            return self.send_file(page, 404)
        return self.send_page(404)

    def send_page(self, status: int, headers: dict[str, str] | None = None) -> None:
        title, message = MESSAGES.get(status, ("", ""))
        is_api = self.path.startswith("/api/")  # the JSON endpoints' clients read {"error": …}, as the app answers
        if not title:
            body = b""
        elif is_api:
            body = json.dumps({"error": title}, ensure_ascii=False).encode()
        else:
            body = PAGE.format(title=title, message=message).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8" if is_api else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def request_body(self) -> bytes | int | None:
        """The request's body, or the status that refuses it (411 for a chunked body, 413 when too big)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return 411
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 411
        if length > MAX_BODY_BYTES:
            return 413
        return self.rfile.read(length) if length > 0 else None

    def forwarded_headers(self) -> list[tuple[str, str]]:
        dropped = HOP_BY_HOP | FORWARDING | {
            name.strip().lower() for name in self.headers.get("Connection", "").split(",")
        }
        headers = [(name, value) for name, value in self.headers.items() if name.lower() not in dropped]
        client = self.client_address[0]
        earlier = ", ".join(self.headers.get_all("X-Forwarded-For") or [])
        return [
            *headers,
            ("X-Forwarded-For", f"{earlier}, {client}" if earlier else client),
            ("X-Real-IP", client),
            ("X-Forwarded-Host", self.headers.get("Host", "")),
            ("X-Forwarded-Proto", "http"),
            ("Connection", "close"),
        ]

    def proxy(self) -> None:
        body = self.request_body()
        if isinstance(body, int):
            self.close_connection = True  # the unread body must not be taken for the next request
            return self.send_page(body)
        upstream = http.client.HTTPConnection(self.server.app_host, self.server.app_port, timeout=UPSTREAM_TIMEOUT_SECONDS)
        try:
            try:
                # skip_host: the original Host goes through, so the application builds the links members see.
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.forwarded_headers():
                    upstream.putheader(name, value)
                upstream.endheaders(body)
                response = upstream.getresponse()
            except TimeoutError:
                logger.warning("The application at %s:%s did not answer in time", self.server.app_host, self.server.app_port)
                return self.send_page(504)
            except (OSError, http.client.HTTPException) as error:
                logger.warning("The application at %s:%s is unreachable: %s", self.server.app_host, self.server.app_port, error)
                return self.send_page(502)
            self.relay(response)
        finally:
            upstream.close()

    def relay(self, response: http.client.HTTPResponse) -> None:
        """Pass the application's status, headers and body on as they come."""
        self.send_response_only(response.status, response.reason)
        dropped = HOP_BY_HOP | {name.strip().lower() for name in (response.getheader("Connection") or "").split(",")}
        for name, value in response.getheaders():
            if name.lower() not in dropped:
                self.send_header(name, value)
        has_body = self.command != "HEAD" and response.status not in (204, 304)
        if has_body and response.getheader("Content-Length") is None:
            # No length to tell the client where the body ends: the end of the connection does.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not has_body:
            return
        try:
            while chunk := response.read1(CHUNK_BYTES):
                self.wfile.write(chunk)
        except (OSError, http.client.HTTPException) as error:
            # Headers are gone already: all that is left is to cut the connection short.
            logger.warning("Relaying %s stopped half-way: %s", self.path.split("?", 1)[0], error)
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        # Not the default stderr line: it names the visitor's address and the search words.
        pass


def make_server(root: Path, app_url: str, host: str = "127.0.0.1", port: int = 8080) -> OneOriginServer:
    """A router bound to host:port (0: any free port); run it with serve_forever(), stop it with shutdown()."""
    return OneOriginServer((host, port), root, app_url)
