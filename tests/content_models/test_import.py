"""Spreadsheet import: every type, encodings and Excel cell types, row errors, all-or-nothing, idempotency."""

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from openpyxl import Workbook
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import PageLogEntry, Revision

from content_models.demo_data import isbn13, issn
from content_models.importing.formats import FORMATS, markdown_table
from content_models.importing.importer import run_import
from content_models.models import EBookPage, MapSitePage, PeriodicalIssue, PeriodicalPage, VideoEpisode, VideoSeriesPage
from content_models.seeding import ensure_districts

EBOOK_HEADERS = ["书名", "作者", "出版社", "出版年份", "ISBN", "页数", "简介", "栏目", "标签", "在线阅读地址"]


def xlsx(headers: list, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list, rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode(encoding)


def ebook_row(serial: int, title: str = "长春解放读本", **overrides) -> list:
    row = {"书名": title, "作者": "王建国、李红梅", "出版社": "吉林人民出版社", "出版年份": 2021, "ISBN": isbn13(900 + serial),
           "页数": 256, "简介": "讲述长春解放的历史。", "栏目": "辉煌历程、四史学习", "标签": "长春解放",
           "在线阅读地址": f"https://reader.example.cn/import/{serial}"}
    row.update(overrides)
    return [row[h] for h in EBOOK_HEADERS]


@pytest.fixture
def admin_user(db):
    """Districts, their sections and groups, the columns, a superuser and a 南关区 editor (lighter than the demo)."""
    ensure_districts()
    User = get_user_model()
    User.objects.create_user("nanguan", password="pw").groups.add(Group.objects.get(name="南关区编辑"))
    return User.objects.create_superuser("admin", "admin@example.cn", "pw")


@pytest.mark.django_db
def test_ebooks_import_then_reimport_updates_instead_of_duplicating(admin_user):
    rows = [ebook_row(1), ebook_row(2, "延安精神十讲")]
    report = run_import("ebook", xlsx(EBOOK_HEADERS, rows), "books.xlsx", admin_user)
    assert (report.created, report.updated, report.unchanged, report.written) == (2, 0, 0, True)
    book = EBookPage.objects.get(isbn=isbn13(901).replace("-", ""))
    assert book.live and not book.has_unpublished_changes
    assert book.title == "长春解放读本" and book.year == 2021 and book.page_count == 256
    assert sorted(c.name for c in book.columns.all()) == ["四史学习", "辉煌历程"]
    assert [t.name for t in book.tags.all()] == ["长春解放"]
    assert book.district is None and book.get_parent().specific.district is None
    assert book.live_revision == book.latest_revision and book.url_path.endswith(f"/{book.slug}/")

    again = run_import("ebook", xlsx(EBOOK_HEADERS, rows), "books.xlsx", admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    rows[0] = ebook_row(1, "长春解放读本（修订版）")
    changed = run_import("ebook", xlsx(EBOOK_HEADERS, rows), "books.xlsx", admin_user)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    book.refresh_from_db()
    assert book.title == "长春解放读本（修订版）" and book.live
    assert Revision.page_revisions.filter(object_id=str(book.pk)).count() == 2
    assert EBookPage.objects.filter(title__startswith="长春解放读本").count() == 1
    actions = list(PageLogEntry.objects.filter(page=book).order_by("pk").values_list("action", "user__username"))
    assert actions[:2] == [("wagtail.create", "admin"), ("wagtail.publish", "admin")]
    assert ("wagtail.publish", "admin") in actions[2:] and ("wagtail.edit", "admin") in actions[2:]


@pytest.mark.django_db
def test_gbk_csv_with_full_width_digits_stray_spaces_and_excel_number_cells_imports_the_same(admin_user):
    isbn = isbn13(950).replace("-", "")
    full_width = isbn.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    headers = [" ＩＳＢＮ ", "书名 ", "出版年份", "页数", "栏目", "在线阅读地址"]
    gbk = csv_bytes(headers, [[f" ＩＳＢＮ {full_width} ", "  抗联精神读本　", "２０１９", " １２３ ", "四个自信，中国梦",
                               "https://reader.example.cn/x"]], "gbk")
    report = run_import("ebook", gbk, "抗联.csv", admin_user)
    assert report.written, [str(e) for e in report.errors]
    book = EBookPage.objects.get(isbn=isbn)
    assert (book.title, book.year, book.page_count) == ("抗联精神读本", 2019, 123)
    assert sorted(c.name for c in book.columns.all()) == ["中国梦", "四个自信"]

    # The same book from an .xlsx where Excel stored the ISBN and numbers as number cells: unchanged.
    sheet = xlsx(["ISBN", "书名", "出版年份", "页数", "栏目", "在线阅读地址"],
                 [[int(isbn), "抗联精神读本", 2019.0, 123.0, "四个自信；中国梦", "https://reader.example.cn/x"]])
    again = run_import("ebook", sheet, "抗联.xlsx", admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1), [str(e) for e in again.errors]

    # UTF-8 with a BOM, 、-separated columns: still the same book.
    bom = b"\xef\xbb\xbf" + csv_bytes(["ISBN", "书名", "出版年份", "页数", "栏目", "在线阅读地址"],
                                      [[isbn, "抗联精神读本", "2019", "123", "中国梦、四个自信", "https://reader.example.cn/x"]])
    assert run_import("ebook", bom, "抗联.csv", admin_user).unchanged == 1


@pytest.mark.django_db
def test_one_invalid_row_imports_nothing_unless_valid_only(admin_user):
    rows = [ebook_row(1), ebook_row(2, ISBN="978-7-01-017800-3"), ebook_row(3)]
    data = xlsx(EBOOK_HEADERS, rows)
    before = EBookPage.objects.count()
    report = run_import("ebook", data, "books.xlsx", admin_user)
    assert not report.written and EBookPage.objects.count() == before
    assert [(e.row, e.column) for e in report.errors] == [(3, "ISBN")]
    assert "校验位" in report.errors[0].message
    assert "未导入任何内容" in report.summary()

    partial = run_import("ebook", data, "books.xlsx", admin_user, valid_only=True)
    assert partial.written and (partial.created, partial.skipped) == (2, 1)
    assert EBookPage.objects.count() == before + 2


@pytest.mark.django_db
def test_row_errors_name_the_row_and_say_what_to_fix(admin_user):
    rows = [
        ebook_row(1, 书名=""),  # row 2: missing title
        ebook_row(2, 栏目="四个自信、不存在的栏目"),  # row 3: unknown column
        ebook_row(3, 出版年份="两千年"),  # row 4: not a number
        ebook_row(4), ebook_row(4),  # rows 5–6: same ISBN twice
        ebook_row(5, 在线阅读地址=""),  # row 7: neither file nor reader link
    ]
    report = run_import("ebook", xlsx(EBOOK_HEADERS, rows), "books.xlsx", admin_user, dry_run=True)
    errors = {(e.row, e.column): e.message for e in report.errors}
    assert "书名为必填项" in errors[(2, "书名")]
    assert "不存在的栏目" in errors[(3, "栏目")] and "现有栏目" in errors[(3, "栏目")]
    assert "整数" in errors[(4, "出版年份")]
    assert "与第 5 行" in errors[(6, "")]
    assert "至少一项" in errors[(7, "")]

    unknown_header = run_import("ebook", xlsx([*EBOOK_HEADERS, "作着"], [ebook_row(8) + ["x"]]), "b.xlsx", admin_user)
    assert unknown_header.errors[0].row == 1 and "无法识别的列名" in unknown_header.errors[0].message
    missing = run_import("ebook", xlsx(["书名"], [["无书号"]]), "b.xlsx", admin_user)
    assert "缺少必填列：ISBN" in missing.errors[0].message


@pytest.mark.django_db
def test_sites_reject_unknown_districts_and_coordinates_outside_china(admin_user):
    headers = ["名称", "类别", "地址", "县市区", "纬度", "经度", "栏目"]
    rows = [
        ["长春电影制片厂旧址", "革命遗址", "红旗街1118号", "朝阳区", 43.8756, 125.2892, "辉煌历程"],
        ["某地", "纪念馆", "某路1号", "火星区", 43.8, 125.3, "辉煌历程"],
        ["远方", "纪念馆", "某路2号", "南关区", 43.8, 25.3, "辉煌历程"],
        ["会场", "会议室", "某路3号", "nanguan", 43.8, 125.3, "辉煌历程"],
    ]
    report = run_import("site", xlsx(headers, rows), "sites.xlsx", admin_user)
    errors = {(e.row, e.column): e.message for e in report.errors}
    assert "县市区“火星区”不存在" in errors[(3, "县市区")]
    assert "不在中国境内" in errors[(4, "经度")]
    assert "不是可选的类别" in errors[(5, "类别")]
    assert not report.written

    ok = run_import("site", xlsx(headers, rows[:1]), "sites.xlsx", admin_user)
    site = MapSitePage.objects.get(title="长春电影制片厂旧址")
    assert ok.created == 1 and site.district.slug == "chaoyang" and site.get_parent().specific.district == site.district
    # Same name in another district is another site; same name and district is the same one.
    rows[0][3] = "南关区"
    assert run_import("site", xlsx(headers, rows[:1]), "sites.xlsx", admin_user).created == 1
    assert run_import("site", xlsx(headers, rows[:1]), "sites.xlsx", admin_user).unchanged == 1


@pytest.mark.django_db
def test_periodicals_issues_series_and_episodes_import_by_natural_key(admin_user):
    periodical = xlsx(["刊名", "ISSN", "CN刊号", "刊期", "主办单位", "栏目"],
                      [["长春支部生活", issn(777), "cn22-1777/d", "半月刊", "中共长春市委", "四史学习"]])
    assert run_import("periodical", periodical, "p.xlsx", admin_user).created == 1
    page = PeriodicalPage.objects.get(title="长春支部生活")
    assert page.cn_number == "CN 22-1777/D" and page.frequency == "半月刊"

    issues = xlsx(["ISSN", "年份", "期号", "出版日期", "目录"], [
        [issn(777), 2024, 1, datetime(2024, 1, 5), "新年献词\n党史故事"],
        [issn(777), 2024, 2, "2024年2月5日", "春节慰问"],
        ["1234-5679", 2024, 1, "2024-01-01", ""],
    ])
    report = run_import("issue", issues, "i.xlsx", admin_user, valid_only=True)
    assert report.created == 2 and "找不到ISSN为 1234-5679 的党刊" in report.errors[0].message
    assert list(PeriodicalIssue.objects.filter(page=page).order_by("number").values_list("date", flat=True)) == [date(2024, 1, 5), date(2024, 2, 5)]
    page.refresh_from_db()
    assert page.live and not page.has_unpublished_changes

    series = xlsx(["系列编号", "系列名称", "主讲人", "栏目", "县市区"], [["SP9001", "长春解放专题讲座", "张立新", "辉煌历程", "南关区"]])
    assert run_import("series", series, "s.xlsx", admin_user).created == 1
    assert VideoSeriesPage.objects.get(code="SP9001").district.slug == "nanguan"
    episodes = [["SP9001", 1, "围城", "0:25:30", "https://video.example.cn/9001/1.mp4"],
                ["SP9001", 2, "解放", 1800, "https://video.example.cn/9001/2.mp4"],
                ["SP9999", 1, "无主", "10:00", "https://video.example.cn/x.mp4"]]
    headers = ["系列编号", "集数", "标题", "时长", "视频地址"]
    report = run_import("episode", xlsx(headers, episodes), "e.xlsx", admin_user)
    assert not report.written and "请先导入专题视频" in report.errors[0].message
    assert run_import("episode", xlsx(headers, episodes[:2]), "e.xlsx", admin_user).created == 2
    assert list(VideoEpisode.objects.filter(page__code="SP9001").values_list("duration_seconds", flat=True)) == [1530, 1800]
    episodes[0][2] = "长春围城"
    again = run_import("episode", xlsx(headers, episodes[:2]), "e.xlsx", admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert VideoEpisode.objects.get(page__code="SP9001", number=1).title == "长春围城"


@pytest.mark.django_db
def test_covers_and_files_come_from_a_zip_named_in_the_sheet(admin_user):
    buffer, archive = io.BytesIO(), io.BytesIO()
    PILImage.new("RGB", (30, 40), "#8B0000").save(buffer, "PNG")
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("封面/长春解放.png", buffer.getvalue())
        bundle.writestr("长春解放.pdf", b"%PDF-1.4\n%test\n")
        bundle.writestr("假的.pdf", b"not a pdf")
    headers = [*EBOOK_HEADERS, "封面文件", "文件"]
    rows = [ebook_row(1) + ["长春解放.png", "长春解放.pdf"], ebook_row(2) + ["长春解放.png", "假的.pdf"], ebook_row(3) + ["没有.png", ""]]
    report = run_import("ebook", xlsx(headers, rows), "b.xlsx", admin_user, media=archive.getvalue())
    messages = {e.row: e.message for e in report.errors}
    assert "内容与扩展名 .pdf 不符" in messages[3] and "找不到文件 没有.png" in messages[4]
    report = run_import("ebook", xlsx(headers, rows[:1]), "b.xlsx", admin_user, media=archive.getvalue())
    book = EBookPage.objects.get(isbn=isbn13(901).replace("-", ""))
    assert book.cover.title == "长春解放" and book.document.file.read().startswith(b"%PDF")
    images = Image.objects.count()
    again = run_import("ebook", xlsx(headers, [ebook_row(1) + [book.cover.file.name.split("/")[-1], book.document.file.name.split("/")[-1]]]),
                       "b.xlsx", admin_user)
    assert again.unchanged == 1 and Image.objects.count() == images


@pytest.mark.django_db
def test_cli_dry_run_writes_nothing_and_errors_fail_the_command(admin_user, tmp_path, capsys):
    path = tmp_path / "books.xlsx"
    path.write_bytes(xlsx(EBOOK_HEADERS, [ebook_row(1)]))
    before = EBookPage.objects.count()
    call_command("import_catalogue", str(path), "--type", "ebook", "--dry-run")
    assert "将新建 1" in capsys.readouterr().out and EBookPage.objects.count() == before
    call_command("import_catalogue", str(path), "--type", "ebook", "--user", "admin", "--section", "nanguan")
    book = EBookPage.objects.get(isbn=isbn13(901).replace("-", ""))
    assert book.district.slug == "nanguan" and book.owner.username == "admin"
    path.write_bytes(xlsx(EBOOK_HEADERS, [ebook_row(2, ISBN="123")]))
    with pytest.raises(CommandError, match="导入未执行"):
        call_command("import_catalogue", str(path), "--type", "ebook")
    assert "第 2 行「ISBN」" in capsys.readouterr().err


@pytest.mark.django_db
def test_admin_upload_shows_a_report_and_writes_only_on_confirm(client, admin_user, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    client.force_login(admin_user)
    assert "/admin/catalogue/" in client.get("/admin/").content.decode()  # the menu item (sidebar JSON)
    data = xlsx(EBOOK_HEADERS, [ebook_row(1), ebook_row(2, ISBN="9787010178003")])
    response = client.post("/admin/catalogue/", {
        "type_key": "ebook", "section": client.get("/admin/catalogue/").context["form"].fields["section"].queryset.first().pk,
        "sheet": _upload("书目.xlsx", data),
    })
    page = response.content.decode()
    assert response.status_code == 200 and "第 3 行" in page and "ISBN 校验位不正确" in page and "只导入有效行" in page
    token = response.context["token"]
    assert (tmp_path / token / "sheet.xlsx").exists() and not EBookPage.objects.filter(title="长春解放读本").exists()

    response = client.post("/admin/catalogue/confirm/", {"token": token})
    assert "未导入任何内容" in response.content.decode() and not EBookPage.objects.filter(title="长春解放读本").exists()
    response = client.post("/admin/catalogue/confirm/", {"token": token, "valid_only": "1"})
    assert "已新建 1" in response.content.decode()
    assert EBookPage.objects.get(title="长春解放读本").owner == admin_user
    assert not (tmp_path / token).exists()
    assert client.post("/admin/catalogue/confirm/", {"token": token}).status_code == 404


@pytest.mark.django_db
def test_district_editor_imports_into_own_district_as_drafts_for_review(client, admin_user, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    editor = get_user_model().objects.get(username="nanguan")
    client.force_login(editor)
    form = client.get("/admin/catalogue/").context["form"]
    assert [s.title for s in form.fields["section"].queryset] == ["南关区"]
    response = client.post("/admin/catalogue/", {"type_key": "ebook", "section": form.fields["section"].queryset.get().pk,
                                                 "sheet": _upload("b.csv", csv_bytes(EBOOK_HEADERS, [ebook_row(1)]))})
    client.post("/admin/catalogue/confirm/", {"token": response.context["token"]})
    book = EBookPage.objects.get(title="长春解放读本")
    assert book.district.slug == "nanguan" and not book.live and book.has_unpublished_changes
    city_row = run_import("ebook", xlsx([*EBOOK_HEADERS, "县市区"], [ebook_row(2) + ["宽城区"]]), "b.xlsx", editor)
    assert "没有在“宽城区”新建内容的权限" in city_row.errors[0].message


@pytest.mark.django_db
def test_template_download_has_every_documented_header(client, admin_user):
    from openpyxl import load_workbook

    for fmt in FORMATS.values():
        client.force_login(admin_user)
        response = client.get(f"/admin/catalogue/template/{fmt.key}.xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        assert [c.value for c in sheet[1]] == fmt.headers


def test_docs_show_the_same_column_tables_the_importer_uses():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text()
    for fmt in FORMATS.values():
        assert markdown_table(fmt) in docs, f"docs/import-format.md is out of date for {fmt.key}: paste formats.markdown_table(FORMATS[{fmt.key!r}])"


@pytest.mark.slow
@pytest.mark.django_db
def test_ten_thousand_rows_import_in_one_go_with_a_sound_tree(admin_user):
    from wagtail.models import Page

    rows = [ebook_row(i, f"读本{i:05d}", ISBN=isbn13(500000 + i)) for i in range(10000)]
    report = run_import("ebook", csv_bytes(EBOOK_HEADERS, rows), "big.csv", admin_user)
    assert report.created == 10000, report.summary()
    assert EBookPage.objects.filter(live=True, title__startswith="读本").count() == 10000
    assert Page.find_problems() == ([], [], [], [], [])  # figures: bench/bench_import.py


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.django_db
def test_an_isbn_10_and_its_isbn_13_are_one_book(admin_user):
    headers = ["书名", "ISBN", "栏目", "在线阅读地址"]
    first = run_import("ebook", xlsx(headers, [["新中国史", "9787017300019", "四史学习", "https://reader.example.cn/13"]]), "a.xlsx", admin_user)
    assert first.created == 1
    again = run_import("ebook", csv_bytes(headers, [["新中国史（修订）", "7-01-730001-7", "四史学习", "https://reader.example.cn/13"]]), "b.csv", admin_user)
    assert (again.created, again.updated) == (0, 1), [str(e) for e in again.errors]
    assert list(EBookPage.objects.filter(title__startswith="新中国史").values_list("isbn", "title")) == [("9787017300019", "新中国史（修订）")]
    # Both forms in one sheet are the same book twice.
    twice = run_import("ebook", xlsx(headers, [["甲", "7017300017", "四史学习", "https://r.example.cn/1"],
                                               ["乙", "978-7-01-730001-9", "四史学习", "https://r.example.cn/2"]]), "c.xlsx", admin_user)
    assert "与第 2 行的ISBN重复" in twice.errors[0].message


def test_every_example_isbn_and_issn_shown_to_editors_passes_its_own_checksum():
    import re
    from pathlib import Path

    from stdnum import isbn, issn

    from content_models.validators import validate_isbn

    docs = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text()
    texts = [docs, *(f.help for fmt in FORMATS.values() for f in fmt.fields)]
    try:
        validate_isbn("12345")
    except Exception as error:  # the format message names an example
        texts.append(str(error))
    isbns = {m for text in texts for m in re.findall(r"97[89][-\d]{10,14}\d|\b\d-\d{2}-\d{6}-[\dX]\b", text)}
    issns = {m for text in texts for m in re.findall(r"\b\d{4}-\d{3}[\dX]\b", text)}
    assert "978-7-01-017800-4" in isbns and "1000-3967" in issns
    assert all(isbn.is_valid(x) for x in isbns), isbns
    assert all(issn.is_valid(x) for x in issns), issns
