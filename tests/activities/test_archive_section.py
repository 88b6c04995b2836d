"""The member's archive (/me/) shows today's check-in, the activities under way with how much is done, and each
心得's status with the organiser's comment — and nothing of activities the member can no longer see."""

from __future__ import annotations

from activities.models import ActivityTask, Reflection
from content_models.models import EBookPage
from tests.activities.helpers import ORIGIN, as_member, enrol, make_activity, post


def test_archive_shows_check_in_progress_and_reflection_status(client, tiny_catalogue):
    member = enrol(7)
    campaign = make_activity("冬季红色历史学习", kind="campaign", requires_reflection=True)
    ActivityTask.objects.create(page=campaign, item=EBookPage.objects.live().filter(district_only=False).first())
    essay = make_activity("书香社区·全民爱阅读", kind="essay")
    Reflection.objects.create(activity=essay, member=member, form=Reflection.TEXT, text="读《红岩》有感",
                              status=Reflection.RETURNED, comment="请结合社区工作再写几句")
    as_member(client, member)

    page = client.get("/me/").content.decode()
    assert "今日打卡</button>" in page
    assert f'href="/me/activities/{campaign.pk}/"' in page and "已完成 0/2 项" in page
    assert "书香社区·全民爱阅读" in page and "已退回" in page and "请结合社区工作再写几句" in page
    assert 'href="/me/activities/"' in page and 'href="/me/quiz/"' in page

    assert client.post("/me/checkin/", HTTP_ORIGIN=ORIGIN).status_code == 303
    assert "今日已打卡" in client.get("/me/").content.decode()


def test_archive_leaves_out_activities_the_member_can_no_longer_see(client, tiny_catalogue):
    member = enrol(8)
    lecture = make_activity("抗联精神专题讲座", signup_required=True, capacity=10)
    post(as_member(client, member), lecture, "signup")
    assert "抗联精神专题讲座" in client.get("/me/").content.decode()

    lecture.unpublish()
    assert "抗联精神专题讲座" not in client.get("/me/").content.decode()
