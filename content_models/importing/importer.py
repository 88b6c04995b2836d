"""Import a catalogue sheet: check every row first, then write all of it in one transaction (or nothing).

Rows are matched to existing content by natural key (ISBN, ISSN, ISSN+年份+期号, 系列编号, 系列编号+集数,
名称+县市区), so importing the same sheet twice updates instead of duplicating. Every write goes through a
Wagtail revision and is published (or left as a draft where the user may not publish), logged with the
importing user. Reading is `reading`, checking `planning`, writing `writing`; this module runs them in order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError
from django.utils import translation

from ..pages import SectionPage
from .formats import FORMATS
from .media import MediaArchive
from .planning import CREATE, UNCHANGED, UPDATE, Planner
from .reading import SheetError, open_sheet
from .report import ImportReport, RowError
from .writing import PageWriter

Progress = Callable[[str, int], Callable[[int], None]]


def run_import(
    type_key: str,
    data: bytes,
    filename: str,
    user,
    *,
    section: SectionPage | None = None,
    media: bytes | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check and (unless dry_run, or errors without valid_only) import a sheet; never writes half of it.

    `progress(label, total)` is called at the start of each phase (检查, 导入) and returns a function that is
    told how many rows were just done."""
    fmt = FORMATS[type_key]
    report = ImportReport(type_label=fmt.label, dry_run=dry_run)
    phase = progress or (lambda label, total: lambda done: None)
    with translation.override("zh-hans"):
        sheet = None
        try:
            sheet = open_sheet(data, filename)
            planner = Planner(fmt, user, default_section=section, media=MediaArchive(media) if media else None)
            mapping, header_errors = planner.map_headers(sheet.headers)
            if header_errors:  # the header is checked before a single data row is read
                report.errors = header_errors
                return report
            plans, errors, report.total = planner.plan(mapping, sheet.rows(), phase("检查", sheet.estimated_rows))
        except SheetError as error:
            report.errors = [RowError(0, "", str(error))]
            return report
        finally:
            if sheet is not None:
                sheet.close()
        report.errors = sorted(errors, key=lambda e: e.row)
        report.skipped = report.error_rows if report.errors and valid_only else 0
        report.created = sum(p.action == CREATE for p in plans)
        report.updated = sum(p.action == UPDATE for p in plans)
        report.unchanged = sum(p.action == UNCHANGED for p in plans)
        if dry_run or (report.errors and not valid_only):
            return report
        try:
            report.drafts = PageWriter(planner, user).apply(plans, phase("导入", len(plans)))
        except IntegrityError as error:
            report.errors.append(RowError(0, "", f"导入期间有其他编辑同时新建或修改了相同的内容，未导入任何内容，请重新导入（{error}）。"))
            return report
        report.written = True
    return report
