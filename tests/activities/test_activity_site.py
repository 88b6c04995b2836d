"""Activities on the static site: the demo's activities built through the real API into pages, the 「学习活动」 listing,
the front page's banner and check-in, search; district-only activities, private tasks and unpublished 心得 never
reach an output, and an incremental build follows pinning, privacy and published 心得 exactly as a full build."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from activities.demo import LIVE_DEMO_URL
from activities.models import ActivityPage, Reflection, ReflectionFile
from members.models import Member
from tests.site_builder.test_build_relations import assert_same_as_full_build, build, page_text, site_files


def activity(slug: str) -> ActivityPage:
    return ActivityPage.objects.get(slug=slug)


def every_byte(out) -> str:
    return b"".join(site_files(out).values()).decode("utf-8", "replace")


def banner_of(out) -> str:
    found = re.search(r'<section class="banner".*?</section>', page_text(out, "/"), re.S)
    return found[0] if found else ""


def test_the_api_names_only_public_things_and_never_the_attendance_code(cms_api_url, client):
    lecture, live = activity("activity-lecture"), activity("activity-live")
    record = client.get(f"/api/v2/pages/{lecture.pk}/").json()
    assert record["kind"] == "lecture" and record["kind_label"] == "线下讲座"
    assert record["starts_at"].endswith("+08:00") and record["capacity"] == 30 and record["signup_required"] is True
    assert record["place"] == {"id": lecture.place_id, "title": lecture.place.title, "site_path": lecture.place.specific.site_path,
                               "address": lecture.place.specific.address}
    assert lecture.place_id in record["related_ids"]
    assert "attendance_code" not in record and lecture.attendance_code not in json.dumps(record)
    replay = client.get(f"/api/v2/pages/{live.pk}/").json()["replay"]
    assert replay["site_path"] == f"/videos/{live.replay_page_id}/1/"
    hidden = activity("activity-nanguan")
    assert client.get(f"/api/v2/pages/{hidden.pk}/").status_code == 404
    listing = client.get("/api/v2/pages/", {"type": "activities.ActivityPage", "fields": "*"}).json()["items"]
    assert hidden.pk not in {row["id"] for row in listing} and len(listing) == 4


def test_activity_pages_listing_home_banner_and_check_in(cms_api_url, tmp_path):
    essay, lecture, live, campaign = (activity(s) for s in ("activity-essay", "activity-lecture", "activity-live", "activity-campaign"))
    lecture.place_note = '<script>alert("签到")</script>一楼报告厅'  # what editors type is text, never markup
    lecture.save_revision().publish()
    out = tmp_path / "site"
    build(cms_api_url, out)

    page = page_text(out, essay.site_path)
    assert f'<body data-item="{essay.pk}">' in page  # watching / reading here counts as study
    assert "征文/心得" in page and "完成活动得 20 分" in page and "提交一篇学习心得（打字、拍照或录音都可以），经审核采纳" in page
    assert re.search(rf'<form class="checkin" method="post" action="/me/checkin/">\s*<input type="hidden" name="activity" value="{essay.pk}">', page)
    assert f'href="/me/activities/{essay.pk}/reflection/"' in page and f'href="/me/activities/{essay.pk}/"' in page

    page = page_text(out, lecture.site_path)
    start, end = timezone.localtime(lecture.starts_at), timezone.localtime(lecture.ends_at)
    assert f"{start.year}年{start.month}月{start.day}日 09:30–11:00" in page and end.hour == 11
    assert f'<a href="{lecture.place.specific.site_path}">{lecture.place.title}</a>' in page
    assert "&lt;script&gt;alert(&#34;签到&#34;)&lt;/script&gt;一楼报告厅" in page and "<script>alert" not in page
    assert "30 人（报满后可候补）" in page and "报名截止" in page and "我要报名" in page and "输入现场公布的签到码" in page

    page = page_text(out, live.site_path)
    assert f'<source src="{LIVE_DEMO_URL}" type="application/vnd.apple.mpegurl">' in page and "用浏览器打开直播" in page
    assert f'href="/videos/{live.replay_page_id}/1/"' in page and "观看回放" in page
    assert f'data-starts="{timezone.localtime(live.starts_at).isoformat()}"' in page
    assert re.search(r'<script src="/assets/activity\.[0-9a-f]{12}\.js" defer>', page)

    page = page_text(out, campaign.site_path)
    for task in campaign.tasks.all():
        assert f'<a href="{task.item.specific.site_path}">{task.item.title}</a>' in page

    listing = page_text(out, "/activities/")
    assert all(a.site_path in listing for a in (essay, lecture, live, campaign))
    assert listing.index(live.site_path) < listing.index(essay.site_path)  # the latest start first: coming ones lead
    home = page_text(out, "/")
    assert essay.title in banner_of(out) and f'href="{essay.site_path}"' in banner_of(out) and "<img" in banner_of(out)
    assert 'action="/me/checkin/"' in home and 'href="/activities/"' in home
    hidden = activity("activity-nanguan")
    assert hidden.title not in every_byte(out) and hidden.site_path not in every_byte(out)
    assert not (out / hidden.site_path.lstrip("/")).exists()


def test_the_banner_follows_pinning_and_never_shows_a_district_only_activity(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    essay, lecture, hidden = activity("activity-essay"), activity("activity-lecture"), activity("activity-nanguan")
    hidden.pinned = True  # the newest start of all, but for 南关区's members only
    hidden.save_revision().publish()
    lecture.pinned = True
    lecture.save_revision().publish()
    assert build(cms_api_url, out).incremental
    assert lecture.title in banner_of(out) and hidden.title not in every_byte(out)

    for page in (essay, lecture):
        page.pinned = False
        page.save_revision().publish()
    build(cms_api_url, out)
    assert "党史学习教育专题" in banner_of(out)  # back to the editor's own banner
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_task_or_replay_that_turns_private_is_not_named(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    campaign, live = activity("activity-campaign"), activity("activity-live")
    task, renamed = (row.item.specific for row in campaign.tasks.order_by("sort_order")[:2])
    assert task.title in page_text(out, campaign.site_path)
    task.district_only = True
    task.save_revision().publish()
    renamed.title = "改了名的学习任务"  # the activity itself is not republished: its page must follow anyway
    renamed.save_revision().publish()
    series = live.replay_page.specific
    series.unpublish()
    assert build(cms_api_url, out).incremental
    assert task.title not in page_text(out, campaign.site_path) and task.site_path not in page_text(out, campaign.site_path)
    assert "改了名的学习任务" in page_text(out, campaign.site_path)
    page = page_text(out, live.site_path)
    assert series.site_path not in page and "观看回放：" not in page
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")


def test_a_published_reflection_appears_after_an_incremental_build(cms_api_url, tmp_path):
    out = tmp_path / "site"
    build(cms_api_url, out)
    essay = activity("activity-essay")
    member = Member.objects.get(phone="13900000001")
    reflection = Reflection.objects.create(
        activity=essay, member=member, form=Reflection.TEXT, text="读《红岩》有感：信仰的力量在于坚守。",
        status=Reflection.ACCEPTED, consent_to_publish=False, published=True, reviewed_at=timezone.now(),
    )
    ReflectionFile.objects.create(reflection=reflection, file="reflections/x.webp", content_type="image/webp", size=10)
    build(cms_api_url, out)
    assert "信仰的力量" not in page_text(out, essay.site_path)  # published without the member's consent: never shown

    reflection.consent_to_publish = True
    reflection.save()
    assert build(cms_api_url, out).incremental
    page = page_text(out, essay.site_path)
    assert "信仰的力量在于坚守" in page and "王同志" in page and member.name not in page
    assert member.community.name in page and f'src="/me/reflection-files/{reflection.files.get().pk}/"' in page
    assert_same_as_full_build(cms_api_url, out, tmp_path / "full")

    reflection.published = False
    reflection.save()
    build(cms_api_url, out)
    assert "信仰的力量" not in page_text(out, essay.site_path)


@pytest.fixture
def activity_index(cms_api_url, settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    call_command("build_search_index", verbosity=0)


def test_activities_are_searchable_and_district_only_ones_are_not(activity_index, client):
    answer = client.get("/search/", {"q": "全民爱阅读"}).content.decode("utf-8")
    assert activity("activity-essay").site_path in answer and "学习活动" in answer
    answer = client.get("/search/", {"q": "志愿服务日"}).content.decode("utf-8")
    assert activity("activity-nanguan").site_path not in answer
