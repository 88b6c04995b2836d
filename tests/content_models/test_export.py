"""Export writes exactly the import format: export → edit one cell → import changes that field and nothing else."""

import csv
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from openpyxl import load_workbook

from content_models.importing.exporter import export_catalogue
from content_models.importing.formats import FORMATS, write_xlsx
from content_models.importing.importer import run_import
from content_models.models import EBookPage, MapSitePage, PeriodicalIssue, VideoEpisode

COUNTS = {"ebook": EBookPage, "site": MapSitePage, "issue": PeriodicalIssue, "episode": VideoEpisode}


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_edit_import_round_trips_every_type(tiny_catalogue, file_format):
    admin = get_user_model().objects.get(username="admin")
    for type_key in FORMATS:
        data = export_catalogue(type_key, file_format)
        report = run_import(type_key, data, f"x.{file_format}", admin)
        assert report.errors == [] and report.total > 0, (type_key, [str(e) for e in report.errors])
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.total), type_key

    # Edit one cell of one e-book and one episode; everything else stays unchanged.
    rows = read(export_catalogue("ebook", file_format), file_format)
    headers, first = rows[0], rows[1]
    first[headers.index("出版社")] = "红旗出版社（修订）"
    edited = write(FORMATS["ebook"], rows[1:], file_format)
    report = run_import("ebook", edited, f"x.{file_format}", admin)
    assert (report.created, report.updated, report.unchanged) == (0, 1, len(rows) - 2)
    book = EBookPage.objects.get(isbn=str(first[headers.index("ISBN")]))
    assert book.publisher == "红旗出版社（修订）" and book.live and not book.has_unpublished_changes
    assert [c.name for c in book.columns.order_by("order")] == first[headers.index("栏目")].split("、")

    rows = read(export_catalogue("episode", file_format), file_format)
    rows[2][rows[0].index("时长")] = "1:02:03"
    report = run_import("episode", write(FORMATS["episode"], rows[1:], file_format), f"x.{file_format}", admin)
    assert (report.created, report.updated, report.unchanged) == (0, 1, len(rows) - 2)
    code, number = rows[2][0], int(rows[2][1])
    assert VideoEpisode.objects.get(page__code=code, number=number).duration_seconds == 3723


@pytest.mark.django_db
def test_export_command_and_admin_download_use_the_import_headers(tiny_catalogue, admin_client_zh, tmp_path):
    path = tmp_path / "sites.csv"
    call_command("export_catalogue", str(path), "--type", "site", verbosity=0)
    text = path.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(FORMATS["site"].headers)
    response = admin_client_zh.get("/admin/catalogue/export/ebook.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == FORMATS["ebook"].headers
    assert sheet.max_row == EBookPage.objects.count() + 1


@pytest.mark.django_db
def test_district_editor_exports_only_their_district(tiny_catalogue, client):
    client.force_login(get_user_model().objects.get(username="nanguan"))
    rows = read(client.get("/admin/catalogue/export/site.csv").content, "csv")
    assert len(rows) > 1 and {r[rows[0].index("县市区")] for r in rows[1:]} == {"南关区"}


def read(data: bytes, file_format: str) -> list[list]:
    if file_format == "csv":
        return [row for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def write(fmt, rows: list[list], file_format: str) -> bytes:
    if file_format == "xlsx":
        return write_xlsx(fmt, rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([fmt.headers, *rows])
    return buffer.getvalue().encode("utf-8")


FORMULA_TITLES = ["=1+2 学习", "+86 党员热线", "-长征精神-", "@延安", "=HYPERLINK(\"http://evil.example\",\"点我\")", "'=已带引号"]


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_titles_that_look_like_formulas_are_exported_as_inert_text_and_round_trip_exactly(file_format, tmp_path):
    from content_models.demo_data import isbn13
    from content_models.seeding import ensure_districts

    ensure_districts()
    admin = get_user_model().objects.create_superuser("admin", "admin@example.cn", "pw")
    rows = [[title, "", "", "", isbn13(800 + n), "", f"https://reader.example.cn/f{n}", "", "=SUM(A1:A9) 简介", "四史学习",
             "", "", "全市", "否"] for n, title in enumerate(FORMULA_TITLES)]
    assert run_import("ebook", write_xlsx(FORMATS["ebook"], rows), "f.xlsx", admin).created == len(FORMULA_TITLES)
    assert sorted(EBookPage.objects.values_list("title", flat=True)) == sorted(FORMULA_TITLES)

    path = tmp_path / f"books.{file_format}"
    call_command("export_catalogue", str(path), "--type", "ebook", verbosity=0)
    data = path.read_bytes()
    cells = [row[0] for row in read(data, file_format)[1:]]
    assert sorted(cells) == sorted("'" + t for t in FORMULA_TITLES)  # each one neutralised, none left bare
    if file_format == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as workbook:
            sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet  # no cell is a formula
        assert all(cell.data_type == "s" for cell in load_workbook(io.BytesIO(data)).worksheets[0]["A"])

    again = run_import("ebook", data, path.name, admin)
    assert again.errors == [] and (again.created, again.updated, again.unchanged) == (0, 0, len(FORMULA_TITLES))
    assert sorted(EBookPage.objects.values_list("title", flat=True)) == sorted(FORMULA_TITLES)
    assert set(EBookPage.objects.values_list("summary", flat=True)) == {"=SUM(A1:A9) 简介"}
