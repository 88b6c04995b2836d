"""Benchmark publish → live at seed scale: a full build, a full publish to S3 (moto's server over HTTP on
127.0.0.1), a re-publish of nothing changed, then edits of one e-book's title published through the ORM
with a real worker (`db_worker --backend queue`) rebuilding incrementally and publishing to the bucket.
Prints one JSON object.

Usage: .venv/bin/python bench/bench_publish_flow.py --scale seed [--seed-dir /tmp/bench-seed] [--repeats 3]
         [--delays 2,0]

--seed-dir holds a seeded SQLite db.sqlite3 and media/ (`DANGSHI_VAR_DIR=DIR manage.py seed_demo --scale seed`);
it is copied to a scratch folder and never modified. "edit_to_live_seconds" runs from the publish call
returning to the new title being in the bucket's object; it includes the SITE_REBUILD_DELAY_SECONDS
debounce (each --delays value is one series) and the worker's --interval poll (0.2 s, as production's unit).
The CMS runs under gunicorn as in production (2 workers × 4 threads).
The worker publishes with publish_changes(): its first publish lists and diffs the bucket (no journal of a
publish yet; "full_reason" in the run says so), later ones upload only the files the builds recorded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cms import ROOT, cms_env, running_cms  # noqa: E402

BUCKET = "bench-flow"
WORKER_INTERVAL = "0.2"  # as deploy/systemd/dangshi-worker@.service

BUILD = """
import json, time
from pathlib import Path
from django.conf import settings
from site_builder.build import build_site
from site_builder.tasks import cms_site_config
result = build_site(settings.CMS_API_URL, Path(settings.SITE_BUILD_DIR), config=cms_site_config(), full=True)
print(json.dumps(result.summary()))
"""

EDIT = """
import json, time
from content_models.models import EBookPage
book = EBookPage.objects.live().filter(district_only=False).order_by("pk")[{index}]
book.title = "{title}"
book.save_revision().publish()
print(json.dumps({{"published_at": time.time(), "id": book.pk, "site_path": book.site_path}}))
"""

LAST_REBUILD = """
import json
from django_tasks_db.models import DBTaskResult
from site_builder.tasks import rebuild_site
rows = DBTaskResult.objects.filter(task_path=rebuild_site.module_path).order_by("-enqueued_at")
row = rows.first()
print(json.dumps({"status": row.status, "return_value": row.return_value if row.status == "SUCCESSFUL" else None}))
"""


def shell(env: dict, code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["seed"], default="seed")
    parser.add_argument("--seed-dir", type=Path, default=Path("/tmp/bench-seed"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--delays", default="2,0", help="SITE_REBUILD_DELAY_SECONDS values to measure (comma-separated)")
    args = parser.parse_args()
    if not (args.seed_dir / "db.sqlite3").is_file():
        sys.exit(f"{args.seed_dir}/db.sqlite3 not found: seed one with DANGSHI_VAR_DIR={args.seed_dir} manage.py seed_demo --scale seed")

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    os.environ.update(creds)
    os.environ.pop("AWS_PROFILE", None)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=BUCKET)
    figures: dict = {"scale": args.scale, "worker_interval_seconds": float(WORKER_INTERVAL)}

    with tempfile.TemporaryDirectory(prefix="bench-flow-") as tmp:
        var = Path(tmp) / "var"
        shutil.copytree(args.seed_dir, var)
        env = cms_env(var)
        env.pop("DATABASE_URL", None)  # the copied SQLite database, whatever the caller's environment says
        env.update(creds)
        env.update(
            SITE_PUBLISH_TARGET=f"s3://{BUCKET}/site",
            SITE_PUBLISH_ENDPOINT_URL=endpoint,
            SITE_PUBLISH_ADDRESSING_STYLE="path",
        )
        with running_cms(env, "gunicorn") as base:
            env.update(WAGTAILADMIN_BASE_URL=base, CMS_API_URL=f"{base}/api/v2/")
            figures["full_build"] = shell(env, BUILD)
            site = var / "site"
            publish_cmd = [sys.executable, "-m", "site_builder", "publish", "--from", str(site), "--to",
                           f"s3://{BUCKET}/site", "--endpoint-url", endpoint, "--addressing-style", "path", "--json"]
            for label in ("full_publish", "republish_unchanged"):
                started = time.perf_counter()
                out = subprocess.run(publish_cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
                figures[label] = {**json.loads(out), "wall_seconds": round(time.perf_counter() - started, 2)}

            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--backend", "queue", "--no-reload", "--interval", WORKER_INTERVAL],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(3)  # the worker's startup
                edit = 0

                def edit_until_live(delay: float) -> dict:
                    nonlocal edit
                    edit += 1
                    title = f"三会一课工作手册（第{edit}次修订·基准）"
                    done = shell({**env, "SITE_REBUILD_DELAY_SECONDS": str(delay)}, EDIT.format(index=0, title=title))
                    key = f"site{done['site_path']}index.html"
                    live = None
                    while time.time() - done["published_at"] < 120:
                        try:
                            body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                            if title in gzip.decompress(body).decode("utf-8"):
                                live = time.time() - done["published_at"]
                                break
                        except s3.exceptions.NoSuchKey:
                            pass
                        time.sleep(0.05)
                    while (task := shell(env, LAST_REBUILD))["status"] not in ("SUCCESSFUL", "FAILED"):
                        time.sleep(0.2)
                    return {"edit_to_live_seconds": round(live, 2) if live else None, **(task["return_value"] or {})}

                # The worker's first publish has no journal of an earlier one, so it lists and diffs the bucket
                # (and the first edit of an old item moves it to the top of every newest-first list): reported apart.
                figures["first_edit_after_start"] = edit_until_live(0)
                for delay in [float(d) for d in args.delays.split(",")]:
                    runs = [edit_until_live(delay) for _ in range(args.repeats)]
                    lives = [run["edit_to_live_seconds"] for run in runs if run["edit_to_live_seconds"] is not None]
                    figures[f"edit_one_ebook_delay_{delay:g}s"] = {
                        "rebuild_delay_seconds": delay,
                        "median_edit_to_live_seconds": round(statistics.median(lives), 2) if lives else None,
                        "p95_edit_to_live_seconds": round(statistics.quantiles(lives, n=20)[-1], 2) if len(lives) > 1 else None,
                        "max_edit_to_live_seconds": max(lives, default=None),
                        "median_uploaded": statistics.median(run.get("publish", {}).get("uploaded", -1) for run in runs),
                        "runs": runs,
                    }
            finally:
                worker.terminate()
                worker.wait(10)
    moto.stop()
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
