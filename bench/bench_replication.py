"""Benchmark search scale-out: what a publish costs and how soon search nodes serve a new index version; prints JSON.

    .venv/bin/python bench/bench_replication.py [--docs 12000] [--nodes 2] [--repeat 10] [--store folder|s3] [--interval 1]

Scale: --docs synthetic documents shaped like the API's (bench_search_core's corpus; 12,000 ≈ the seed catalogue's
11,660 documents). The writer builds an index in a scratch folder and publishes it to a folder or to moto's S3 server
on 127.0.0.1; --nodes real follower processes (`manage.py follow_search_index --interval`) follow it into their own
folders. Then, --repeat times, one document gets a new title (update_documents, as the index_item task does) and is
published; "catch_up" is the time from the end of that publish (`latest` written) until a search on each node's
folder returns the new title — what a search node's server would answer, since it reopens the index when CURRENT
changes. Last, a full rebuild (every file new) is published and timed the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_search_core import make_docs  # noqa: E402

POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 60.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


def figures(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "p95": pct(values, 95), "max": round(max(values), 3), "n": len(values)}


def serves(node: Path, key: str, title: str) -> bool:
    from search_index.indexer import IndexNotFoundError
    from search_index.query import search

    try:
        return any(hit.key == key and hit.title == title for hit in search(node, title).hits)
    except (IndexNotFoundError, FileNotFoundError):
        return False


def wait_until_served(nodes: list[Path], key: str, title: str, since: float) -> list[float]:
    """Seconds from `since` until each node answers `title` with document `key`."""
    waiting = dict.fromkeys(nodes, 0.0)
    times: dict[Path, float] = {}
    while waiting:
        for node in list(waiting):
            if serves(node, key, title):
                times[node] = time.perf_counter() - since
                del waiting[node]
        if time.perf_counter() - since > WAIT_LIMIT_SECONDS:
            raise SystemExit(f"nodes {sorted(map(str, waiting))} did not serve {title!r} within {WAIT_LIMIT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    return [round(times[node], 3) for node in nodes]


def wait_for_version(nodes: list[Path], version: str, since: float) -> list[float]:
    """Seconds from `since` until each node's live generation was installed from `version`."""
    from search_index.replication import installed_manifest

    times: dict[Path, float] = {}
    while len(times) < len(nodes):
        for node in nodes:
            if node not in times and (installed_manifest(node) or {}).get("version") == version:
                times[node] = time.perf_counter() - since
        if time.perf_counter() - since > WAIT_LIMIT_SECONDS:
            raise SystemExit(f"nodes did not install version {version} within {WAIT_LIMIT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    return [round(times[node], 3) for node in nodes]


def start_store(kind: str, work: Path) -> tuple[str, dict, dict, object | None]:
    """(store URL, open_store options, environment for the followers, a server to stop)."""
    if kind == "folder":
        return f"file://{work / 'artefacts'}", {}, {}, None
    import boto3
    from moto.server import ThreadedMotoServer

    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    os.environ.update(credentials)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench-index")
    env = {**credentials, "SEARCH_INDEX_ARTEFACTS_ENDPOINT_URL": endpoint, "SEARCH_INDEX_ARTEFACTS_ADDRESSING_STYLE": "path"}
    return "s3://bench-index/search-index", {"endpoint_url": endpoint, "addressing_style": "path"}, env, server


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=12000)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--store", choices=["folder", "s3"], default="folder")
    parser.add_argument("--interval", type=float, default=1.0, help="the followers' --interval (seconds)")
    args = parser.parse_args(argv)

    from search_index import indexer, replication

    work = Path(tempfile.mkdtemp(prefix="bench-replication-"))
    url, options, store_env, server = start_store(args.store, work)
    store = replication.open_store(url, **options)
    writer = work / "writer"
    nodes = [work / f"node-{n}" for n in range(args.nodes)]
    followers: list[subprocess.Popen] = []
    out: dict = {"scale": {"docs": args.docs, "nodes": args.nodes, "store": args.store, "interval_s": args.interval}}
    try:
        docs = make_docs(args.docs, seed=20)
        started = time.perf_counter()
        report = indexer.build_index(docs, writer)
        out["full_build_s"] = round(time.perf_counter() - started, 2)
        first = replication.publish(writer, store)
        out["first_publish"] = {"seconds": first.seconds, "files": first.files, "bytes": first.bytes}
        env = {
            **os.environ, **store_env, "DJANGO_SETTINGS_MODULE": "cms.settings.dev", "DANGSHI_VAR_DIR": str(work / "var"),
        }
        launched = time.perf_counter()
        for node in nodes:
            followers.append(subprocess.Popen(
                [sys.executable, "manage.py", "follow_search_index", "--from", url, "--index-dir", str(node),
                 "--interval", str(args.interval)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        # Includes each follower's start (Python, Django, its first look at the store).
        out["first_follow_s"] = wait_for_version(nodes, first.version, launched)

        updates, publishes, uploaded, catch_up, end_to_end = [], [], [], [], []
        for n in range(args.repeat):
            doc = {**docs[n + 1], "title": f"赣南苏区红色家书选编第{n + 1}卷"}
            edited = time.perf_counter()
            indexer.update_documents([doc], writer)
            updated = time.perf_counter()
            published = replication.publish(writer, store)
            done = time.perf_counter()
            times = wait_until_served(nodes, doc["key"], doc["title"], done)
            updates.append(updated - edited)
            publishes.append(published.seconds)
            uploaded.append(published.uploaded_bytes)
            catch_up += times
            end_to_end += [t + done - edited for t in times]
        out["incremental"] = {
            "update_s": figures(updates),
            "publish_s": figures(publishes),
            "uploaded_bytes_median": int(statistics.median(uploaded)),
            "catch_up_s": figures(catch_up),
            "update_to_served_s": figures(end_to_end),
        }

        doc = {**docs[0], "title": "东北抗联英雄谱全集"}
        indexer.build_index([doc, *docs[1:]], writer)
        published = replication.publish(writer, store)
        done = time.perf_counter()
        out["after_full_rebuild"] = {
            "publish_s": published.seconds,
            "uploaded_bytes": published.uploaded_bytes,
            "catch_up_s": wait_until_served(nodes, doc["key"], doc["title"], done),
        }
        out["index_bytes"] = report.size_bytes
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for follower in followers:
            follower.terminate()
            follower.wait(10)
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
