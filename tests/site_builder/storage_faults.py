"""Publishing through flaky storage: an HTTP proxy that fails a seeded share of S3 requests (500s, connection
resets, timeouts, before or after the store saw them), a site that changes version by version, and the
rounds of builds and journal publishes that tests/site_builder/test_storage_faults.py and
bench/bench_storage_faults.py run against it, checking the bucket after every attempt."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import os
import posixpath
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

from site_builder.publish import (
    PublishError,
    note_build_finished,
    note_build_started,
    open_target,
    publish,
    publish_changes,
)

FAULTS = ("500", "reset", "timeout")
# Headers that describe one hop, not the request: never forwarded.
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect"}
S3_ERROR = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>'


class FaultyS3Proxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of an S3 server that fails ``share`` of the requests.

    A failing request gets, at random (from ``seed``): a 500 InternalError, a connection reset (RST, no
    answer) or no answer for ``hang`` seconds (a timeout for a client with a shorter read timeout); each
    either before the request reaches the store or after the store applied it (the answer is lost), the
    two ways a real network fails. ``counts`` tallies requests and faults by kind.
    """

    def __init__(self, upstream: str, *, share: float, seed: int, hang: float) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.share, self.hang = share, hang
        self.enabled = True
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue handled for us

            def log_message(self, *args: Any) -> None:
                pass  # quiet: the counts say what happened

            def do_request(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = do_request

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def failed(self) -> int:
        return sum(count for kind, count in self.counts.items() if kind != "requests")

    def _draw(self) -> tuple[str, str] | None:
        """(fault, "before" or "after") for the next request, or None to pass it through."""
        with self._lock:
            self.counts["requests"] += 1
            if not self.enabled or self._random.random() >= self.share:
                return None
            fault, when = self._random.choice(FAULTS), self._random.choice(("before", "after"))
            self.counts[f"{fault} {when}"] += 1
            return fault, when

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        fault = self._draw()
        if fault and fault[1] == "before":
            self._fail(request, fault[0])
            return
        status, reason, headers, answer = self._forward(request, body)
        if fault:
            self._fail(request, fault[0])
            return
        request.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                request.send_header(name, value)
        # HEAD answers carry the length of the body they do not send.
        length = next((value for name, value in headers if name.lower() == "content-length"), "0")
        request.send_header("Content-Length", length if request.command == "HEAD" else str(len(answer)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(answer)

    def _forward(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            upstream.putrequest(request.command, request.path, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.items():
                if name.lower() not in HOP_HEADERS:
                    upstream.putheader(name, value)
            upstream.endheaders(body)
            response = upstream.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            upstream.close()

    def _fail(self, request: BaseHTTPRequestHandler, fault: str) -> None:
        request.close_connection = True
        if fault == "500":
            request.send_response_only(500, "Internal Server Error")
            request.send_header("Content-Type", "application/xml")
            request.send_header("Content-Length", str(len(S3_ERROR)))
            request.end_headers()
            request.wfile.write(S3_ERROR)
            return
        if fault == "timeout":
            time.sleep(self.hang)  # the client gives up first
        # Close with RST rather than FIN: what a client sees when a middlebox or the store drops it.
        request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(request.connection.detach())


# ---------------------------------------------------------------------------
# A site that changes from version to version, as builds would change it.
# ---------------------------------------------------------------------------

COLUMNS = ["时政要闻", "领袖思想", "辉煌历程", "强国之路", "四个自信", "四史学习", "中国梦"]
BOOKS = ["三会一课工作手册", "四个自信学习读本", "白山黑水抗联史", "中国梦与青年", "延安精神", "东北抗联纪念馆导览"]


def _fingerprinted(folder: str, stem: str, suffix: str, data: bytes) -> tuple[str, bytes]:
    return f"{folder}/{stem}.{hashlib.md5(data).hexdigest()[:10]}{suffix}", data


def _cover(book: int, edition: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), ((book * 37) % 256, (edition * 91) % 256, 46)).save(buffer, format="WEBP")
    return buffer.getvalue()


def _page(title: str, depth: int, css: str, js: str, images: list[str], body: str) -> bytes:
    up = "../" * depth
    imgs = "".join(f'<img src="{up}{src}" alt="封面" width="24" height="32">' for src in images)
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title} · 党史学习资源库</title>'
        f'<link rel="stylesheet" href="{up}{css}"><link rel="alternate" type="application/atom+xml" href="{up}feeds/all.atom.xml">'
        f'</head><body><h1>{title}</h1>{body}{imgs}<script src="{up}{js}" defer></script></body></html>\n'
    ).encode()


def site_version(version: int) -> dict[str, bytes]:
    """Every file of the site at ``version``: each version drops some books, adds others, changes covers
    (new fingerprinted names), and every other version changes the style sheet."""
    css, css_bytes = _fingerprinted("css", "app", ".css", f"body{{font-size:19px;line-height:1.6}}/* 版式 {version // 2} */\n".encode())
    js, js_bytes = _fingerprinted("js", "site", ".js", b"document.documentElement.classList.add('js');\n")
    files = {css: css_bytes, js: js_bytes}
    covers = {}
    books = range(version * 3, version * 3 + 12)
    for book in books:
        covers[book], data = _fingerprinted("img/covers", f"book-{book}", ".webp", _cover(book, (book + version) // 3))
        files[covers[book]] = data
        title = f"{BOOKS[book % len(BOOKS)]}（第{book}册）"
        files[f"books/{book}/index.html"] = _page(title, 2, css, js, [covers[book]], f"<p>学党史、悟思想、办实事、开新局。第{version}版。</p>")
    listed = [covers[book] for book in books]
    files["index.html"] = _page("党史学习资源库", 0, css, js, listed[:6], f"<p>热词：四个自信、中国梦、三会一课、白山黑水（第{version}版）</p>")
    for n, column in enumerate(COLUMNS):
        files[f"columns/{n}/index.html"] = _page(column, 2, css, js, listed[n % 4 :: 4], f"<p>{column}（第{version}版）</p>")
    files["feeds/all.atom.xml"] = f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>党史学习资源库 第{version}版</title></feed>\n'.encode()
    files["sitemap.xml"] = b'<?xml version="1.0"?><urlset></urlset>\n'
    return files


def build_version(site: Path, journal: Path, version: int) -> set[str]:
    """Write ``version`` into ``site`` as an incremental build would (rewrite what changed, remove what is
    gone) and record the changed site paths in the publish journal. Returns those paths."""
    wanted = site_version(version)
    present = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} if site.exists() else set()
    note_build_started(journal)
    changed = set()
    for key, data in wanted.items():
        path = site / key
        if key not in present or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.add("/" + key)
    for key in present - set(wanted):
        (site / key).unlink()
        changed.add("/" + key)
    note_build_finished(journal, changed)
    return changed


# ---------------------------------------------------------------------------
# Checking the bucket.
# ---------------------------------------------------------------------------

ASSET_LINK = re.compile(r'<(?:img|script)\b[^>]*\ssrc="([^"]+)"|<link\b[^>]*\shref="([^"]+)"')


def asset_links(page_key: str, html: str) -> set[str]:
    """The keys of the images, scripts, style sheets and feeds a page under the site uses."""
    keys = set()
    for match in ASSET_LINK.finditer(html):
        link = (match.group(1) or match.group(2)).split("#")[0].split("?")[0]
        if not link or re.match(r"^[a-z][a-z0-9+.-]*:|^//", link, re.I):
            continue  # another site, or a data: URL
        absolute = link if link.startswith("/") else posixpath.join(posixpath.dirname("/" + page_key), link)
        keys.add(posixpath.normpath(absolute).lstrip("/"))
    return keys


def bucket_objects(client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object under the prefix, key (without the prefix) → the bytes a browser would get."""
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            response = client.get_object(Bucket=bucket, Key=item["Key"])
            body = response["Body"].read()
            objects[item["Key"][len(prefix) :]] = gzip.decompress(body) if response.get("ContentEncoding") == "gzip" else body
    return objects


def missing_assets(objects: dict[str, bytes]) -> list[str]:
    """"page → asset" for every asset an HTML object uses that the bucket does not hold."""
    return sorted(
        f"{key} → {asset}"
        for key, body in objects.items()
        if key.endswith(".html")
        for asset in asset_links(key, body.decode("utf-8"))
        if asset not in objects
    )


def differences(objects: dict[str, bytes], site: Path) -> list[str]:
    """Keys whose object differs from the file, or that only one side has."""
    files = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    return sorted(key for key in objects.keys() | files.keys() if objects.get(key) != files.get(key))


# ---------------------------------------------------------------------------
# The rounds.
# ---------------------------------------------------------------------------


@dataclass
class FaultRun:
    """Figures of a run; ``problems`` lists every broken page or difference found (empty when all held)."""

    versions: int = 0
    publishes: int = 0
    failed_publishes: int = 0
    full_publishes: int = 0
    requests: int = 0
    failed_requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    broken_pages_after_failures: int = 0
    mismatches: int = 0
    #: The publishes after the last version, with no faults: from the journal, then a full diff.
    clean_journal_changes: int = -1
    clean_full_changes: int = -1
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def figures(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if name != "problems"}


def run_faulty_publishes(
    *,
    s3_endpoint: str,
    client: Any,
    bucket: str,
    workdir: Path,
    versions: int,
    share: float,
    seed: int,
    max_publishes_per_version: int = 60,
    timeout: float = 0.5,
    max_attempts: int = 2,
    workers: int = 4,
) -> FaultRun:
    """Build ``versions`` versions of the site; publish each with publish_changes() through a FaultyS3Proxy
    until a publish succeeds, checking the bucket (directly, not through the proxy) after every attempt.
    Finally publish once more with no faults and record what that uploaded."""
    started = time.monotonic()
    site, journal = workdir / "site", workdir / "site.cache" / "publish-journal.json"
    proxy = FaultyS3Proxy(s3_endpoint, share=share, seed=seed, hang=timeout * 3)
    run = FaultRun()
    options = {"endpoint_url": proxy.endpoint_url, "addressing_style": "path", "max_attempts": max_attempts,
               "timeout": timeout, "workers": workers}
    target = open_target(f"s3://{bucket}/site", **options)
    try:
        for version in range(versions):
            build_version(site, journal, version)
            run.versions += 1
            for _ in range(max_publishes_per_version):
                run.publishes += 1
                try:
                    result = publish_changes(site, target, journal=journal, **options)
                except PublishError as error:
                    run.failed_publishes += 1
                    broken = missing_assets(bucket_objects(client, bucket, "site/"))
                    run.broken_pages_after_failures += len(broken)
                    run.problems += [f"version {version}, after «{error}»: {page}" for page in broken]
                    continue
                run.full_publishes += bool(result.full_reason)
                different = differences(bucket_objects(client, bucket, "site/"), site)
                run.mismatches += len(different)
                run.problems += [f"version {version} published, but the bucket differs at {key}" for key in different]
                break
            else:
                run.problems.append(f"version {version}: no publish succeeded in {max_publishes_per_version} attempts")
        proxy.enabled = False
        clean = publish_changes(site, target, journal=journal, **options)
        run.clean_journal_changes = clean.uploaded + clean.deleted
        clean = publish(site, target, workers=workers)
        run.clean_full_changes = clean.uploaded + clean.deleted
    finally:
        proxy.close()
    run.requests, run.failed_requests = proxy.counts["requests"], proxy.failed
    run.faults = {kind: count for kind, count in sorted(proxy.counts.items()) if kind != "requests"}
    run.seconds = round(time.monotonic() - started, 2)
    return run


def print_figures(run: FaultRun) -> None:
    print(json.dumps(run.figures(), ensure_ascii=False))
