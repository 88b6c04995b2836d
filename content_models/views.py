"""Admin views for editors' bulk work: upload a sheet → check report → confirm (large sheets on the worker, with a
progress page); templates; exports."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .importing.exporter import export_catalogue
from .importing.formats import FORMATS, write_xlsx
from .importing.report import ImportReport
from .importing.uploads import enqueue_import, load_upload, read_status, run_saved, runs_on_worker, save_upload
from .pages import SectionPage

MAX_ERRORS_SHOWN = 500


def sections_for(user, action: str = "add") -> list[SectionPage]:
    """Sections where Wagtail's permission API lets the user add pages ("add") or edit their pages ("change")."""
    sections = SectionPage.objects.select_related("district").order_by("path")
    if action == "add":
        return [s for s in sections if s.permissions_for_user(user).can_add_subpage()]
    return [s for s in sections if user.is_superuser or "change" in s.permissions_for_user(user).permissions]


def user_can_import(user) -> bool:
    return user.is_active and (user.is_superuser or bool(sections_for(user)))


class ImportForm(forms.Form):
    type_key = forms.ChoiceField(label="资源类型", choices=[(f.key, f.label) for f in FORMATS.values()])
    sheet = forms.FileField(label="表格文件", help_text="Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码）。第一行为列名；"
                            "最多 20,000 行，超过 1,000 行的表格在后台检查和导入，页面显示进度。")
    media = forms.FileField(label="附件压缩包（可选）", required=False, help_text="ZIP 文件，内含表格“封面文件”“文件”等列所写的图片和文档。")
    section = forms.ModelChoiceField(label="新条目放入", queryset=SectionPage.objects.none(), empty_label=None,
                                     help_text="表格里填了“县市区”的行放入该县市区。")

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = SectionPage.objects.filter(pk__in=[s.pk for s in sections_for(user)]).order_by("path")

    def clean_sheet(self):
        sheet = self.cleaned_data["sheet"]
        if Path(sheet.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件；旧版 .xls 请先在 Excel 中另存为 .xlsx。")
        cap = settings.CATALOGUE_IMPORT_MAX_UNPACKED_BYTES  # a sheet this big packed is far bigger unpacked
        if sheet.size > cap:
            raise forms.ValidationError(f"文件有 {sheet.size / 1024 / 1024:.0f} MB，超过上限 {cap / 1024 / 1024:.0f} MB。请拆分成几个文件分批导入。")
        return sheet


def require_importer(request: HttpRequest) -> None:
    if not user_can_import(request.user):
        raise PermissionDenied("您没有导入权限。")


def report_context(report: ImportReport, **extra) -> dict:
    return {"report": report, "errors": report.errors[:MAX_ERRORS_SHOWN],
            "more_errors": max(0, len(report.errors) - MAX_ERRORS_SHOWN), **extra}


def check_page(request: HttpRequest, report: ImportReport, token: str, meta: dict) -> HttpResponse:
    return render(request, "content_models/import_report.html", report_context(
        report, token=token, meta=meta,
        can_confirm=(report.created + report.updated + report.unchanged) > 0 and not any(e.row <= 1 for e in report.errors),
    ))


def import_index(request: HttpRequest) -> HttpResponse:
    require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = save_upload(request.user, data["type_key"], data["section"], data["sheet"], data.get("media"))
        folder, meta = load_upload(token, request.user)
        if runs_on_worker(folder, meta):
            enqueue_import(token, request.user, dry_run=True)
            return redirect("catalogue_import:status", token=token)
        return check_page(request, run_saved(folder, meta, request.user, dry_run=True), token, meta)
    return render(request, "content_models/import_index.html", {"form": form, "formats": FORMATS.values()})


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    require_importer(request)
    token = request.POST.get("token", "")
    folder, meta = load_upload(token, request.user)
    valid_only = bool(request.POST.get("valid_only"))
    if runs_on_worker(folder, meta):
        enqueue_import(token, request.user, dry_run=False, valid_only=valid_only)
        return redirect("catalogue_import:status", token=token)
    report = run_saved(folder, meta, request.user, dry_run=False, valid_only=valid_only)
    if report.written:
        shutil.rmtree(folder, ignore_errors=True)
    return render(request, "content_models/import_done.html", report_context(report, again=reverse("catalogue_import:index")))


def import_status(request: HttpRequest, token: str) -> HttpResponse:
    """A worker's check or import: progress while it runs (the page reloads itself), then its report."""
    require_importer(request)
    folder, meta = load_upload(token, request.user)
    status = read_status(folder) or {"state": "queued"}
    if status["state"] == "done":
        report = ImportReport.from_dict(status["report"])
        if status["dry_run"]:
            return check_page(request, report, token, meta)
        return render(request, "content_models/import_done.html", report_context(report, again=reverse("catalogue_import:index")))
    return render(request, "content_models/import_progress.html", {"status": status, "meta": meta})


def download_template(request: HttpRequest, type_key: str) -> HttpResponse:
    require_importer(request)
    fmt = FORMATS.get(type_key) or _not_found()
    return attachment(write_xlsx(fmt, []), f"{fmt.label}导入模板.xlsx")


def export(request: HttpRequest, type_key: str, file_format: str) -> HttpResponse:
    require_importer(request)
    fmt = FORMATS.get(type_key) or _not_found()
    if file_format not in ("xlsx", "csv"):
        raise Http404("只能导出为 .xlsx 或 .csv。")
    model = fmt.parent.model if fmt.parent else fmt.model
    pages = model.objects.all()
    if not request.user.is_superuser:  # editors export what they can edit: their sections
        sections = sections_for(request.user, "change")
        pages = model.objects.none()
        for section in sections:
            pages = pages | model.objects.descendant_of(section)
    return attachment(export_catalogue(type_key, file_format, pages), f"{fmt.label}.{file_format}")


def attachment(data: bytes, filename: str) -> HttpResponse:
    content_type = "text/csv; charset=utf-8" if filename.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _not_found():
    raise Http404("没有这种资源类型。")
