"""Tests for building, swapping and incrementally updating the index."""

from __future__ import annotations

import pytest
from whoosh import index as whoosh_index

from search_index.indexer import (
    IndexNotFoundError,
    build_index,
    current_generation,
    delete_documents,
    index_info,
    index_is_stale,
    index_size_bytes,
    update_documents,
)
from search_index.query import search
from search_index.schema import TEXT_FIELDS
from search_index.snapshot import open_snapshot


def _doc(key: str, title: str, **extra) -> dict:
    return {"key": key, "type": "news", "title": title, "url": f"/n/{key}/", **extra}


def test_index_records_dictionary_version_and_detects_stale(tmp_path):
    build_index([_doc("news:1", "红色物业进社区")], tmp_path)
    assert not index_is_stale(tmp_path)
    assert index_is_stale(tmp_path, extra_terms=["红色物业"])
    build_index([_doc("news:1", "红色物业进社区")], tmp_path, extra_terms=["红色物业"])
    assert not index_is_stale(tmp_path, extra_terms=["红色物业"])
    assert index_is_stale(tmp_path)
    # The index queries with the dictionary it was built with: 红色物业 is one word there.
    assert search(tmp_path, "红色物业").words == ["红色物业"]


def test_missing_index_is_stale_and_reports_how_to_fix(tmp_path):
    assert index_is_stale(tmp_path / "nothing")
    with pytest.raises(IndexNotFoundError, match="build one first"):
        current_generation(tmp_path / "nothing")


def test_reader_opened_before_rebuild_keeps_answering(tmp_path):
    build_index([_doc("news:1", "延安精神永放光芒")], tmp_path)
    old = open_snapshot(tmp_path)
    build_index([_doc("news:2", "抗联精神代代相传")], tmp_path)

    assert [h.key for h in search(old, "延安精神").hits] == ["news:1"]
    assert [h.key for h in search(tmp_path, "抗联精神").hits] == ["news:2"]
    assert search(tmp_path, "延安精神").total == 0
    old.close()


def test_old_generations_are_pruned(tmp_path):
    for i in range(5):
        build_index([_doc(f"news:{i}", "延安精神")], tmp_path)
    generations = [p for p in tmp_path.iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 3
    assert current_generation(tmp_path) in generations


def test_incremental_update_and_delete(tmp_path):
    build_index([_doc("news:1", "延安精神"), _doc("news:2", "井冈山精神")], tmp_path)
    assert search(tmp_path, "西柏坡精神").total == 0

    update_documents([_doc("news:3", "西柏坡精神"), _doc("news:1", "遵义会议")], tmp_path)
    assert [h.key for h in search(tmp_path, "西柏坡精神").hits] == ["news:3"]
    assert search(tmp_path, "延安精神").total == 0  # news:1 was replaced, not duplicated
    assert [h.key for h in search(tmp_path, "遵义会议").hits] == ["news:1"]

    assert delete_documents(["news:3", "news:missing"], tmp_path) == 1
    assert search(tmp_path, "西柏坡精神").total == 0
    assert index_info(tmp_path)["doc_count"] == 2
    assert index_size_bytes(tmp_path) > 0


def test_bad_document_is_rejected_with_its_key_and_nothing_is_written(tmp_path):
    build_index([_doc("news:1", "延安精神")], tmp_path)
    with pytest.raises(ValueError, match="news:9.*date"):
        update_documents([_doc("news:8", "长征精神"), _doc("news:9", "x", date="2021/7/1")], tmp_path)
    assert search(tmp_path, "长征精神").total == 0


def test_duplicate_keys_in_a_build_keep_the_last(tmp_path):
    build_index([_doc("news:1", "延安精神"), _doc("news:1", "长征精神")], tmp_path)
    assert index_info(tmp_path)["doc_count"] == 1
    assert search(tmp_path, "长征精神").total == 1


def test_update_during_a_rebuild_is_not_lost(tmp_path):
    build_index([_doc("news:1", "延安精神")], tmp_path)

    def slow_api_feed():
        yield _doc("news:1", "延安精神")
        # An editor publishes while the full rebuild is still reading the API.
        update_documents([_doc("news:2", "红船精神")], tmp_path)
        yield _doc("news:3", "长征精神")

    build_index(slow_api_feed(), tmp_path)
    assert [h.key for h in search(tmp_path, "红船精神").hits] == ["news:2"]
    assert index_info(tmp_path)["doc_count"] == 3
    assert not index_info(tmp_path)["building"]


def test_second_writer_times_out_with_an_actionable_error(tmp_path):
    from search_index.indexer import WRITE_LOCK, IndexBusyError, _file_lock

    build_index([_doc("news:1", "延安精神")], tmp_path)
    with _file_lock(tmp_path / WRITE_LOCK, 1.0, "write"):
        with pytest.raises(IndexBusyError, match="retry"):
            update_documents([_doc("news:2", "长征精神")], tmp_path, lock_timeout=0.2)
    assert update_documents([_doc("news:2", "长征精神")], tmp_path) == 1


def _index_contents(index_dir) -> dict:
    """Everything searches read, by document number: stored fields, field lengths, and every term's
    postings (document, weight, encoded positions)."""
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        docnums = range(reader.doc_count_all())
        postings = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, text)] = rows
        return {
            "stored": [reader.stored_fields(n) if not reader.is_deleted(n) else None for n in docnums],
            "lengths": [[reader.doc_field_length(n, f) for f in TEXT_FIELDS] for n in docnums],
            "postings": postings,
        }


def test_a_parallel_build_indexes_exactly_what_one_process_does(tmp_path, corpus):
    docs = [dict(doc, key=f"{doc['key']}-{round_}") for round_ in range(5) for doc in corpus]
    # A repeated key: its last version replaces the first after the parallel part.
    docs.append(dict(docs[3], title="白山黑水 第3集（修订版）"))

    one = build_index(docs, tmp_path / "one", procs=1)
    two = build_index(docs, tmp_path / "two", procs=2)

    assert (one.processes, two.processes) == (1, 2)
    assert one.doc_count == two.doc_count == len(docs) - 1
    assert _index_contents(tmp_path / "one") == _index_contents(tmp_path / "two")
    for query in ("白山黑水", "四个自信", "国有企业改革", "抗联精神 杨靖宇", "黨史", "修订版"):
        found_one = search(tmp_path / "one", query)
        found_two = search(tmp_path / "two", query)
        assert found_one.total > 0
        assert [(h.key, h.score) for h in found_one.hits] == [(h.key, h.score) for h in found_two.hits]


def test_delete_of_a_key_only_a_running_build_holds_is_not_lost(tmp_path):
    build_index([_doc("news:1", "延安精神")], tmp_path)

    def api_feed():
        yield _doc("news:1", "延安精神")
        yield _doc("news:2", "红船精神")
        # Unpublished while the build reads on: the live generation never had news:2.
        assert delete_documents(["news:2"], tmp_path) == 0
        yield _doc("news:3", "长征精神")

    build_index(api_feed(), tmp_path)
    assert search(tmp_path, "红船精神").total == 0
    assert index_info(tmp_path)["doc_count"] == 2


def test_a_failing_helper_fails_the_build_with_its_own_error_and_the_live_index_stays(tmp_path, monkeypatch):
    from whoosh.writing import SegmentWriter

    build_index([_doc("news:1", "延安精神")], tmp_path)
    live = current_generation(tmp_path)
    add_document = SegmentWriter.add_document

    def failing(self, **fields):
        if fields["key"] == "news:180":  # in the second run, which the forked helper indexes
            raise RuntimeError("磁盘已满")
        return add_document(self, **fields)

    monkeypatch.setattr(SegmentWriter, "add_document", failing)
    docs = [_doc(f"news:{i}", f"长征精神第{i}讲") for i in range(2, 200)]
    with pytest.raises(RuntimeError, match="磁盘已满"):
        build_index(docs, tmp_path, procs=2)

    assert current_generation(tmp_path) == live
    assert [p for p in tmp_path.iterdir() if p.name.startswith("gen-")] == [live]
    assert [h.key for h in search(tmp_path, "延安精神").hits] == ["news:1"]
    assert not index_info(tmp_path)["building"]
