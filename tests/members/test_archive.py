"""The archive page /me/, its .xlsx export and account deletion, through HTTP as a member's phone uses them."""

import gzip
import io
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from content_models.pages import LibraryItemPage
from members.models import Commendation, Community, Member, MemberSession, PointAward, StudyRecord
from members.points import grant_study
from members.sessions import MEMBER_COOKIE

PASSWORD = "nanhu-2026"


@pytest.fixture
def member(tiny_catalogue) -> Member:
    from content_models.taxonomy import District

    nanguan = District.objects.get(slug="nanguan")
    community = Community.objects.create(district=nanguan, name="桂林街道南湖社区")
    person = Member(name="李桂兰", phone="13900000002", district=nanguan, community=community)
    person.set_password(PASSWORD)
    person.save()
    return person


def item(slug: str) -> LibraryItemPage:
    return LibraryItemPage.objects.get(slug=slug)


def study(member, slug, day, seconds, position=None, hour=20):
    at = timezone.make_aware(datetime.combine(day, time(hour, 0)))
    return StudyRecord.objects.create(
        member=member, district=member.district, item_id=item(slug).pk, day=day, seconds=seconds, position=position,
        updated_at=min(at, timezone.now()),
    )


def log_in(client, phone="13900000002", password=PASSWORD):
    response = client.post("/me/login/", {"phone": phone, "password": password})
    assert response.status_code == 302
    return client


def test_anonymous_visitors_are_sent_to_the_login_form(client, db):
    for path in ("/me/", "/me/export.xlsx", "/me/delete/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/me/login/?next=%2Fme%2F")
    assert client.get("/me/")["Location"] == "/me/login/?next=%2Fme%2F"


def test_archive_shows_who_and_the_exact_minutes_today_this_week_and_this_year(client, member):
    today = timezone.localdate()
    yesterday, long_ago = today - timedelta(days=1), today - timedelta(days=40)
    study(member, "ebook-0001", today, 900, 5, hour=0)  # 15 minutes
    study(member, "series-0001", yesterday, 1230, 750)  # 20 minutes 30 seconds
    study(member, "ebook-0004", long_ago, 600, 3)  # 10 minutes
    study(member, "ebook-0004", today.replace(year=today.year - 1), 3000)  # last year's: never counted
    week = 15 + (20 if yesterday >= today - timedelta(days=today.weekday()) else 0)
    year = 15 + (20 if yesterday.year == today.year else 0) + (10 if long_ago.year == today.year else 0)

    response = log_in(client).get("/me/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert "李桂兰，您好" in html and "南关区 · 桂林街道南湖社区 · 139****0002" in html and "13900000002" not in html
    assert "<dt>今天</dt><dd>15 分钟</dd>" in html
    assert f"<dt>本周</dt><dd>{week} 分钟</dd>" in html
    assert f"<dt>今年</dt><dd>{year} 分钟</dd>" in html
    assert 'href="/me/district/">南关区党员专享学习内容</a>' in html
    assert "<dt>连续学习</dt><dd>2 天</dd>" in html
    assert 'action="/me/logout/" method="post"' in html and 'href="/me/export.xlsx"' in html and 'href="/me/delete/"' in html
    assert "<script" not in html.split("</head>")[1]  # the page works without JavaScript
    assert len(gzip.compress(response.content)) < 14 * 1024


def test_continue_learning_links_the_reader_page_at_the_position_and_never_names_another_districts_item(client, member):
    today = timezone.localdate()
    book, series = item("ebook-0001"), item("series-0001")
    study(member, "ebook-0001", today - timedelta(days=2), 600, 5)
    study(member, "series-0001", today - timedelta(days=1), 600, 750)
    study(member, "news-0002", today, 600)  # 宽城区's district-only notice, studied last

    html = log_in(client).get("/me/").content.decode()
    assert f'<a href="/books/{book.pk}/read/5/">中国共产党简史读本</a><span class="meta">读到第 5 页</span>' in html
    assert f'<a href="{series.specific.site_path}">中国共产党简史专题讲座</a><span class="meta">看到 12:30</span>' in html
    assert "宽城区举办" not in html and "内部通知" not in html and f"/{item('news-0002').pk}/" not in html
    assert html.index("中国共产党简史专题讲座") < html.index("中国共产党简史读本")  # latest first

    # A 宽城区 member studied the same notice: they see it, linked to the members' district page.
    kuancheng = Member(name="赵淑华", phone="13900000003", district=item("news-0002").district)
    kuancheng.set_password(PASSWORD)
    kuancheng.save()
    study(kuancheng, "news-0002", today, 600)
    client.cookies.clear()
    html = log_in(client, phone="13900000003").get("/me/").content.decode()
    assert f'<a href="/me/district/{item("news-0002").pk}/">宽城区举办“三会一课”示范观摩活动（内部通知）</a>' in html


def test_points_breakdown_and_commendations_on_the_archive(client, member):
    today = timezone.localdate()
    study(member, "ebook-0001", today, 2400)
    grant_study(member, today, 2400)  # the default rule: 1 point per 10 minutes → 4
    Commendation.objects.create(member=member, year=2025, title="学习标兵")
    html = log_in(client).get("/me/").content.decode()
    assert f"<h2>{today.year}年积分：4 分</h2>" in html and "<dt>学习时长</dt><dd>4 分</dd>" in html
    assert "<li>2025年度学习标兵</li>" in html


def test_export_holds_basic_information_study_points_and_commendations(client, member):
    today = timezone.localdate()
    study(member, "ebook-0001", today, 1230, 5)
    study(member, "news-0002", today, 600)  # another district's item: its title stays out of the file
    grant_study(member, today, 1830)
    Commendation.objects.create(member=member, year=2025, title="=学习标兵")  # a formula start stays text

    response = log_in(client).get("/me/export.xlsx")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="learning-archive-')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["基本信息", "学习记录", "积分", "表彰"]
    basics = {row[0]: row[1] for row in book["基本信息"].iter_rows(min_row=2, values_only=True)}
    assert basics["姓名"] == "李桂兰" and basics["手机号"] == "13900000002" and basics["社区/支部"] == "桂林街道南湖社区"
    records = sorted(book["学习记录"].iter_rows(min_row=2, values_only=True), key=lambda r: r[2])
    assert records == [
        (today.isoformat(), "（该资源已下架或不可查看）", 10, None),
        (today.isoformat(), "中国共产党简史读本", 20.5, "读到第 5 页"),
    ]
    assert list(book["积分"].iter_rows(min_row=2, values_only=True)) == [(today.isoformat(), "学习时长", 3)]
    assert list(book["表彰"].iter_rows(min_row=2, values_only=True)) == [(2025, "'=学习标兵")]
    assert not any("宽城区举办" in str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


def test_deleting_the_account_needs_the_password_then_keeps_only_anonymous_study(client, member):
    today = timezone.localdate()
    record = study(member, "ebook-0001", today, 1200, 5)
    grant_study(member, today, 1200)
    Commendation.objects.create(member=member, year=2025, title="学习标兵")
    token = log_in(client).cookies[MEMBER_COOKIE].value
    page = client.get("/me/delete/").content.decode()
    assert 'type="password"' in page and 'name="csrfmiddlewaretoken"' in page and "不能恢复" in page

    wrong = client.post("/me/delete/", {"password": "nanhu-2025"})
    assert wrong.status_code == 400 and "密码不正确，账号没有注销" in wrong.content.decode()
    assert Member.objects.filter(pk=member.pk).exists() and client.get("/me/").status_code == 200

    done = client.post("/me/delete/", {"password": PASSWORD})
    assert done.status_code == 200 and "账号已注销" in done.content.decode()
    assert done.cookies[MEMBER_COOKIE].value == "" and done.cookies[MEMBER_COOKIE]["max-age"] == 0
    assert not Member.objects.filter(phone="13900000002").exists()
    assert not MemberSession.objects.filter(member_id=member.pk).exists()
    assert not PointAward.objects.filter(member_id=member.pk).exists()
    assert not Commendation.objects.filter(member_id=member.pk).exists()
    record.refresh_from_db()
    assert record.member_id is None and record.seconds == 1200 and record.district.slug == "nanguan"
    # The old session cookie no longer opens the archive.
    client.cookies[MEMBER_COOKIE] = token
    assert client.get("/me/").status_code == 302


def test_demo_member_has_three_weeks_of_history_a_commendation_and_a_second_seed_changes_nothing(client, tiny_catalogue):
    demo = Member.objects.get(phone="13900000001")
    rows = StudyRecord.objects.filter(member=demo).count()
    points = list(PointAward.objects.filter(member=demo).values_list("key", "points"))
    assert rows >= 20 and points and Commendation.objects.filter(member=demo, year=2025).exists()
    call_command("seed_demo", "--scale", "tiny", "--users", verbosity=0)
    assert StudyRecord.objects.filter(member=demo).count() == rows
    assert list(PointAward.objects.filter(member=demo).values_list("key", "points")) == points

    html = log_in(client, phone="13900000001", password="dangshi-demo-2021").get("/me/").content.decode()
    assert "王建国，您好" in html and "2025年度学习标兵" in html and "<dt>连续学习</dt><dd>5 天</dd>" in html
    assert html.count('<span class="meta">读到第') + html.count('<span class="meta">看到') + html.count('<span class="meta">听到') >= 3
