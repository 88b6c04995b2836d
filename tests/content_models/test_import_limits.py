"""Untrusted uploads: zip bombs and over-long sheets are refused with plain words, the header is checked first,
undecodable CSVs say so, and large sheets are checked and written by the worker with progress the editor sees."""

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from content_models.demo_data import isbn13
from content_models.importing.importer import run_import
from content_models.models import EBookPage
from content_models.seeding import ensure_districts

HEADERS = ["书名", "ISBN", "栏目", "在线阅读地址"]


def rows(count: int, start: int = 0) -> list[list]:
    return [[f"党史读本第{i}册", isbn13(70000 + i), "四史学习", f"https://reader.example.cn/{i}"] for i in range(start, start + count)]


def xlsx(headers: list, body: list[list]) -> bytes:
    workbook = Workbook()
    for row in [headers, *body]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb_xlsx(unpacked_mb: int) -> bytes:
    """A real .xlsx whose worksheet inflates to `unpacked_mb` MB of rows from a few hundred KB: the valid
    workbook's parts, with sheet1.xml replaced by a stream of identical rows."""
    valid = zipfile.ZipFile(io.BytesIO(xlsx(HEADERS, rows(1))))
    out = io.BytesIO()
    row = '<row><c t="inlineStr"><is><t>延安精神</t></is></c></row>'.encode() * 1000
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in valid.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info, valid.read(info))
                continue
            member = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
            member.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(member, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(unpacked_mb * 1024 * 1024 // len(row)):
                    sheet.write(row)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture
def admin(db):
    ensure_districts()
    return get_user_model().objects.create_superuser("admin", "admin@example.cn", "pw")


@pytest.mark.django_db
def test_a_zip_bomb_xlsx_is_refused_from_its_zip_directory_before_it_is_inflated(admin, client, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    bomb = zip_bomb_xlsx(300)
    assert len(bomb) < 2 * 1024 * 1024  # 300 MB of rows in under 2 MB
    report = run_import("ebook", bomb, "炸弹.xlsx", admin)
    assert not report.written and report.total == 0
    assert "Excel 文件解压后有 300 MB，超过上限 64 MB" in report.errors[0].message

    client.force_login(admin)
    section = client.get("/admin/catalogue/").context["form"].fields["section"].queryset.first()
    response = client.post("/admin/catalogue/", {"type_key": "ebook", "section": section.pk,
                                                 "sheet": SimpleUploadedFile("炸弹.xlsx", bomb)})
    page = response.content.decode()
    assert "超过上限 64 MB" in page and "拆分成几个文件" in page and "确认导入" not in page


@pytest.mark.django_db
def test_rows_past_the_cap_refuse_the_whole_sheet_and_a_wrong_header_is_reported_before_rows_are_read(admin, settings):
    settings.CATALOGUE_IMPORT_MAX_ROWS = 30
    at_cap = run_import("ebook", xlsx(HEADERS, rows(30)), "b.xlsx", admin, dry_run=True)
    assert at_cap.errors == [] and at_cap.created == 30
    over = run_import("ebook", xlsx(HEADERS, rows(31)), "b.xlsx", admin)
    assert [e.message for e in over.errors] == ["表格超过 30 行（不含表头），一次导入不了。请拆分成几个文件分批导入。"]
    assert not over.written and EBookPage.objects.count() == 0
    csv_over = run_import("ebook", "\n".join(",".join(map(str, r)) for r in [HEADERS, *rows(31)]).encode(), "b.csv", admin)
    assert "表格超过 30 行" in csv_over.errors[0].message

    # A sheet far over the cap with a misspelt header: the header is what is reported, not the rows.
    wrong = run_import("ebook", xlsx(["书名", "ISBM", "栏目", "在线阅读地址"], rows(200)), "b.xlsx", admin)
    assert [(e.row, e.column) for e in wrong.errors][:1] == [(1, "ISBM")] and "无法识别的列名" in wrong.errors[0].message
    assert not any("行（不含表头）" in e.message for e in wrong.errors)


@pytest.mark.django_db
def test_a_big5_csv_is_reported_as_an_encoding_problem_naming_the_accepted_encodings(admin):
    traditional = ["書名", "ISBN", "欄目", "在線閱讀地址"]
    data = "\n".join(",".join(r) for r in [traditional, ["長春解放讀本", isbn13(1), "四史學習", "https://reader.example.cn/1"]]).encode("big5")
    report = run_import("ebook", data, "繁體.csv", admin)
    assert len(report.errors) == 1 and report.errors[0].row == 0
    message = report.errors[0].message
    assert "表头读出来是乱码" in message and "Big5" in message and "UTF-8" in message and "GBK" in message
    assert "无法识别的列名" not in message

    # The same sheet in GBK (simplified headers) imports: GBK stays accepted.
    simplified = ["书名", "ISBN", "栏目", "在线阅读地址"]
    gbk = "\n".join(",".join(r) for r in [simplified, ["长春解放读本", isbn13(1), "四史学习", "https://reader.example.cn/1"]]).encode("gbk")
    assert run_import("ebook", gbk, "简体.csv", admin).written


@pytest.mark.django_db
def test_a_large_sheet_is_checked_and_imported_by_the_worker_with_progress_and_the_same_report(admin, client, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    settings.CATALOGUE_IMPORT_WORKER_ROWS = 20
    client.force_login(admin)
    section = client.get("/admin/catalogue/").context["form"].fields["section"].queryset.first()
    body = rows(40)
    body[5][1] = "978-7-01-017800-2"  # the old help's example: its check digit is wrong
    response = client.post("/admin/catalogue/", {"type_key": "ebook", "section": section.pk,
                                                 "sheet": SimpleUploadedFile("大表.xlsx", xlsx(HEADERS, body))})
    assert response.status_code == 302 and "/admin/catalogue/job/" in response["Location"]
    status_url = response["Location"]
    waiting = client.get(status_url).content.decode()
    assert "正在排队" in waiting and 'http-equiv="refresh"' in waiting and EBookPage.objects.count() == 0

    run_worker()
    report = client.get(status_url)
    page = report.content.decode()
    assert "将新建 39" in page and "第 7 行" in page and "ISBN 校验位不正确" in page and "只导入有效行" in page
    assert EBookPage.objects.count() == 0

    confirmed = client.post("/admin/catalogue/confirm/", {"token": report.context["token"], "valid_only": "1"})
    assert confirmed["Location"] == status_url
    run_worker()
    done = client.get(status_url).content.decode()
    assert "已新建 39" in done and EBookPage.objects.filter(live=True).count() == 39
    status = (tmp_path / report.context["token"] / "status.json").read_text()
    assert '"state": "done"' in status
    assert client.post("/admin/catalogue/confirm/", {"token": report.context["token"]}).status_code == 404


@pytest.mark.django_db
def test_the_worker_writes_progress_while_it_imports(admin, settings, tmp_path):
    from content_models.importing import uploads

    settings.CATALOGUE_IMPORT_DIR = tmp_path
    token = uploads.save_upload(admin, "ebook", _city(), SimpleUploadedFile("大表.csv", "\n".join(",".join(map(str, r)) for r in [HEADERS, *rows(600)]).encode()))
    seen = []
    original = uploads.write_status

    def spy(folder, **status):  # records what the progress page would have read at each write
        seen.append((status["state"], status.get("phase"), status.get("done")))
        original(folder, **status)

    uploads.write_status = spy
    try:
        uploads.enqueue_import(token, admin, dry_run=False)
        run_worker()
    finally:
        uploads.write_status = original
    assert ("running", "导入", 0) in seen and ("running", "导入", 500) in seen and seen[-1][0] == "done"
    assert EBookPage.objects.count() == 600


def _city():
    from content_models.models import SectionPage

    return SectionPage.objects.get(district__isnull=True)


def run_worker() -> None:
    """What `db_worker --backend queue` does with each waiting import: claim it, run the task with the arguments
    stored in the queue, record the outcome. (The real worker closes the database connection when it stops, which
    would end the test's transaction; the site rebuilds that publishing queued are not this test's.)"""
    from django_tasks_db.models import DBTaskResult

    from content_models.importing.uploads import import_upload

    waiting = list(DBTaskResult.objects.ready().filter(task_path=import_upload.module_path))
    assert waiting, "nothing was queued for the worker"
    for result in waiting:
        result.claim("test-worker")
        task = result.task
        result.set_successful(task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"]))
