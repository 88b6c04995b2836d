"""Tests for site_builder.publish against a real S3-compatible server (moto over HTTP) and a
real folder: diffing, headers, ordering, the mass-delete cap and recovery from failures."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path, PurePosixPath

import pytest
from PIL import Image

from site_builder.publish import (
    CACHE_DEFAULT,
    CACHE_IMMUTABLE,
    CACHE_NO_CACHE,
    DEFAULT_WORKERS,
    MassDeleteRefused,
    Phase,
    PublishError,
    S3Target,
    Target,
    cache_control_for,
    content_type_for,
    gzip_bytes,
    is_fingerprinted,
    note_build_finished,
    note_build_started,
    open_target,
    phase_for,
    publish,
    publish_changes,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CSS_V1 = "css/app.3f9a1c2b.css"
CSS_V2 = "css/app.7d41e0aa.css"
JS = "js/site.9b8c7d6e5f.js"
COLUMNS = [
    "时政要闻",
    "领袖思想",
    "辉煌历程",
    "强国之路",
    "四个自信",
    "四史学习",
    "中国梦",
]
HOT_WORDS = ["四个自信", "中国梦", "三会一课", "白山黑水"]


# ---------------------------------------------------------------------------
# A small but realistic built site.
# ---------------------------------------------------------------------------


def _image_bytes(fmt: str, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _page(title: str, css: str, images: list[str], depth: int) -> str:
    up = "../" * depth
    imgs = "\n".join(f'<img src="{up}{src}" alt="封面">' for src in images)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title} · 党史学习资源库</title>
<link rel="stylesheet" href="{up}{css}">
<link rel="alternate" type="application/atom+xml" href="{up}feeds/all.atom.xml">
</head><body>
<h1>{title}</h1>
<p>学党史、悟思想、办实事、开新局。热词：{"、".join(HOT_WORDS)}</p>
{imgs}
<script src="{up}{JS}" defer></script>
</body></html>
"""


def write_site(root: Path, *, version: int = 1, covers: int = 6) -> None:
    """Write the site as the renderer would; version 2 has new CSS and new covers."""
    if root.exists():
        shutil.rmtree(root)
    css = CSS_V1 if version == 1 else CSS_V2
    colour = (200, 16, 46) if version == 1 else (255, 215, 0)
    files: dict[str, bytes] = {
        css: "body{font-size:19px;line-height:1.6;color:#0b0c0c}/* 党史 */\n".encode(),
        JS: "document.documentElement.classList.add('js'); // 增强\n".encode(),
        "img/logo.png": _image_bytes("PNG", (200, 16, 46)),
        "feeds/all.atom.xml": (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>党史学习资源库 v{version}</title></feed>\n"
        ).encode(),
        "sitemap.xml": b'<?xml version="1.0"?><urlset></urlset>\n',
        "data/sites.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"properties": {"name": "东北抗联纪念馆"}}],
            },
            ensure_ascii=False,
        ).encode(),
    }
    covers_keys = [f"img/covers/cover-{i:02d}-v{version}.webp" for i in range(covers)]
    for key in covers_keys:
        files[key] = _image_bytes("WEBP", colour)
    files["index.html"] = _page("党史学习", css, ["img/logo.png", *covers_keys[:3]], 0).encode()
    for column in COLUMNS:
        files[f"栏目/{column}/index.html"] = _page(column, css, covers_keys[3:], 2).encode()
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    write_site(root)
    return root


def source_keys(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def bucket_keys(s3, bucket: str, prefix: str = "") -> set[str]:
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])}


def read_object(s3, bucket: str, key: str) -> bytes:
    response = s3.client.get_object(Bucket=bucket, Key=key)
    body = response["Body"].read()
    return gzip.decompress(body) if response.get("ContentEncoding") == "gzip" else body


def s3_publish(s3, source: Path, bucket: str, prefix: str = "site", **kwargs):
    return publish(
        source,
        f"s3://{bucket}/{prefix}",
        endpoint_url=s3.endpoint_url,
        addressing_style="path",
        **kwargs,
    )


LINK = re.compile(r'(?:href|src)="([^"#?]+)"')


def missing_links(pages: dict[str, str], present: set[str]) -> list[str]:
    """Links in the given HTML pages (key → text) whose target is not present."""
    missing = []
    for key, html in pages.items():
        for link in LINK.findall(html):
            resolved = os.path.normpath(PurePosixPath(key).parent / link).replace(os.sep, "/")
            if resolved not in present:
                missing.append(f"{key} → {resolved}")
    return missing


def bucket_missing_links(s3, bucket: str, prefix: str = "site/") -> list[str]:
    present = bucket_keys(s3, bucket, prefix)
    pages = {key: read_object(s3, bucket, prefix + key).decode() for key in present if key.endswith(".html")}
    return missing_links(pages, present)


# ---------------------------------------------------------------------------
# Rules for single files.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "content_type", "cache_control", "phase"),
    [
        ("index.html", "text/html; charset=utf-8", CACHE_NO_CACHE, Phase.HTML),
        (
            "栏目/中国梦/index.html",
            "text/html; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.HTML,
        ),
        (CSS_V1, "text/css; charset=utf-8", CACHE_IMMUTABLE, Phase.ASSET),
        (JS, "text/javascript; charset=utf-8", CACHE_IMMUTABLE, Phase.ASSET),
        ("js/enhance.js", "text/javascript; charset=utf-8", CACHE_DEFAULT, Phase.ASSET),
        (
            "feeds/all.atom.xml",
            "application/atom+xml; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        (
            "feeds/news.atom",
            "application/atom+xml; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        (
            "feeds/all.rss.xml",
            "application/rss+xml; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        (
            "sitemap.xml",
            "application/xml; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        (
            "search/hotwords.json",
            "application/json; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        (
            "data/sites.geojson",
            "application/geo+json; charset=utf-8",
            CACHE_NO_CACHE,
            Phase.DOCUMENT,
        ),
        ("robots.txt", "text/plain; charset=utf-8", CACHE_NO_CACHE, Phase.DOCUMENT),
        ("img/icon.svg", "image/svg+xml; charset=utf-8", CACHE_DEFAULT, Phase.ASSET),
        ("img/cover.webp", "image/webp", CACHE_DEFAULT, Phase.ASSET),
        ("img/cover.a1b2c3d4e5.webp", "image/webp", CACHE_IMMUTABLE, Phase.ASSET),
        ("img/logo.png", "image/png", CACHE_DEFAULT, Phase.ASSET),
        ("img/photo.JPG", "image/jpeg", CACHE_DEFAULT, Phase.ASSET),
        ("books/党章.pdf", "application/pdf", CACHE_DEFAULT, Phase.ASSET),
        ("fonts/ui.0a1b2c3d.woff2", "font/woff2", CACHE_IMMUTABLE, Phase.ASSET),
        (
            "misc/blob.unknownext",
            "application/octet-stream",
            CACHE_DEFAULT,
            Phase.ASSET,
        ),
    ],
)
def test_headers_and_phase_follow_the_file_name(key, content_type, cache_control, phase):
    assert content_type_for(key) == content_type
    assert cache_control_for(key) == cache_control
    assert phase_for(key) is phase


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.3f9a1c2b.css", True),
        ("css/app.3f9a1c2b0d9e8f7a.css", True),
        ("app.3f9a1c2.css", False),  # 7 hex chars: too short to be a content hash
        ("app.3F9A1C2B.css", False),  # hashes are written in lower case
        ("cover.20230101.jpg", False),  # a date, not a hash
        ("app.css", False),
        ("app.3f9a1c2bx.css", False),
        ("3f9a1c2b/app.css", False),  # only the file name counts
    ],
)
def test_fingerprint_rule(name, expected):
    assert is_fingerprinted(name) is expected


def test_gzip_is_deterministic():
    html = _page("党史学习", CSS_V1, [], 0).encode()
    first = gzip_bytes(html)
    assert gzip_bytes(html) == first
    # The mtime field is zero, so the MD5 never depends on when the file was built.
    assert first[4:8] == b"\0\0\0\0"
    assert gzip.decompress(first) == html


# ---------------------------------------------------------------------------
# S3: the diff.
# ---------------------------------------------------------------------------


def test_first_publish_uploads_everything_with_the_right_headers(s3_server, site):
    bucket = s3_server.new_bucket()
    result = s3_publish(s3_server, site, bucket)

    keys = source_keys(site)
    assert (result.uploaded, result.deleted, result.unchanged) == (len(keys), 0, 0)
    assert sorted(result.uploaded_keys) == sorted(keys)
    assert bucket_keys(s3_server, bucket, "site/") == keys

    def head(key: str) -> dict:
        return s3_server.client.head_object(Bucket=bucket, Key=f"site/{key}")

    page = head("栏目/四史学习/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["ContentEncoding"] == "gzip"
    assert page["CacheControl"] == CACHE_NO_CACHE

    css = head(CSS_V1)
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert css["ContentEncoding"] == "gzip"
    assert css["CacheControl"] == CACHE_IMMUTABLE

    geo = head("data/sites.geojson")
    assert geo["ContentType"] == "application/geo+json; charset=utf-8"
    assert geo["CacheControl"] == CACHE_NO_CACHE

    cover = head("img/covers/cover-00-v1.webp")
    assert cover["ContentType"] == "image/webp"
    assert "ContentEncoding" not in cover  # already compressed: stored as is
    assert cover["CacheControl"] == CACHE_DEFAULT

    for key in keys:
        assert read_object(s3_server, bucket, f"site/{key}") == (site / key).read_bytes(), key
    # The stored (gzipped) bytes are exactly the deterministic gzip of the source.
    raw = s3_server.client.get_object(Bucket=bucket, Key="site/index.html")["Body"].read()
    assert raw == gzip_bytes((site / "index.html").read_bytes())
    assert "党史学习" in gzip.decompress(raw).decode()


def test_republishing_the_same_site_uploads_nothing(s3_server, site):
    bucket = s3_server.new_bucket()
    first = s3_publish(s3_server, site, bucket)
    again = s3_publish(s3_server, site, bucket)
    assert (again.uploaded, again.deleted, again.unchanged) == (0, 0, first.uploaded)


def test_changing_one_file_uploads_one_object(s3_server, site):
    bucket = s3_server.new_bucket()
    s3_publish(s3_server, site, bucket)
    page = site / "栏目" / "中国梦" / "index.html"
    page.write_text(page.read_text() + "<!-- 新增：中国梦专题 -->\n", encoding="utf-8")

    result = s3_publish(s3_server, site, bucket)

    assert result.uploaded_keys == ["栏目/中国梦/index.html"]
    assert result.deleted == 0
    assert read_object(s3_server, bucket, "site/栏目/中国梦/index.html") == page.read_bytes()


def test_digest_cache_skips_unchanged_files_and_notices_modified_ones(s3_server, site, tmp_path):
    bucket = s3_server.new_bucket()
    cache = tmp_path / "cache" / "publish-digests.json"
    first = s3_publish(s3_server, site, bucket, digest_cache=cache)
    assert cache.is_file() and len(json.loads(cache.read_text())["files"]) == first.uploaded

    # Same size and modification time: the quick check trusts the cached digest and reads nothing.
    page = site / "栏目" / "中国梦" / "index.html"
    stat = page.stat()
    original = page.read_bytes()
    page.write_bytes(original.replace("中国梦".encode(), "强国梦".encode(), 1))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert s3_publish(s3_server, site, bucket, digest_cache=cache).uploaded == 0

    # A rewrite (as the builder does) moves the modification time: the change is found and uploaded.
    page.write_bytes(original + "<!-- 修订 -->".encode())
    changed = s3_publish(s3_server, site, bucket, digest_cache=cache)
    assert changed.uploaded_keys == ["栏目/中国梦/index.html"]
    assert read_object(s3_server, bucket, "site/栏目/中国梦/index.html") == page.read_bytes()


def test_removed_file_is_deleted_and_objects_outside_the_prefix_are_kept(s3_server, site):
    bucket = s3_server.new_bucket()
    s3_server.client.put_object(Bucket=bucket, Key="other-site/index.html", Body=b"keep me")
    s3_publish(s3_server, site, bucket)
    (site / "data" / "sites.geojson").unlink()

    result = s3_publish(s3_server, site, bucket)

    assert (result.uploaded, result.deleted_keys) == (0, ["data/sites.geojson"])
    assert "data/sites.geojson" not in bucket_keys(s3_server, bucket, "site/")
    assert "other-site/index.html" in bucket_keys(s3_server, bucket)


def test_mass_delete_is_refused_unless_allowed(s3_server, site, tmp_path):
    bucket = s3_server.new_bucket()
    s3_publish(s3_server, site, bucket)
    before = bucket_keys(s3_server, bucket, "site/")
    nearly_empty = tmp_path / "wrong-folder"
    nearly_empty.mkdir()
    (nearly_empty / "index.html").write_text("<p>党史学习</p>", encoding="utf-8")

    with pytest.raises(MassDeleteRefused, match="--allow-mass-delete") as refused:
        s3_publish(s3_server, nearly_empty, bucket)
    assert f"delete {len(before) - 1} of the {len(before)}" in str(refused.value)
    assert bucket_keys(s3_server, bucket, "site/") == before  # nothing deleted
    assert read_object(s3_server, bucket, "site/index.html") == (site / "index.html").read_bytes()

    result = s3_publish(s3_server, nearly_empty, bucket, allow_mass_delete=True)
    assert result.deleted == len(before) - 1
    assert bucket_keys(s3_server, bucket, "site/") == {"index.html"}


def test_dry_run_reports_changes_without_making_them(s3_server, site):
    bucket = s3_server.new_bucket()
    s3_publish(s3_server, site, bucket)
    write_site(site, version=2)

    result = s3_publish(s3_server, site, bucket, dry_run=True)

    assert result.dry_run
    assert CSS_V2 in result.uploaded_keys and CSS_V1 in result.deleted_keys
    assert CSS_V1 in bucket_keys(s3_server, bucket, "site/")
    assert CSS_V2 not in bucket_keys(s3_server, bucket, "site/")


# ---------------------------------------------------------------------------
# S3: ordering and failures.
# ---------------------------------------------------------------------------


def record_requests(target: S3Target) -> list[tuple[str, str, str]]:
    """Log (event, operation, key) as the client sends requests and gets answers."""
    log: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def on_send(params, model, context, **_):
        context["test_key"] = params["Key"]
        with lock:
            log.append(("sent", model.name, params["Key"]))

    def on_done(model, context, **_):
        with lock:
            log.append(("done", model.name, context["test_key"]))

    for operation in ("PutObject", "DeleteObject"):
        target.client.meta.events.register(f"before-parameter-build.s3.{operation}", on_send)
        target.client.meta.events.register(f"after-call.s3.{operation}", on_done)
    return log


def order_violations(log: list[tuple[str, str, str]], prefix: str) -> list[str]:
    """Requests started before every request of an earlier step had finished."""

    def step(operation: str, key: str) -> int:
        return 4 if operation == "DeleteObject" else int(phase_for(key.removeprefix(prefix)))

    violations = []
    for i, (event, operation, key) in enumerate(log):
        if event != "sent":
            continue
        pending_earlier = {k for (e, op, k) in log if e == "done" and step(op, k) < step(operation, key)} - {
            k for (e, op, k) in log[:i] if e == "done"
        }
        violations += [f"{key} sent before {k} finished" for k in sorted(pending_earlier)]
    return violations


def test_order_check_catches_an_html_page_sent_before_its_assets():
    # The checker used below must be able to fail.
    log = [
        ("sent", "PutObject", "site/css/app.3f9a1c2b.css"),
        ("sent", "PutObject", "site/index.html"),
        ("done", "PutObject", "site/index.html"),
        ("done", "PutObject", "site/css/app.3f9a1c2b.css"),
    ]
    assert order_violations(log, "site/") == ["site/index.html sent before site/css/app.3f9a1c2b.css finished"]


def test_assets_then_documents_then_html_then_deletions(s3_server, site):
    bucket = s3_server.new_bucket()
    s3_publish(s3_server, site, bucket)
    write_site(site, version=2, covers=24)
    target = open_target(
        f"s3://{bucket}/site",
        endpoint_url=s3_server.endpoint_url,
        addressing_style="path",
    )
    log = record_requests(target)

    result = publish(site, target)

    assert order_violations(log, "site/") == []
    sent = [(op, k.removeprefix("site/")) for (e, op, k) in log if e == "sent"]
    steps = [4 if op == "DeleteObject" else int(phase_for(k)) for op, k in sent]
    assert steps == sorted(steps) and set(steps) == {1, 2, 3, 4}
    assert len(sent) == result.uploaded + result.deleted


def test_failure_half_way_leaves_a_consistent_site_and_next_run_finishes(s3_server, site, make_proxy):
    bucket = s3_server.new_bucket()
    s3_publish(s3_server, site, bucket)
    write_site(site, version=2, covers=30)
    changed = s3_publish(s3_server, site, bucket, dry_run=True)

    # Storage goes away after 5 uploads have been answered: cut the network to it.
    proxy = make_proxy()
    target = open_target(
        f"s3://{bucket}/site",
        endpoint_url=proxy.endpoint_url,
        addressing_style="path",
        max_attempts=2,
    )
    answered = []

    def cut_after_five(**_):
        answered.append(1)
        if len(answered) == 5:
            proxy.cut()

    target.client.meta.events.register("after-call.s3.PutObject", cut_after_five)

    with pytest.raises(PublishError) as failure:
        publish(site, target)

    message = str(failure.value)
    done = failure.value.result
    assert "could not upload" in message and "run publish again" in message
    assert f"{done.uploaded} of {changed.uploaded + changed.deleted} changes were done" in message
    assert 5 <= done.uploaded < changed.uploaded
    assert not [k for k in done.uploaded_keys if phase_for(k) is not Phase.ASSET]
    assert done.deleted == 0
    # The live site is still the old one, and every page's links resolve.
    assert bucket_missing_links(s3_server, bucket) == []
    assert CSS_V1 in bucket_keys(s3_server, bucket, "site/")

    rest = s3_publish(s3_server, site, bucket)

    # Uploads in flight when the network went may have been stored without an answer:
    # the next run finds those unchanged, so it does the rest minus at most one per worker.
    remaining = changed.uploaded - done.uploaded
    assert remaining - DEFAULT_WORKERS <= rest.uploaded <= remaining
    assert set(rest.uploaded_keys) <= set(changed.uploaded_keys) - set(done.uploaded_keys)
    assert {k for k in changed.uploaded_keys if k.endswith(".html")} <= set(rest.uploaded_keys)
    assert rest.deleted_keys == changed.deleted_keys
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site)
    for key in source_keys(site):
        assert read_object(s3_server, bucket, f"site/{key}") == (site / key).read_bytes(), key
    assert bucket_missing_links(s3_server, bucket) == []
    assert "v2" in read_object(s3_server, bucket, "site/feeds/all.atom.xml").decode()


def test_transient_connection_errors_are_retried(s3_server, site, make_proxy):
    bucket = s3_server.new_bucket()
    proxy = make_proxy(drop_first=1)  # the first connection is closed without an answer

    result = publish(
        site,
        f"s3://{bucket}/site",
        endpoint_url=proxy.endpoint_url,
        addressing_style="path",
        max_attempts=3,
    )

    assert proxy.dropped == 1
    assert result.uploaded == len(source_keys(site))


def test_unreachable_storage_fails_with_a_plain_message_and_changes_nothing(site, make_proxy):
    proxy = make_proxy()
    proxy.cut()
    with pytest.raises(PublishError, match="Could not list .* Nothing was changed"):
        publish(
            site,
            "s3://dangshi-bucket/site",
            endpoint_url=proxy.endpoint_url,
            addressing_style="path",
            max_attempts=1,
        )


def test_missing_bucket_is_named_in_the_error(s3_server, site):
    with pytest.raises(PublishError, match="bucket 'no-such-bucket' does not exist"):
        s3_publish(s3_server, site, "no-such-bucket")


# ---------------------------------------------------------------------------
# file:// targets: the same logic, plain files.
# ---------------------------------------------------------------------------


def test_folder_target_stores_plain_files_and_only_changes_what_differs(site, tmp_path):
    www = tmp_path / "www"
    url = www.as_uri()

    first = publish(site, url)
    assert first.uploaded == len(source_keys(site))
    assert source_keys(www) == source_keys(site)
    for key in source_keys(site):
        assert (www / key).read_bytes() == (site / key).read_bytes(), key  # not gzipped

    assert publish(site, url).uploaded == 0

    page = site / "栏目" / "强国之路" / "index.html"
    page.write_text(page.read_text() + "<p>强国之路</p>", encoding="utf-8")
    shutil.rmtree(site / "data")
    result = publish(site, url)
    assert result.uploaded_keys == ["栏目/强国之路/index.html"]
    assert result.deleted_keys == ["data/sites.geojson"]
    assert not (www / "data").exists()  # emptied folders go too
    assert (www / "栏目" / "强国之路" / "index.html").read_bytes() == page.read_bytes()


def test_folder_target_refuses_mass_delete(site, tmp_path):
    www = tmp_path / "www"
    publish(site, www.as_uri())
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(MassDeleteRefused):
        publish(empty, www.as_uri())
    assert source_keys(www) == source_keys(site)

    assert publish(empty, www.as_uri(), allow_mass_delete=True).deleted == len(source_keys(site))
    assert source_keys(www) == set()


@pytest.mark.parametrize("where", ["output/www", ".", "output"])
def test_folder_target_overlapping_the_source_is_refused(site, where):
    target = (site.parent / where).resolve()
    with pytest.raises(PublishError, match="overlap"):
        publish(site, target.as_uri())


# ---------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "site_builder", "publish", *args],
        cwd=REPO_ROOT,
        check=False,  # the tests assert on the exit code
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_cli_publish_prints_json_with_the_four_figures(s3_server, site):
    bucket = s3_server.new_bucket()
    s3 = ["--to", f"s3://{bucket}/site", "--endpoint-url", s3_server.endpoint_url]
    s3 += ["--addressing-style", "path", "--signature-version", "s3v4"]

    done = run_cli("--from", str(site), *s3, "--json")

    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(figures) == {"uploaded", "deleted", "unchanged", "seconds"}
    assert (figures["uploaded"], figures["deleted"], figures["unchanged"]) == (
        len(source_keys(site)),
        0,
        0,
    )
    assert isinstance(figures["seconds"], float)

    again = json.loads(run_cli("--from", str(site), *s3, "--json").stdout)
    assert (again["uploaded"], again["unchanged"]) == (0, len(source_keys(site)))


def test_cli_shares_the_builders_digest_cache_beside_a_built_folder(s3_server, site):
    # A folder the builder made has DIR.cache beside it; the CLI then keeps the same digests the worker keeps.
    cache = site.with_name(site.name + ".cache")
    cache.mkdir()
    bucket = s3_server.new_bucket()
    s3 = ["--to", f"s3://{bucket}/site", "--endpoint-url", s3_server.endpoint_url, "--addressing-style", "path", "--json"]
    assert run_cli("--from", str(site), *s3).returncode == 0
    digests = json.loads((cache / "publish-digests.json").read_text(encoding="utf-8"))["files"]
    assert set(digests) == source_keys(site)
    # Same size and time, other bytes: the quick check trusts the digest (rsync's rule), so the cache was read.
    page = site / "index.html"
    stat = page.stat()
    page.write_bytes(page.read_bytes().replace("党史".encode(), "党纪".encode(), 1))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert json.loads(run_cli("--from", str(site), *s3).stdout)["uploaded"] == 0


def test_cli_refuses_mass_delete_with_a_clear_error_and_exit_code(site, tmp_path):
    www = tmp_path / "www"
    assert run_cli("--from", str(site), "--to", www.as_uri()).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()

    refused = run_cli("--from", str(empty), "--to", www.as_uri())

    assert refused.returncode == 3
    assert "Nothing was changed" in refused.stderr and "--allow-mass-delete" in refused.stderr
    assert source_keys(www) == source_keys(site)


def test_cli_dry_run_lists_changes_and_human_summary(site, tmp_path):
    www = tmp_path / "www"
    summary = run_cli("--from", str(site), "--to", www.as_uri())
    assert summary.stdout.startswith("Published ") and " uploaded, 0 deleted, 0 unchanged" in summary.stdout
    (site / "index.html").write_text("<p>党史学习 新版</p>", encoding="utf-8")

    dry = run_cli("--from", str(site), "--to", www.as_uri(), "--dry-run")

    assert dry.returncode == 0
    assert "Would upload 1, delete 0" in dry.stdout and "upload  index.html" in dry.stdout
    assert "新版" not in (www / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# publish_changes(): only what the builds recorded, with full diffs as the fallback.
# ---------------------------------------------------------------------------


def s3_publish_changes(s3, source: Path, bucket: str, journal: Path, *, endpoint_url: str | None = None, **kwargs):
    return publish_changes(
        source,
        f"s3://{bucket}/site",
        journal=journal,
        endpoint_url=endpoint_url or s3.endpoint_url,
        addressing_style="path",
        **kwargs,
    )


def record_build(journal: Path, paths: list[str]) -> None:
    note_build_started(journal)
    note_build_finished(journal, paths)


def test_journal_publish_uploads_exactly_the_recorded_changes_and_deletes_removed_files(s3_server, site, tmp_path):
    bucket = s3_server.new_bucket()
    journal = tmp_path / "cache" / "publish-journal.json"
    first = s3_publish_changes(s3_server, site, bucket, journal)
    assert first.full_reason == "no earlier publish recorded" and first.uploaded == len(source_keys(site))

    page = site / "栏目" / "中国梦" / "index.html"
    page.write_text(page.read_text() + "<!-- 新增：中国梦专题 -->\n", encoding="utf-8")
    (site / "img/covers/cover-05-v1.webp").unlink()
    (site / "img/covers/new.webp").write_bytes(_image_bytes("WEBP", (1, 2, 3)))
    record_build(journal, ["/栏目/中国梦/index.html", "/img/covers/cover-05-v1.webp"])
    record_build(journal, ["/img/covers/new.webp"])  # changes accumulate until a publish succeeds

    result = s3_publish_changes(s3_server, site, bucket, journal)

    assert result.full_reason == ""
    assert result.uploaded_keys == ["img/covers/new.webp", "栏目/中国梦/index.html"]  # assets first
    assert result.deleted_keys == ["img/covers/cover-05-v1.webp"]
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site)
    assert read_object(s3_server, bucket, "site/栏目/中国梦/index.html") == page.read_bytes()
    head = s3_server.client.head_object(Bucket=bucket, Key="site/栏目/中国梦/index.html")
    assert (head["ContentType"], head["ContentEncoding"], head["CacheControl"]) == (
        "text/html; charset=utf-8", "gzip", CACHE_NO_CACHE)

    again = s3_publish_changes(s3_server, site, bucket, journal)
    assert (again.full_reason, again.uploaded, again.deleted) == ("", 0, 0)


def test_failed_journal_publish_is_finished_by_the_next_run(s3_server, site, tmp_path, make_proxy):
    bucket = s3_server.new_bucket()
    journal = tmp_path / "publish-journal.json"
    s3_publish_changes(s3_server, site, bucket, journal)
    old = source_keys(site)
    write_site(site, version=2, covers=30)
    record_build(journal, ["/" + key for key in old | source_keys(site)])

    proxy = make_proxy()
    answered = []
    target = open_target(f"s3://{bucket}/site", endpoint_url=proxy.endpoint_url, addressing_style="path", max_attempts=2)

    def cut_after_five(**_):
        answered.append(1)
        if len(answered) == 5:
            proxy.cut()

    target.client.meta.events.register("after-call.s3.PutObject", cut_after_five)
    with pytest.raises(PublishError):
        publish_changes(site, target, journal=journal)
    assert bucket_missing_links(s3_server, bucket) == []

    rest = s3_publish_changes(s3_server, site, bucket, journal)

    assert rest.full_reason == "the last publish did not finish"
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site)
    for key in source_keys(site):
        assert read_object(s3_server, bucket, f"site/{key}") == (site / key).read_bytes(), key
    assert bucket_missing_links(s3_server, bucket) == []
    assert s3_publish_changes(s3_server, site, bucket, journal).full_reason == ""


def test_journal_publish_falls_back_to_a_full_diff_that_heals_drift(s3_server, site, tmp_path):
    bucket = s3_server.new_bucket()
    journal = tmp_path / "publish-journal.json"
    s3_publish_changes(s3_server, site, bucket, journal)
    s3_server.client.delete_object(Bucket=bucket, Key="site/index.html")  # changed behind the publisher's back

    assert s3_publish_changes(s3_server, site, bucket, journal).uploaded == 0  # the journal cannot know
    healed = s3_publish_changes(s3_server, site, bucket, journal, full_every=0)
    assert (healed.full_reason, healed.uploaded_keys) == ("periodic full check", ["index.html"])

    other = s3_server.new_bucket()
    assert s3_publish_changes(s3_server, site, other, journal).full_reason == "the target changed"
    assert bucket_keys(s3_server, other, "site/") == source_keys(site)

    note_build_started(journal)  # a build that never finished
    record_build(journal, [])
    assert s3_publish_changes(s3_server, site, other, journal).full_reason.startswith("a build did not finish")
    assert s3_publish_changes(s3_server, site, other, journal).full_reason == ""


def test_journal_publish_keeps_the_mass_delete_cap(s3_server, site, tmp_path):
    bucket = s3_server.new_bucket()
    journal = tmp_path / "publish-journal.json"
    s3_publish_changes(s3_server, site, bucket, journal)
    gone = sorted(source_keys(site))[: len(source_keys(site)) * 2 // 3]
    for key in gone:
        (site / key).unlink()
    record_build(journal, ["/" + key for key in gone])
    with pytest.raises(MassDeleteRefused):
        s3_publish_changes(s3_server, site, bucket, journal)
    assert len(bucket_keys(s3_server, bucket, "site/")) == len(gone) + len(source_keys(site))
    done = s3_publish_changes(s3_server, site, bucket, journal, allow_mass_delete=True)
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site) and done.deleted == len(gone)


def test_a_routine_unpublish_is_never_mistaken_for_a_mass_delete_however_many_publishes_came_before(s3_server, site, tmp_path):
    # Each round a new page appears and an old one goes, as editors publish and unpublish: the site keeps its size.
    bucket = s3_server.new_bucket()
    journal = tmp_path / "publish-journal.json"
    s3_publish_changes(s3_server, site, bucket, journal)
    for round_number in range(len(source_keys(site)) + 2):
        new = site / "news" / f"{9000 + round_number}" / "index.html"
        new.parent.mkdir(parents=True)
        new.write_text(f"<!doctype html><title>第{round_number}条要闻</title>", encoding="utf-8")
        old = sorted(key for key in source_keys(site) if key.endswith(".html"))[0]
        (site / old).unlink()
        record_build(journal, ["/" + new.relative_to(site).as_posix(), "/" + old])
        done = s3_publish_changes(s3_server, site, bucket, journal)
        assert done.deleted == 1, f"round {round_number}"
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site)


class RebuildDuringPublish(Target):
    """A real target whose publish is overtaken by a build: right after ``key`` is uploaded (or deleted),
    ``rebuild`` runs, as a build that slipped in before the publish finished would."""

    def __init__(self, inner: Target, key: str, rebuild) -> None:
        self.inner, self.key, self.rebuild = inner, key, rebuild
        self.compress_text = inner.compress_text

    def describe(self) -> str:
        return self.inner.describe()

    def list_md5s(self) -> dict[str, str]:
        return self.inner.list_md5s()

    def put(self, obj) -> None:
        self.inner.put(obj)
        if obj.key == self.key:
            self.rebuild()

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        if key == self.key:
            self.rebuild()


@pytest.mark.parametrize(
    ("route", "removed"),
    [("journal", False), ("full diff", False), ("journal", True)],
    ids=["rewritten-journal", "rewritten-full-diff", "recreated-after-delete"],
)
def test_a_page_rebuilt_after_its_upload_stays_in_the_journal_and_goes_out_next_time(
    s3_server, site, tmp_path, route, removed
):
    bucket = s3_server.new_bucket()
    journal = tmp_path / "cache" / "publish-journal.json"
    s3_publish_changes(s3_server, site, bucket, journal)
    key = "栏目/中国梦/index.html"
    page = site / key
    original = page.read_text(encoding="utf-8")
    if removed:
        page.unlink()
    else:
        page.write_text(original.replace("<h1>", "<p>第一版：中国梦专题</p><h1>"), encoding="utf-8")
    record_build(journal, ["/" + key])

    def rebuild() -> None:
        note_build_started(journal)
        page.write_text(original.replace("<h1>", "<p>第二版：中国梦专题（修订）</p><h1>"), encoding="utf-8")
        note_build_finished(journal, ["/" + key])

    real = open_target(f"s3://{bucket}/site", endpoint_url=s3_server.endpoint_url, addressing_style="path")
    overtaken = publish_changes(
        site, RebuildDuringPublish(real, key, rebuild), journal=journal, full_every=0 if route == "full diff" else 3600
    )

    assert (overtaken.deleted_keys if removed else overtaken.uploaded_keys) == [key]
    assert "第二版" not in bucket_text(s3_server, bucket, key)  # the bucket holds what was sent before the rebuild

    following = s3_publish_changes(s3_server, site, bucket, journal)

    assert (following.full_reason, following.uploaded_keys) == ("", [key])
    assert read_object(s3_server, bucket, f"site/{key}") == page.read_bytes()
    assert "第二版：中国梦专题（修订）" in bucket_text(s3_server, bucket, key)
    assert bucket_keys(s3_server, bucket, "site/") == source_keys(site)
    assert s3_publish_changes(s3_server, site, bucket, journal).uploaded == 0


def bucket_text(s3, bucket: str, key: str) -> str:
    """The page as the bucket serves it under site/, or "" when there is none."""
    try:
        return read_object(s3, bucket, f"site/{key}").decode()
    except s3.client.exceptions.NoSuchKey:
        return ""


class RefusingDeletes(Target):
    """A real target whose store refuses to delete pages (as a bucket policy or an outage half-way would)."""

    def __init__(self, inner: Target) -> None:
        self.inner = inner
        self.compress_text = inner.compress_text

    def describe(self) -> str:
        return self.inner.describe()

    def list_md5s(self) -> dict[str, str]:
        return self.inner.list_md5s()

    def put(self, obj) -> None:
        self.inner.put(obj)

    def delete(self, key: str) -> None:
        if key.endswith(".html"):
            raise PermissionError(13, "Permission denied", key)
        self.inner.delete(key)


def test_a_removed_page_is_deleted_before_the_assets_it_uses(s3_server, site):
    bucket = s3_server.new_bucket()
    special = site / "专题" / "抗联精神" / "index.html"
    special.parent.mkdir(parents=True)
    (site / "img" / "抗联精神.webp").write_bytes(_image_bytes("WEBP", (10, 80, 30)))
    special.write_text(_page("抗联精神", CSS_V1, ["img/抗联精神.webp"], 2), encoding="utf-8")
    s3_publish(s3_server, site, bucket)
    shutil.rmtree(special.parent.parent)
    (site / "img" / "抗联精神.webp").unlink()

    real = open_target(f"s3://{bucket}/site", endpoint_url=s3_server.endpoint_url, addressing_style="path")
    with pytest.raises(PublishError, match="could not delete 专题/抗联精神/index.html"):
        publish(site, RefusingDeletes(real), workers=1)  # one at a time, in key order: img/… before 专题/…

    assert "专题/抗联精神/index.html" in bucket_keys(s3_server, bucket, "site/")
    assert bucket_missing_links(s3_server, bucket) == []  # the page still has its cover
    assert s3_publish(s3_server, site, bucket).deleted_keys == ["img/抗联精神.webp", "专题/抗联精神/index.html"]
