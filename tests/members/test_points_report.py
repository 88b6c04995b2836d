"""Point rules in the admin (city editors only, from their start date), the year's ranking, its command and
admin view, and the 表彰 action whose commendations members see in their archive."""

import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from content_models.taxonomy import District
from content_models.workspaces import CITY_EDITORS
from members.models import Commendation, Member, PointRule, StudyRecord
from members.points import grant, grant_study, points_for_year
from members.report import year_ranking

YEAR = 2024  # a past year: the demo member's recent history stays out of these rankings


@pytest.fixture
def city_editor(client, tiny_catalogue):
    user = get_user_model().objects.create_user("shiji", password="pw")
    user.groups.add(Group.objects.get(name=CITY_EDITORS))
    client.force_login(user)
    return client


@pytest.fixture
def district_editor(client, tiny_catalogue):
    client.force_login(get_user_model().objects.get(username="nanguan"))  # 南关区编辑, from seed_demo --users
    return client


def add_member(name: str, phone: str, slug: str, minutes: int = 0, points: int = 0) -> Member:
    member = Member(name=name, phone=phone, district=District.objects.get(slug=slug))
    member.set_password("pw-2024")
    member.save()
    if minutes:
        StudyRecord.objects.create(member=member, district=member.district, item_id=1, day=date(YEAR, 5, 4),
                                   seconds=minutes * 60, updated_at=f"{YEAR}-05-04T12:00:00+08:00")
    if points:
        grant(member, PointRule.CHECKIN, f"checkin:{YEAR}-05-04", date(YEAR, 5, 4), points)
    return member


@pytest.fixture
def history(tiny_catalogue) -> dict[str, Member]:
    """宽城区: 孙秀英 9 points, 周玉梅 and 吴国华 5 points each (周 studied longer), 郑卫东 6 points; 朝阳区: 钱志强 20."""
    return {
        "sun": add_member("孙秀英", "13700000001", "kuancheng", minutes=10, points=9),
        "wu": add_member("吴国华", "13700000002", "kuancheng", minutes=50, points=5),
        "zhou": add_member("周玉梅", "13700000003", "kuancheng", minutes=80, points=5),
        "zheng": add_member("郑卫东", "13700000004", "kuancheng", minutes=0, points=6),
        "qian": add_member("钱志强", "13700000005", "chaoyang", minutes=300, points=20),
        "idle": add_member("冯建华", "13700000006", "kuancheng"),  # nothing this year: not ranked
    }


def test_city_editor_adds_a_rule_mid_year_and_days_before_keep_the_old_points(city_editor):
    assert reverse("wagtailsnippets_members_pointrule:list") in city_editor.get("/admin/").content.decode()
    page = city_editor.get(reverse("wagtailsnippets_members_pointrule:add")).content.decode()
    assert "积分规则" in page and "生效日期之前的学习仍按原来的规则计分" in page
    response = city_editor.post(reverse("wagtailsnippets_members_pointrule:add"), {
        "kind": "study", "points": 3, "per_minutes": 10, "yearly_cap": 1000, "valid_from": f"{YEAR}-07-01",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    member = add_member("陈淑珍", "13700000009", "nanguan")
    assert grant_study(member, date(YEAR, 6, 30), 1800) == 3  # the 2021 rule: 1 point per 10 minutes
    assert grant_study(member, date(YEAR, 7, 1), 1800) == 9  # from 1 July: 3 points per 10 minutes
    assert grant_study(member, date(YEAR - 1, 12, 31), 1800) == 3
    assert points_for_year(member, YEAR) == 12


def test_district_editors_can_neither_see_nor_change_point_rules(district_editor):
    rule = PointRule.objects.get(kind="study", valid_from=date(2021, 1, 1))
    assert reverse("wagtailsnippets_members_pointrule:list") not in district_editor.get("/admin/").content.decode()  # no menu item
    for url in (reverse("wagtailsnippets_members_pointrule:list"), reverse("wagtailsnippets_members_pointrule:add"),
                reverse("wagtailsnippets_members_pointrule:edit", args=[rule.pk])):
        assert district_editor.get(url).status_code in (302, 403)
    district_editor.post(reverse("wagtailsnippets_members_pointrule:edit", args=[rule.pk]), {
        "kind": "study", "points": 50, "per_minutes": 1, "yearly_cap": 0, "valid_from": "2021-01-01",
    })
    rule.refresh_from_db()
    assert rule.points == 1


def test_ranking_orders_by_points_then_minutes_masks_phones_and_filters_by_district(history):
    kuancheng = District.objects.get(slug="kuancheng")
    rows = year_ranking(YEAR, kuancheng)
    assert [(r.rank, r.name, r.phone_masked, r.minutes, r.points) for r in rows] == [
        (1, "孙秀英", "137****0001", 10, 9),
        (2, "郑卫东", "137****0004", 0, 6),
        (3, "周玉梅", "137****0003", 80, 5),
        (4, "吴国华", "137****0002", 50, 5),
    ]
    assert [r.name for r in year_ranking(YEAR)][:2] == ["钱志强", "孙秀英"]
    assert year_ranking(YEAR - 1, kuancheng) == []


def test_learning_report_command_writes_the_ranking_and_refuses_an_unknown_district(history, tmp_path, capsys):
    out = tmp_path / "排行.xlsx"
    call_command("learning_report", "--year", str(YEAR), "--district", "kuancheng", "--out", str(out))
    assert "共 4 人" in capsys.readouterr().out
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]] == ["名次", "姓名", "手机号", "县市区", "社区/支部", "学习分钟", "积分"]
    assert [c.value for c in sheet[2]] == [1, "孙秀英", "137****0001", "宽城区", None, 10, 9]
    assert sheet.max_row == 5 and "13700000001" not in str(list(sheet.values))
    with pytest.raises(CommandError, match="没有网址标识为「nowhere」的县市区.*kuancheng（宽城区）"):
        call_command("learning_report", "--year", str(YEAR), "--district", "nowhere", "--out", str(tmp_path / "x.xlsx"))


def test_admin_ranking_shows_a_city_editor_every_district_and_a_district_editor_only_theirs(client, history):
    url = reverse("member_ranking")
    superuser = get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw")
    client.force_login(superuser)
    html = client.get(url, {"year": YEAR}).content.decode()
    assert url in client.get("/admin/").content.decode()  # the menu item
    assert "钱志强" in html and "孙秀英" in html and "137****0005" in html and "13700000005" not in html
    assert "冯建华" not in html
    download = client.get(url, {"year": YEAR, "district": "chaoyang", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(download.content)).active.values)
    assert rows[1:] == [(1, "钱志强", "137****0005", "朝阳区", None, 300, 20)]

    nanguan_member = add_member("陈淑珍", "13700000009", "nanguan", minutes=30, points=2)
    client.force_login(get_user_model().objects.get(username="nanguan"))
    for params in ({"year": YEAR}, {"year": YEAR, "district": "kuancheng"}):
        html = client.get(url, params).content.decode()
        assert nanguan_member.name in html and "孙秀英" not in html and "钱志强" not in html
        assert 'value="kuancheng"' not in html
    # An admin user in no editor group sees no district's members.
    outsider = get_user_model().objects.create_user("visitor", password="pw")
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)
    refused = client.get(url)  # Wagtail turns the refusal into a redirect home with its 「没有权限」 message
    assert (refused.status_code, refused["Location"]) == (302, "/admin/") and url not in client.get("/admin/").content.decode()


def test_commend_action_creates_commendations_members_see_in_their_archive(client, history):
    url = reverse("member_ranking")
    client.force_login(get_user_model().objects.get(username="nanguan"))
    client.post(url, {"year": YEAR, "member": [history["sun"].pk], "title": "学习标兵"})
    assert not Commendation.objects.filter(year=YEAR).exists()  # 宽城区's member is not the 南关区 editor's to commend

    client.force_login(get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw"))
    response = client.post(url, {"year": YEAR, "district": "kuancheng", "member": [history["sun"].pk, history["zheng"].pk],
                                 "title": "学习标兵"})
    assert response.status_code == 302 and response["Location"] == f"{url}?year={YEAR}&district=kuancheng"
    assert sorted(Commendation.objects.filter(year=YEAR).values_list("member__name", "year", "title")) == [
        ("孙秀英", YEAR, "学习标兵"), ("郑卫东", YEAR, "学习标兵"),
    ]
    client.post(url, {"year": YEAR, "member": [history["sun"].pk], "title": "学习标兵"})
    assert Commendation.objects.filter(year=YEAR).count() == 2

    client.logout()
    client.post("/me/login/", {"phone": "13700000001", "password": "pw-2024"})
    assert f"<li>{YEAR}年度学习标兵</li>" in client.get("/me/").content.decode()
