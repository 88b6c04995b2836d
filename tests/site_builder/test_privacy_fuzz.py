"""Hunt the whole class of privacy leak: a seeded random sequence of editors' actions (publish, unpublish,
schedule, expire, district-only, page and collection restrictions, moves, deletes, retitles, relations,
links and covers, activities with tasks, places and replays, pinned as the banner or district-only), with the real worker rebuilding, reindexing and publishing to the S3 server in between;
after every build no private title, summary or file name appears anywhere, and the site equals a full build;
two districts' logged-in members read exactly their own district's district-only items on /me/district/.

FUZZ_OPERATIONS and FUZZ_SEED change the size and the sequence (bench/bench_privacy_fuzz.py runs ≥ 1,000).
"""

from __future__ import annotations

import json
import os

import pytest

from .privacy_fuzz import PrivacyFuzz

OPERATIONS = int(os.environ.get("FUZZ_OPERATIONS", "150"))
SEED = int(os.environ.get("FUZZ_SEED", "2021"))
BUILD_EVERY = int(os.environ.get("FUZZ_BUILD_EVERY", "6"))


@pytest.fixture
def worker_settings(settings, cms_api_url, s3_server, tmp_path):
    """The worker's build folder, index and bucket for this run; no debounce, so one drain does everything."""
    bucket = s3_server.new_bucket()
    settings.SITE_BUILD_DIR = tmp_path / "site"
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.SITE_PUBLISH_TARGET = f"s3://{bucket}/"
    settings.SITE_PUBLISH_OPTIONS = {"endpoint_url": s3_server.endpoint_url, "addressing_style": "path"}
    settings.SITE_REBUILD_DELAY_SECONDS = 0
    return bucket


@pytest.mark.slow
def test_no_private_title_summary_or_file_escapes_whatever_editors_do(worker_settings, live_server, s3_server, tmp_path):
    fuzz = PrivacyFuzz(SEED, live_server.url, s3_server.client, worker_settings, tmp_path / "scratch")
    report = fuzz.run(OPERATIONS, BUILD_EVERY)
    summary = report.summary()
    if path := os.environ.get("FUZZ_REPORT"):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({**summary, "leaks": report.leaks[:50], "mismatches": report.mismatches[:50]}, handle, ensure_ascii=False)
    assert summary["operations"] == OPERATIONS and summary["builds"] >= OPERATIONS // BUILD_EVERY
    assert len(summary["by_operation"]) >= 15, "the sequence should exercise nearly every kind of action"
    assert summary["reader_files_checked"] > 0, "the demo's processed documents should give reader pages to check"
    assert summary["episode_media_checked"] > 0, "the demo's transcoded video and audio should give renditions to check"
    assert summary["by_operation"].get("activity", 0) > 0, "organisers should have created or edited activities"
    assert summary["member_pages_readable"] > 0, "two districts' members should have read some of their own items"
    assert report.leaks == []
    assert report.mismatches == []
