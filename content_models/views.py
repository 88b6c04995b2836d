"""Admin views for editors' bulk work: upload a sheet → validation report → confirm; templates; exports."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .importing.exporter import export_catalogue
from .importing.formats import FORMATS, write_xlsx
from .importing.importer import run_import
from .pages import SectionPage

UPLOAD_MAX_AGE = 24 * 3600  # an unconfirmed upload is kept this long, then removed
MAX_ERRORS_SHOWN = 500


def upload_root() -> Path:
    return Path(getattr(settings, "CATALOGUE_IMPORT_DIR", settings.VAR_DIR / "imports"))


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
    sheet = forms.FileField(label="表格文件", help_text="Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码）。第一行为列名。")
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
        return sheet


def require_importer(request: HttpRequest) -> None:
    if not user_can_import(request.user):
        raise PermissionDenied("您没有导入权限。")


def purge_stale_uploads() -> None:
    root = upload_root()
    if not root.exists():
        return
    for folder in root.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > UPLOAD_MAX_AGE:
            shutil.rmtree(folder, ignore_errors=True)


def save_upload(form: ImportForm, user) -> str:
    """Keep the upload server-side between the report and the confirmation, under a random token."""
    purge_stale_uploads()
    token = secrets.token_urlsafe(24)
    folder = upload_root() / token
    folder.mkdir(parents=True)
    sheet = form.cleaned_data["sheet"]
    suffix = Path(sheet.name).suffix.lower()
    with open(folder / f"sheet{suffix}", "wb") as out:
        for chunk in sheet.chunks():
            out.write(chunk)
    if form.cleaned_data.get("media"):
        with open(folder / "media.zip", "wb") as out:
            for chunk in form.cleaned_data["media"].chunks():
                out.write(chunk)
    meta = {"user": user.pk, "type": form.cleaned_data["type_key"], "section": form.cleaned_data["section"].pk,
            "filename": sheet.name, "suffix": suffix}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def load_upload(token: str, user) -> tuple[Path, dict]:
    if not token or "/" in token or "." in token:
        raise Http404
    folder = upload_root() / token
    if not (folder / "meta.json").exists():
        raise Http404("上传的文件已过期或已导入，请重新上传。")
    meta = json.loads((folder / "meta.json").read_text())
    if meta["user"] != user.pk:
        raise PermissionDenied("这是其他用户上传的文件。")
    return folder, meta


def run_saved(folder: Path, meta: dict, user, *, dry_run: bool, valid_only: bool = False):
    media = folder / "media.zip"
    section = SectionPage.objects.filter(pk=meta["section"]).first()
    return run_import(
        meta["type"], (folder / f"sheet{meta['suffix']}").read_bytes(), meta["filename"], user, section=section,
        media=media.read_bytes() if media.exists() else None, dry_run=dry_run, valid_only=valid_only,
    )


def import_index(request: HttpRequest) -> HttpResponse:
    require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        token = save_upload(form, request.user)
        folder, meta = load_upload(token, request.user)
        report = run_saved(folder, meta, request.user, dry_run=True)
        return render(request, "content_models/import_report.html", {
            "report": report, "token": token, "meta": meta, "errors": report.errors[:MAX_ERRORS_SHOWN],
            "more_errors": max(0, len(report.errors) - MAX_ERRORS_SHOWN),
            "can_confirm": (report.created + report.updated + report.unchanged) > 0 and not any(e.row <= 1 for e in report.errors),
        })
    return render(request, "content_models/import_index.html", {"form": form, "formats": FORMATS.values()})


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    require_importer(request)
    folder, meta = load_upload(request.POST.get("token", ""), request.user)
    report = run_saved(folder, meta, request.user, dry_run=False, valid_only=bool(request.POST.get("valid_only")))
    if report.written:
        shutil.rmtree(folder, ignore_errors=True)
    return render(request, "content_models/import_done.html", {
        "report": report, "errors": report.errors[:MAX_ERRORS_SHOWN], "again": reverse("catalogue_import:index"),
    })


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
