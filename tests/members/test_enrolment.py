"""Organisers in the admin: the 党员 list and its district scope, the password reset, the communities' invitation
codes, and enrolment by spreadsheet (admin upload and `manage.py import_members`)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from content_models.taxonomy import District
from members.models import Community, LoginFailure, Member, MemberSession

HEADER = ["姓名", "手机号", "县市区", "社区"]


@pytest.fixture
def districts(db) -> dict[str, District]:
    return {name: District.objects.create(name=name, slug=slug, order=order)
            for order, (name, slug) in enumerate([("南关区", "nanguan"), ("宽城区", "kuancheng")], start=1)}


@pytest.fixture
def people(districts) -> dict[str, Member]:
    nanguan = Community.objects.create(district=districts["南关区"], name="全安街道民康社区", invitation_code="MINKANG2021")
    kuancheng = Community.objects.create(district=districts["宽城区"], name="团山街道长新社区", invitation_code="CHANGXIN88")
    return {
        "王建国": Member.objects.create(name="王建国", phone="13900000001", district=districts["南关区"], community=nanguan),
        "刘桂芝": Member.objects.create(name="刘桂芝", phone="13700000002", district=districts["宽城区"], community=kuancheng),
    }


def editor_client(client, group: str):
    user = get_user_model().objects.create_user("bianji", password="pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def sheet(rows: list[list]) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, data: bytes, action: str, name: str = "名单.xlsx"):
    return client.post("/admin/members/enrol/", {"sheet": SimpleUploadedFile(name, data), "action": action})


def result_rows(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))


def test_the_member_list_shows_masked_phones_and_a_district_editor_only_their_district(client, people):
    editor_client(client, "南关区编辑")
    html = client.get("/admin/members/people/").content.decode()
    assert "王建国" in html and "139****0001" in html and "13900000001" not in html
    assert "刘桂芝" not in html
    assert "王建国" in client.get("/admin/members/people/?q=13900000001").content.decode()
    other = people["刘桂芝"].pk
    assert client.get(f"/admin/members/people/edit/{other}/").status_code == 404
    assert client.get(f"/admin/members/reset-password/{other}/").status_code == 404
    assert "团山街道长新社区" not in client.get("/admin/members/communities/").content.decode()


def test_city_editors_see_every_district(admin_client_zh, people):
    html = admin_client_zh.get("/admin/members/people/").content.decode()
    assert "王建国" in html and "刘桂芝" in html


def test_a_district_editor_edits_their_member_but_cannot_move_them_to_another_district(client, people, districts):
    editor_client(client, "南关区编辑")
    member = people["王建国"]
    data = {"name": "王建国", "phone": "139 0000 0001", "district": districts["宽城区"].pk, "community": "", "is_active": "on"}
    response = client.post(f"/admin/members/people/edit/{member.pk}/", data)
    assert response.status_code == 200 and Member.objects.get(pk=member.pk).district.name == "南关区"
    data.update(district=districts["南关区"].pk, name="王建国（老党员）")
    assert client.post(f"/admin/members/people/edit/{member.pk}/", data).status_code == 302
    assert Member.objects.get(pk=member.pk).name == "王建国（老党员）"


def test_reset_password_shows_a_new_password_once_ends_sessions_and_lifts_the_lockout(client, people):
    member = people["王建国"]
    member.set_password("old-password-1")
    member.save()
    public = client.__class__()
    assert public.post("/me/login/", {"phone": member.phone, "password": "old-password-1"}).status_code == 302
    for _ in range(5):
        public.post("/me/login/", {"phone": member.phone, "password": "wrong"})
    editor_client(client, "南关区编辑")
    assert "新临时密码" not in client.get(f"/admin/members/reset-password/{member.pk}/").content.decode()
    response = client.post(f"/admin/members/reset-password/{member.pk}/")
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert len(password) == 8 and password in response.content.decode()
    assert not MemberSession.objects.filter(member=member).exists() and not LoginFailure.objects.exists()
    assert public.post("/me/login/", {"phone": member.phone, "password": password}).status_code == 302


def test_a_community_saved_without_a_code_gets_one(admin_client_zh, districts):
    response = admin_client_zh.post("/admin/members/communities/new/",
                                    {"district": districts["南关区"].pk, "name": "桃源街道桃源社区", "invitation_code": ""})
    assert response.status_code == 302
    code = Community.objects.get(name="桃源街道桃源社区").invitation_code
    assert code and len(code) == 8


def test_enrolment_check_lists_each_bad_row_in_chinese_and_writes_nothing(client, people):
    editor_client(client, "南关区编辑")
    data = sheet([
        ["张玉兰", "13811112222", "南关区", "全安街道民康社区"],
        ["", "13811113333", "南关区", ""],
        ["李德胜", "1381111", "南关区", ""],
        ["赵春梅", "13811114444", "宽城区", ""],
        ["孙国庆", "13811112222", "南关区", ""],
        ["周海燕", "13811115555", "东风区", ""],
        ["刘桂芝", "13700000002", "南关区", ""],
    ])
    for action in ("check", "write"):
        response = upload(client, data, action)
        html = response.content.decode()
        assert response.status_code == 200 and "未导入任何内容" in html
        for message in ("第 3 行", "必须填写", "第 4 行", "不是有效的手机号", "第 5 行", "不能导入到宽城区",
                        "与第 2 行的手机号重复", "没有叫「东风区」的县市区", "已登记在其他县市区"):
            assert message in html, message
    assert not Member.objects.filter(name="张玉兰").exists()


def test_enrolment_writes_new_members_with_passwords_once_and_updates_known_numbers(client, people):
    editor_client(client, "南关区编辑")
    data = sheet([
        ["张玉兰", 13811112222, "南关区", "全安街道民康社区"],
        ["王建国", "+86 139-0000-0001", "nanguan", "桃源街道桃源社区"],
    ])
    assert "检查通过" in upload(client, data, "check").content.decode()
    assert not Member.objects.filter(name="张玉兰").exists()
    response = upload(client, data, "write")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats") and "no-store" in response["Cache-Control"]
    rows = result_rows(response)
    assert [r[:6] for r in rows] == [
        (2, "张玉兰", "13811112222", "南关区", "全安街道民康社区", "新建"),
        (3, "王建国", "13900000001", "南关区", "桃源街道桃源社区", "已更新（密码不变）"),
    ]
    new_password, kept = rows[0][6], rows[1][6]
    assert len(new_password) == 8 and kept is None
    member = Member.objects.get(phone="13811112222")
    assert member.community.name == "全安街道民康社区" and member.password != new_password and member.check_password(new_password)
    assert Member.objects.get(phone="13900000001").community.name == "桃源街道桃源社区"  # created in 南关区
    assert Member.objects.filter(phone="13900000001").count() == 1
    again = result_rows(upload(client, data, "write"))
    assert [(r[5], r[6]) for r in again] == [("无变化", None), ("无变化", None)]


def test_enrolment_refuses_a_file_that_is_not_a_sheet_or_lacks_a_column(client, people):
    editor_client(client, "南关区编辑")
    assert "不支持 .pdf 文件" in upload(client, b"%PDF-1.4", "check", name="名单.pdf").content.decode()
    csv = "姓名,手机号\n张玉兰,13811112222\n".encode()
    html = upload(client, csv, "write", name="名单.csv").content.decode()
    assert "<td>县市区</td>" in html and "表头缺少这一列" in html and "<td>社区</td>" in html
    gbk = "姓名,手机号,县市区,社区\n张玉兰,13811112222,南关区,全安街道民康社区\n".encode("gbk")  # Excel's 「CSV」 in China
    assert "检查通过" in upload(client, gbk, "check", name="名单.csv").content.decode()


def test_import_members_command_writes_the_result_sheet_beside_the_file(people, tmp_path):
    source = tmp_path / "名单.csv"
    source.write_text("姓名,手机号,县市区,社区\n陈淑珍,13511116666,宽城区,团山街道长新社区\n", encoding="utf-8-sig")
    call_command("import_members", str(source), "--dry-run")
    assert not Member.objects.filter(phone="13511116666").exists()
    call_command("import_members", str(source))
    rows = list(load_workbook(tmp_path / "名单-导入结果.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert rows[0][:6] == (2, "陈淑珍", "13511116666", "宽城区", "团山街道长新社区", "新建")
    assert Member.objects.get(phone="13511116666").check_password(rows[0][6])
    source.write_text("姓名,手机号,县市区,社区\n陈淑珍,135,宽城区,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="未导入任何内容"):
        call_command("import_members", str(source))


def test_the_members_menu_is_shown_to_district_editors_and_not_to_staff_without_a_district(client, people, districts):
    editor_client(client, "南关区编辑")
    menu = client.get("/admin/").content.decode()  # the sidebar's items, as JSON
    assert all(f'"url": "/admin/members/{path}/"' in menu for path in ("people", "communities", "enrol"))
    form = client.get("/admin/members/people/new/").content.decode()
    assert "南关区" in form and "宽城区" not in form
    visitor = get_user_model().objects.create_user("visitor", password="pw")
    visitor.groups.add(Group.objects.get(name="市级审核"))  # may use the admin, but is no district's editor
    client.force_login(visitor)
    assert '"url": "/admin/members/people/"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/members/people/").status_code in (302, 403)
    assert client.get("/admin/members/enrol/").status_code in (302, 403)
