"""Search nodes following one writer: the worker publishes each index version to a folder or to moto's S3 server,
two search nodes (two index folders) follow it and answer for the writer's new document; damaged, half-uploaded
and hostile versions are refused while the node keeps answering."""

import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from content_models.models import EBookPage
from search_index.indexer import current_generation
from search_index.query import search
from search_index.replication import installed_manifest, open_store, read_latest, read_manifest, read_object
from search_index.tasks import index_item, rebuild_index
from site_builder.publish.files import CACHE_NO_CACHE, StoredObject
from tests.site_builder.conftest import s3_server  # noqa: F401  (the moto S3 server fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["folder", "s3"])
def store_url(request, search_settings, tmp_path) -> str:
    """SEARCH_INDEX_ARTEFACTS for this test: a local folder, or a bucket prefix on moto's S3 server over HTTP."""
    if request.param == "folder":
        url = f"file://{tmp_path / 'artefacts'}"
    else:
        server = request.getfixturevalue("s3_server")
        url = f"s3://{server.new_bucket()}/search-index"
        search_settings.SEARCH_INDEX_ARTEFACTS_OPTIONS = {"endpoint_url": server.endpoint_url, "addressing_style": "path"}
    search_settings.SEARCH_INDEX_ARTEFACTS = url
    return url


@pytest.fixture
def store(store_url, search_settings):
    return open_store(store_url, **search_settings.SEARCH_INDEX_ARTEFACTS_OPTIONS)


def command(*args: str) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def follow(node: Path) -> dict:
    return command("follow_search_index", "--once", "--index-dir", str(node))


def hits_on(node: Path, client, settings, query: str) -> list[str]:
    """The result URLs a search node with index folder `node` answers over HTTP."""
    writer = settings.SEARCH_INDEX_DIR
    settings.SEARCH_INDEX_DIR = node
    try:
        response = client.get("/api/search/", {"q": query})
    finally:
        settings.SEARCH_INDEX_DIR = writer  # the worker in these tests writes to the writer's index
    assert response.status_code == 200, response.content[:300]
    return [hit["url"] for hit in json.loads(response.content)["hits"]]


def publish_through_the_worker(*books: EBookPage) -> list[DBTaskResult]:
    for book in books:
        book.save_revision().publish()
    search_tasks = DBTaskResult.objects.filter(task_path__in=[index_item.module_path, rebuild_index.module_path])
    DBTaskResult.objects.exclude(pk__in=search_tasks.values("pk")).delete()  # the site rebuild is not ours to test
    call_command("db_worker", "--backend", "queue", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    results = list(search_tasks.order_by("enqueued_at"))
    for result in results:
        assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    return results


def public_books(count: int) -> list[EBookPage]:
    return list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:count])


def test_two_search_nodes_serve_the_writers_new_document_after_following(built_index, store, client, settings, tmp_path):
    first = command("publish_search_index")
    nodes = [tmp_path / "node-a", tmp_path / "node-b"]
    for node in nodes:
        assert follow(node)["status"] == "installed"
        assert follow(node)["status"] == "current"
    book, other = public_books(2)
    assert book.site_path in hits_on(nodes[1], client, settings, book.title)

    book.title, other.title = "龙虎山红色档案选编", "白山黑水抗联家书"
    results = publish_through_the_worker(book, other)
    # Two updates in one burst: the one run first skips publishing (the other is queued), the other publishes both.
    published = [r.return_value["published"] for r in results]
    assert sorted(p.get("skipped", "") for p in published) == ["", "another index task is queued"]
    second = next(p for p in published if "version" in p)
    assert second["version"] > first["version"] and not second["unchanged"]
    assert 0 < second["uploaded_bytes"] < second["bytes"]  # only what the update changed went up
    for node in nodes:
        assert book.site_path not in hits_on(node, client, settings, "龙虎山红色档案选编")  # not before it follows
        report = follow(node)
        assert (report["status"], report["version"]) == ("installed", second["version"])
        assert report["reused"] > 0 and report["downloaded_bytes"] == second["uploaded_bytes"]
        assert hits_on(node, client, settings, "龙虎山红色档案选编")[:1] == [book.site_path]
        assert hits_on(node, client, settings, "白山黑水抗联家书")[:1] == [other.site_path]
        assert json.loads((node / "labels.json").read_text(encoding="utf-8")) == json.loads(
            (built_index / "labels.json").read_text(encoding="utf-8")
        )
    assert command("publish_search_index")["unchanged"]


@pytest.mark.parametrize("store_url", ["folder"], indirect=True)
def test_the_store_keeps_the_newest_versions_and_only_their_files(built_index, store, client, settings, tmp_path):
    settings.SEARCH_INDEX_ARTEFACTS_KEEP = 2
    book = public_books(1)[0]
    versions = []
    for title in ["延安精神学习读本（一）", "延安精神学习读本（二）", "延安精神学习读本（三）"]:
        book.title = title
        versions.append(publish_through_the_worker(book)[-1].return_value["published"]["version"])
    stored = store.list_md5s()
    assert sorted(k for k in stored if k.startswith("versions/")) == [f"versions/{v}.json" for v in versions[-2:]]
    named = set()
    for version in versions[-2:]:
        named |= {f["sha256"] for f in json.loads(read_object(store, f"versions/{version}.json"))["files"]}
    assert {k.removeprefix("blobs/") for k in stored if k.startswith("blobs/")} == named
    assert follow(tmp_path / "node")["version"] == versions[-1]
    assert hits_on(tmp_path / "node", client, settings, "延安精神学习读本（三）")[:1] == [book.site_path]


def test_a_damaged_or_half_uploaded_version_is_refused_and_the_node_keeps_answering(
    built_index, store, client, settings, tmp_path, caplog
):
    command("publish_search_index")
    node = tmp_path / "node"
    follow(node)
    serving = current_generation(node)
    book = public_books(1)[0]
    old_title = book.title
    book.title = "杨靖宇将军纪念文集"
    publish_through_the_worker(book)
    manifest = read_manifest(store, read_latest(store))
    meta = next(f for f in manifest["files"] if f.path == "generation/meta.json")
    blob = f"blobs/{meta.sha256}"
    good = read_object(store, blob)

    def refused() -> str:
        with caplog.at_level(logging.ERROR, logger="search_index.replication"), pytest.raises(CommandError) as error:
            follow(node)
        assert current_generation(node) == serving  # nothing swapped
        assert book.site_path in hits_on(node, client, settings, old_title)  # still answering, from the old version
        assert book.site_path not in hits_on(node, client, settings, "杨靖宇将军纪念文集")
        assert str(error.value) in caplog.text
        return str(error.value)

    damaged = bytes([good[0] ^ 0xFF]) + good[1:]  # same size, one byte changed
    store.put(StoredObject(blob, damaged, hashlib.md5(damaged).hexdigest(), "application/octet-stream", CACHE_NO_CACHE, None))
    message = refused()
    assert "generation/meta.json" in message and "damaged" in message and "previous index" in message

    store.delete(blob)  # as if the upload had stopped half-way
    assert "lacks generation/meta.json" in refused()

    # The writer's next publish puts back what the store lacks; the node then follows.
    assert command("publish_search_index")["uploaded"] == 1
    assert follow(node)["status"] == "installed"
    assert hits_on(node, client, settings, "杨靖宇将军纪念文集")[:1] == [book.site_path]


def put_json(store, key: str, data: dict) -> bytes:
    body = json.dumps(data, ensure_ascii=False).encode()
    store.put(StoredObject(key, body, hashlib.md5(body).hexdigest(), "application/json", CACHE_NO_CACHE, None))
    return body


@pytest.mark.parametrize("store_url", ["folder"], indirect=True)
def test_a_manifest_naming_files_outside_the_index_is_refused(built_index, store, tmp_path):
    command("publish_search_index")
    pointer = read_latest(store)
    published = json.loads(read_object(store, pointer["manifest"]))
    node = tmp_path / "nodes" / "node"
    for n, path in enumerate(["generation/../../outside.txt", "../CURRENT", "generation/.hidden", "settings.py", "generation/"]):
        manifest = {**published, "version": f"99991231T235959{n:06d}-ffffff"}
        manifest["files"] = [{**published["files"][0], "path": path}, *published["files"][1:]]
        key = f"versions/{manifest['version']}.json"
        body = put_json(store, key, manifest)
        put_json(store, "latest", {"version": manifest["version"], "manifest": key, "sha256": hashlib.sha256(body).hexdigest()})
        with pytest.raises(CommandError, match="is not an index file"):
            follow(node)
        # Nothing written but the follower's lock, and nothing outside its folder.
        assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "nodes").rglob("*")) == ["nodes/node", "nodes/node/.follow.lock"]


def test_the_follower_process_installs_new_versions_and_logs_a_refusal_once(tmp_path):
    """`follow_search_index` as search nodes run it: a separate, long-running process looking every 0.2 s."""
    from search_index.indexer import build_index

    writer, node, url = tmp_path / "writer", tmp_path / "node", f"file://{tmp_path / 'artefacts'}"
    docs = [
        {"key": "ebook:1", "type": "ebook", "title": "东北抗日联军史料选编", "body": "杨靖宇将军率部在白山黑水间坚持抗战。", "url": "/books/1/"},
        {"key": "news:2", "type": "news", "title": "南关区社区党员重温入党誓词", "body": "三会一课制度落到实处。", "url": "/news/2/"},
    ]
    build_index(docs, writer)
    first = command("publish_search_index", "--to", url, "--index-dir", str(writer))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test", "DANGSHI_VAR_DIR": str(tmp_path / "var")}
    follower = subprocess.Popen(
        [sys.executable, "manage.py", "follow_search_index", "--from", url, "--index-dir", str(node), "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: (installed_manifest(node) or {}).get("version") == first["version"], follower)
        assert [hit.url for hit in search(node, "东北抗日联军史料选编").hits][:1] == ["/books/1/"]

        build_index([{**docs[0], "title": "东北抗日联军史料选编（增订本）"}, docs[1]], writer)
        second = command("publish_search_index", "--to", url, "--index-dir", str(writer))
        wait_for(lambda: (installed_manifest(node) or {}).get("version") == second["version"], follower)
        assert [hit.title for hit in search(node, "增订本").hits] == ["东北抗日联军史料选编（增订本）"]

        # A third version whose meta.json blob is damaged in the store: refused, the node keeps the second.
        store = open_store(url)
        manifest = json.loads(read_object(store, f"versions/{second['version']}.json"))
        meta = next(f for f in manifest["files"] if f["path"] == "generation/meta.json")
        bad = b"{}" + read_object(store, f"blobs/{meta['sha256']}")[2:]
        fake = "0" * 64
        store.put(StoredObject(f"blobs/{fake}", bad, hashlib.md5(bad).hexdigest(), "application/octet-stream", CACHE_NO_CACHE, None))
        third = {**manifest, "version": "99991231T235959000000-badbad",
                 "files": [{**f, "sha256": fake} if f is meta else f for f in manifest["files"]]}
        body = put_json(store, f"versions/{third['version']}.json", third)
        serving = current_generation(node)
        put_json(store, "latest", {"version": third["version"], "manifest": f"versions/{third['version']}.json",
                                   "sha256": hashlib.sha256(body).hexdigest()})
        time.sleep(2)  # ten looks at the store
        assert current_generation(node) == serving
        assert [hit.title for hit in search(node, "增订本").hits] == ["东北抗日联军史料选编（增订本）"]
    finally:
        follower.terminate()
        log = follower.communicate(timeout=30)[1]
    refusals = [line for line in log.splitlines() if "refused version 99991231T235959000000-badbad" in line]
    assert len(refusals) == 1, log[-2000:]
    assert "generation/meta.json" in refusals[0] and "Still serving the previous index" in refusals[0]


def wait_for(condition, process: subprocess.Popen, limit: float = 120.0) -> None:
    """Until `condition()` holds; fails if the process ends or `limit` seconds pass (a hang, not a speed check)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the follower did not install the version"
        time.sleep(0.05)
