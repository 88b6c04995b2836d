"""Benchmark site_builder.publish: seconds to publish a generated site to moto's S3 server
(over HTTP on 127.0.0.1) and to a folder. Prints one JSON object.

Usage: .venv/bin/python bench/bench_publish.py [--pages 2000] [--images 300]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

# Run as a script from anywhere: make the repo's packages importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARAGRAPH = "学党史、悟思想、办实事、开新局。坚定四个自信，实现中国梦。" * 20


def generate_site(root: Path, pages: int, images: int) -> None:
    """Pages of about 12 KB of Chinese text, small WebP covers and a few assets."""
    (root / "css").mkdir(parents=True)
    (root / "css" / "app.3f9a1c2b.css").write_text("body{font-size:19px}\n" * 200)
    (root / "img").mkdir()
    for i in range(images):
        buffer = io.BytesIO()
        Image.new("RGB", (120, 160), (i % 256, 16, 46)).save(buffer, format="WEBP")
        (root / "img" / f"cover-{i:04d}.webp").write_bytes(buffer.getvalue())
    for i in range(pages):
        page = root / "books" / f"{i:05d}" / "index.html"
        page.parent.mkdir(parents=True)
        body = f"<h1>电子图书 {i}</h1>" + f"<p>{PARAGRAPH}</p>" * 6
        page.write_text(f"<!doctype html><html lang=zh-CN><body>{body}</body></html>")


def timed(label: str, figures: dict, run) -> None:
    started = time.perf_counter()
    result = run()
    figures[label] = {**result.summary(), "seconds": round(time.perf_counter() - started, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    from site_builder.publish import publish

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        generate_site(site, args.pages, args.images)
        files = sum(1 for p in site.rglob("*") if p.is_file())
        figures: dict = {"files": files, "pages": args.pages, "images": args.images}
        s3 = {"endpoint_url": endpoint, "addressing_style": "path"}
        target = "s3://bench/site"
        timed("s3_first_publish", figures, lambda: publish(site, target, **s3))
        timed("s3_republish_unchanged", figures, lambda: publish(site, target, **s3))
        for i in range(10):
            page = site / "books" / f"{i:05d}" / "index.html"
            page.write_text(page.read_text() + "<!-- 更新 -->")
        timed("s3_ten_pages_changed", figures, lambda: publish(site, target, **s3))
        folder = (Path(tmp) / "www").as_uri()
        timed("folder_first_publish", figures, lambda: publish(site, folder))
        timed("folder_republish_unchanged", figures, lambda: publish(site, folder))
    server.stop()
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
