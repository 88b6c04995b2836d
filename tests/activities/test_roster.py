"""The organisers' roster in the admin: counts, masked phones, the xlsx (full numbers for city editors only,
formulas neutralised), attendance by hand credited as study, and district editors kept to their district."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from activities.models import ActivityPage, SignUp
from members.models import StudyRecord
from tests.activities.helpers import enrol, make_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(tiny_catalogue):
    city = make_activity("全市七一专题党课", signup_required=True, capacity=1)
    own = make_activity("南关区红色故事会", district="nanguan", signup_required=True, capacity=5)
    first, second = enrol(1), enrol(2)
    second.name = "=HYPERLINK(\"http://x\")"  # a name typed to become a formula in Excel
    second.save()
    SignUp.objects.create(activity=city, member=first, status=SignUp.CONFIRMED)
    SignUp.objects.create(activity=city, member=second, status=SignUp.WAITING)
    SignUp.objects.create(activity=own, member=first, status=SignUp.CONFIRMED)
    return city, own, first


def sheet(response) -> list[tuple]:
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)).active.values)


def test_city_editor_sees_counts_masked_phones_and_exports(admin_client_zh, events):
    city, own, first = events
    index = admin_client_zh.get("/admin/activities/roster/").content.decode()
    assert city.title in index and own.title in index
    html = admin_client_zh.get(f"/admin/activities/{city.pk}/roster/").content.decode()
    assert "已报名 1 人" in html and "候补 1 人" in html and first.phone_masked in html and first.phone not in html
    assert f"签到码：{city.attendance_code}" in html and "含完整手机号" in html
    rows = sheet(admin_client_zh.get(f"/admin/activities/{city.pk}/roster/", {"format": "xlsx"}))
    assert rows[0][:3] == ("序号", "姓名", "手机号")
    assert rows[1][1:3] == (first.name, first.phone_masked) and rows[1][5] == "已报名"
    assert rows[2][1] == "'=HYPERLINK(\"http://x\")" and rows[2][5] == "候补"
    full = sheet(admin_client_zh.get(f"/admin/activities/{city.pk}/roster/", {"format": "xlsx", "full": "1"}))
    assert full[1][2] == first.phone


def test_marking_attendance_by_hand_credits_the_event_as_study(admin_client_zh, events):
    city, _own, first = events
    signup = SignUp.objects.get(activity=city, member=first)
    answer = admin_client_zh.post(f"/admin/activities/{city.pk}/roster/", {"signup": signup.pk})
    assert answer.status_code == 302
    signup.refresh_from_db()
    assert signup.attended_at is not None
    assert StudyRecord.objects.get(member=first, item_id=city.pk).seconds == 2 * 3600
    admin_client_zh.post(f"/admin/activities/{city.pk}/roster/", {"signup": signup.pk})  # twice: credited once
    assert StudyRecord.objects.get(member=first, item_id=city.pk).seconds == 2 * 3600
    assert admin_client_zh.post(f"/admin/activities/{city.pk}/roster/", {"signup": "x"}).status_code == 404
    waiting = SignUp.objects.get(activity=city, status=SignUp.WAITING)
    admin_client_zh.post(f"/admin/activities/{city.pk}/roster/", {"signup": waiting.pk})
    waiting.refresh_from_db()
    assert waiting.attended_at is None


def test_district_editor_sees_only_their_district_and_masked_numbers(client, events):
    city, own, first = events
    client.force_login(get_user_model().objects.get(username="nanguan"))
    index = client.get("/admin/activities/roster/").content.decode()
    assert own.title in index and city.title not in index
    assert client.get(f"/admin/activities/{city.pk}/roster/").status_code == 404
    assert client.post(f"/admin/activities/{city.pk}/roster/", {"signup": 1}).status_code == 404
    html = client.get(f"/admin/activities/{own.pk}/roster/").content.decode()
    assert first.phone_masked in html and "含完整手机号" not in html
    refused = client.get(f"/admin/activities/{own.pk}/roster/", {"format": "xlsx", "full": "1"})
    assert refused.status_code == 302 and refused["Location"] == "/admin/"  # Wagtail's answer to PermissionDenied
    assert sheet(client.get(f"/admin/activities/{own.pk}/roster/", {"format": "xlsx"}))[1][2] == first.phone_masked


def test_the_page_listing_offers_the_roster(admin_client_zh, events):
    city, _own, _first = events
    listing = admin_client_zh.get(f"/admin/pages/{city.get_parent().pk}/").content.decode()
    assert f"/admin/activities/{city.pk}/roster/" in listing and "报名名单" in listing
    assert ActivityPage.objects.filter(pk=city.pk).exists()
