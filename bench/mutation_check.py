"""Hand-picked mutations of the privacy-critical code: each must make its chosen tests fail; prints JSON.

    .venv/bin/python bench/mutation_check.py            # every mutant (about 10-15 minutes on 2 cores)
    .venv/bin/python bench/mutation_check.py --only visibility-no-public hotwords-block-by-equality
    .venv/bin/python bench/mutation_check.py --list

The mutants are applied to a copy of the repository in a temporary folder, never to the working tree,
so a crash or Ctrl-C cannot leave a mutant behind for others. First the chosen test files run once
unmutated (a test that already fails proves nothing); then, per mutant, one textual replacement is
made, its small test selection runs with `pytest -x -q`, and the file is restored in a `finally`.
One JSON line per mutant (mutant, file, killed, seconds; killed is null when the mutant could not be
judged: its text is no longer in the file, or its tests fail without it), then a summary line.
The exit status is 0 only when every mutant was killed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 900  # a mutant whose tests hang this long counts as killed (the suite did not pass)
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")


@dataclass(frozen=True)
class Mutant:
    """One textual change to one file, and the tests that must fail because of it."""

    name: str
    file: str
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest node ids or file paths, run as they are given


API_HIDDEN = "tests/content_models/test_api.py::test_draft_and_district_only_items_are_absent_from_every_listing"
API_MEDIA = "tests/content_models/test_api.py::test_private_images_are_not_listed"
RELATED = "tests/content_models/test_visibility.py::test_related_resources_name_only_public_items"
# Items leaving the public set vanish from a related page without a refetch; one coming back needs it.
BUILD_RELATED = "tests/site_builder/test_build_relations.py::test_a_restricted_related_item_is_named_again_once_the_restriction_is_lifted"
BUILD_EDIT = "tests/site_builder/test_build_incremental.py::test_an_edit_rewrites_the_item_and_the_lists_it_is_on_only"
BUILD_MOVE = "tests/site_builder/test_build_incremental.py::test_an_item_moved_to_another_district_is_fetched_again"
BUILD_REMOVE = "tests/site_builder/test_build_incremental.py::test_unpublish_and_delete_remove_the_items_files"
PUBLISH_ORDER = "tests/site_builder/test_publish.py::test_assets_then_documents_then_html_then_deletions"
DELETE_ORDER = "tests/site_builder/test_publish.py::test_a_removed_page_is_deleted_before_the_assets_it_uses"
HOT_WORDS = "tests/search_index_django/test_hotwords_and_tasks.py::test_hot_words_rank_by_decayed_count_with_pins_first_and_blocks_nowhere"
BUILD_FILES = "tests/site_builder/test_build_relations.py::test_a_cover_whose_collection_becomes_restricted_leaves_every_page_on_the_next_build"
BUILD_BODY = "tests/site_builder/test_build_relations.py::test_a_link_in_a_news_body_to_an_item_that_went_private_loses_its_address"
BODY_FILES = "tests/content_models/test_visibility.py::test_a_news_body_names_no_private_file"
CHOOSER = "tests/content_models/test_visibility.py::test_page_chooser_hides_other_districts_private_items_from_a_district_editor"
MOVE = "tests/content_models/test_visibility.py::test_an_item_moved_in_the_admin_belongs_to_its_new_district"
PRIVACY_SIGNALS = "tests/content_models/test_visibility.py::test_privacy_changes_in_the_admin_queue_a_rebuild_and_a_reindex"

MUTANTS = [
    # The one visibility rule (content_models/visibility.py).
    Mutant("visibility-no-public", "content_models/visibility.py",
           "queryset.live().public().exclude(", "queryset.live().exclude(", (RELATED,)),
    Mutant("visibility-no-live", "content_models/visibility.py",
           "queryset.live().public().exclude(", "queryset.public().exclude(", (API_HIDDEN,)),
    Mutant("visibility-no-district-only", "content_models/visibility.py",
           ".exclude(pk__in=district_only)", "", (API_HIDDEN,)),
    Mutant("visibility-no-restricted-collections", "content_models/visibility.py",
           ".exclude(collection__in=restricted_collections())", "", (API_MEDIA,)),
    Mutant("visibility-collection-ancestors-ignored", "content_models/visibility.py",
           "condition |= Q(path__startswith=path)", "condition |= Q(path=path)", (API_MEDIA,)),
    Mutant("visibility-media-used-by-any-page", "content_models/visibility.py",
           '.filter(page_id__in=public_pages().values("pk"))', "", (API_MEDIA,)),
    # The API's querysets (cms/api.py).
    Mutant("api-pages-unfiltered", "cms/api.py",
           "return public_pages(super().get_base_queryset())", "return super().get_base_queryset()", (API_HIDDEN,)),
    Mutant("api-media-unfiltered", "cms/api.py",
           '.filter(pk__in=public_media(self.model).values("pk"))', "", (API_MEDIA,)),
    # Relations between items (MapSitePage.related_ids / related_items in content_models/pages.py).
    Mutant("related-items-unfiltered", "content_models/pages.py",
           "return [pk for pk in linked if pk in public]", "return linked", (RELATED,)),
    Mutant("related-items-live-only", "content_models/pages.py",  # the bug the issue found: only live checked
           "public = public_page_ids(linked) if linked else set()",
           "public = set(Page.objects.filter(pk__in=linked, live=True).values_list(\"pk\", flat=True))", (RELATED,)),
    # The builder's incremental fetch (site_builder/source.py).
    Mutant("source-ignores-republish", "site_builder/source.py",
           '            or known[row["id"]].get("last_published_at") != row.get("last_published_at")\n', "", (BUILD_EDIT,)),
    Mutant("source-ignores-district-move", "site_builder/source.py",
           '            or known[row["id"]].get("district") != row.get("district")\n', "", (BUILD_MOVE,)),
    Mutant("source-ignores-related-changes", "site_builder/source.py",
           '            or known[row["id"]].get("related_ids") != row.get("related_ids")\n', "", (BUILD_RELATED,)),
    Mutant("source-ignores-file-privacy", "site_builder/source.py",
           "    elif media_version != cached.media_version:", "    elif False:", (BUILD_FILES,)),
    # What a page says about other items is this build's (site_builder/pages.py).
    Mutant("pages-body-links-unchecked", "site_builder/pages.py",
           "            return \"<a\"\n", "            return match[0]\n", (BUILD_BODY,)),
    # Rich text names only public files (content_models/public_rich_text.py).
    Mutant("rich-text-files-unchecked", "content_models/public_rich_text.py",
           "return [obj if obj is not None and obj.pk in public else None for obj in objects]", "return objects", (BODY_FILES,)),
    # The admin: chooser, moves, privacy changes.
    Mutant("chooser-shows-everything", "content_models/wagtail_hooks.py",
           "    if request.user.is_superuser:\n        return pages\n", "    return pages\n", (CHOOSER,)),
    Mutant("move-keeps-stale-district", "content_models/signals.py",
           "            LibraryItemPage.objects.filter(pk=item.pk).update(district_id=district_id)", "            pass", (MOVE,)),
    Mutant("privacy-change-queues-nothing", "site_builder/signals.py",
           '        request_rebuild(f"访问权限变更：{instance}")', "        pass", (PRIVACY_SIGNALS,)),
    Mutant("index-ignores-page-privacy", "search_index/signals.py",
           '    post_save.connect(subtree_changed, sender=PageViewRestriction, dispatch_uid="search_index_page_privacy")\n', "",
           (PRIVACY_SIGNALS,)),
    Mutant("source-keeps-removed-items", "site_builder/source.py",
           "for i in sorted(live) if i in fresh", "for i in sorted(live | set(known)) if i in fresh", (BUILD_REMOVE,)),
    # Publish order (site_builder/publish/mirror.py): assets, documents, HTML; then deletions the other way round.
    Mutant("publish-html-first", "site_builder/publish/mirror.py",
           "        for phase in Phase\n", "        for phase in reversed(Phase)\n", (PUBLISH_ORDER,)),
    Mutant("publish-deletes-first", "site_builder/publish/mirror.py", "    steps += [\n", "    steps[:0] = [\n", (PUBLISH_ORDER,)),
    Mutant("publish-deletes-assets-before-pages", "site_builder/publish/mirror.py",
           "        for phase in reversed(Phase)\n", "        for phase in Phase\n", (DELETE_ORDER,)),
    # Hot words (search_index/hotwords.py).
    Mutant("hotwords-block-by-equality", "search_index/hotwords.py",
           "return any(b and b in norm for b in blocked)", "return any(b and b == norm for b in blocked)", (HOT_WORDS,)),
    Mutant("hotwords-words-without-results", "search_index/hotwords.py",
           "return result.total > 0 and not result.used_or_fallback", "return result.total >= 0", (HOT_WORDS,)),
    Mutant("hotwords-no-decay", "search_index/hotwords.py",
           "math.pow(0.5, age / half_life_days)", "1.0", (HOT_WORDS,)),
]


def copy_repository(dest: Path) -> Path:
    """A copy of the source tree (no .git, venv or var) to mutate."""
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    return dest


def run_pytest(workdir: Path, tests: list[str], *, stop_first: bool) -> tuple[int, str, float]:
    """Run pytest in `workdir` with this interpreter; returns (exit code, output, seconds)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", *(["-x"] if stop_first else []), *tests]
    env = {**os.environ, "DANGSHI_VAR_DIR": str(workdir / "var")}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {TIMEOUT_SECONDS} s"
    return code, output, round(time.perf_counter() - started, 1)


def failing_tests(output: str) -> set[str]:
    """Node ids pytest's -rf summary names as failed or in error."""
    return set(re.findall(r"^(?:FAILED|ERROR) (\S+?)(?: - .*)?$", output, flags=re.MULTILINE))


def check(mutant: Mutant, workdir: Path, broken: set[str]) -> dict:
    """Apply one mutant, run its tests, restore the file; the JSON record for it."""
    record: dict = {"mutant": mutant.name, "file": mutant.file, "killed": None, "seconds": 0.0}
    already = sorted(test for test in broken if any(test.startswith(sel) or sel.startswith(test) for sel in mutant.tests))
    if already:
        record["note"] = f"its tests fail without the mutant: {', '.join(already)}"
        return record
    path = workdir / mutant.file
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        record["note"] = f"the text to mutate occurs {original.count(mutant.old)} times in {mutant.file} (code changed?)"
        return record
    try:
        path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
        code, output, seconds = run_pytest(workdir, list(mutant.tests), stop_first=True)
    finally:
        path.write_text(original, encoding="utf-8")
    record.update(killed=code != 0, seconds=seconds)
    if code == 1:
        record["failed"] = sorted(failing_tests(output))  # which test caught it
    if code in (-1, 2, 3, 4, 5):  # timeout, interrupted, internal error, usage error, nothing collected
        record["note"] = output.strip().splitlines()[-1] if output.strip() else f"pytest exit code {code}"
    elif code == 0:
        record["note"] = "survived: every selected test passed with the mutant in place"
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and their tests, run nothing")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run (when it just passed)")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    unknown = set(args.only or []) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))} (see --list)")
    if args.list:
        for mutant in mutants:
            print(json.dumps({"mutant": mutant.name, "file": mutant.file, "tests": mutant.tests}, ensure_ascii=False))
        return 0

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dangshi-mutants-") as tmp:
        workdir = copy_repository(Path(tmp) / "repo")
        broken: set[str] = set()
        if not args.no_baseline:
            selections = sorted({test for mutant in mutants for test in mutant.tests})
            code, output, seconds = run_pytest(workdir, selections, stop_first=False)
            broken = failing_tests(output) if code != 0 else set()
            if code not in (0, 1):
                broken |= set(selections)  # collection failed: nothing can be judged
            print(json.dumps({"baseline": "passed" if code == 0 else "failed", "failing": sorted(broken),
                              "seconds": seconds}, ensure_ascii=False), flush=True)
        records = []
        for mutant in mutants:
            records.append(check(mutant, workdir, broken))
            print(json.dumps(records[-1], ensure_ascii=False), flush=True)
    summary = {
        "mutants": len(records),
        "killed": sum(1 for r in records if r["killed"] is True),
        "survived": [r["mutant"] for r in records if r["killed"] is False],
        "not_judged": [r["mutant"] for r in records if r["killed"] is None],
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["killed"] == len(records) else 1


if __name__ == "__main__":
    sys.exit(main())
