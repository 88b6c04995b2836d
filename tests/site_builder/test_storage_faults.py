"""Publishing through storage that fails: a proxy in front of the S3 server fails a seeded share of the
requests (500s, resets, timeouts). Publishes repeated until they succeed converge on the folder, no page in
the bucket ever uses an asset the bucket lacks, and the next clean run uploads nothing."""

from __future__ import annotations

import pytest

from tests.site_builder.storage_faults import (
    asset_links,
    missing_assets,
    print_figures,
    run_faulty_publishes,
    site_version,
)

SEED = 20210701


def test_asset_check_finds_a_page_whose_style_sheet_is_missing():
    # The check below must be able to fail.
    site = site_version(1)
    css = next(key for key in site if key.startswith("css/"))
    assert css in asset_links("books/4/index.html", site["books/4/index.html"].decode())
    assert asset_links("columns/0/index.html", '<img src="/img/a.webp"><script src="../../js/b.js"></script>') == {
        "img/a.webp", "js/b.js"}
    del site[css]
    broken = missing_assets(site)
    assert "index.html → " + css in broken and len(broken) == sum(key.endswith(".html") for key in site)


@pytest.mark.slow
def test_publishes_through_failing_storage_converge_without_broken_pages(s3_server, tmp_path, record_property):
    run = run_faulty_publishes(
        s3_endpoint=s3_server.endpoint_url,
        client=s3_server.client,
        bucket=s3_server.new_bucket(),
        workdir=tmp_path,
        versions=6,
        share=0.25,
        seed=SEED,
    )
    print_figures(run)
    for name, value in run.figures().items():
        record_property(name, value)

    assert run.problems == []
    assert (run.broken_pages_after_failures, run.mismatches) == (0, 0)
    assert (run.clean_journal_changes, run.clean_full_changes) == (0, 0)
    # The storage did fail, in every way, and some publishes with it: otherwise this proved nothing.
    assert run.failed_publishes >= 1 and run.versions == 6
    assert {kind.split()[0] for kind in run.faults} == {"500", "reset", "timeout"}
