"""The demo's learning activities (issue 13's examples), timed from today so the demo always has current and coming ones.

Idempotent like the rest of seed_demo: an activity whose slug exists is left as it is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from content_models.models import EBookPage, LibraryItemPage, MapSitePage, NewsPage, SectionPage, VideoSeriesPage
from content_models.seeding import ensure_covers
from content_models.visibility import public_pages

from .models import ActivityPage, ActivityTask

LIVE_DEMO_URL = "https://live.example.cn/dangshi/baishan-heishui/index.m3u8"


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """Today + `days` at hour:minute, Asia/Shanghai."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _public(model: type[LibraryItemPage], nth: int = -1) -> LibraryItemPage | None:
    """The nth public item of a type by id (default the last). The builder's own tests edit the first and last books
    and the first series and news, counting what each edit refetches: an activity naming them would add to the count."""
    pages = list(public_pages(model.objects.all()).order_by("pk"))
    return pages[nth] if pages else None


@transaction.atomic
def add_demo_activities() -> int:
    """Create the missing demo activities and publish them; returns how many were created."""
    city = SectionPage.objects.filter(district__isnull=True).first()
    nanguan = SectionPage.objects.filter(district__slug="nanguan").first()
    site = _public(MapSitePage)
    series = _public(VideoSeriesPage, 1)
    tasks = [page for page in (_public(EBookPage, 1), _public(VideoSeriesPage), _public(NewsPage)) if page is not None]
    cover = ensure_covers(1)[0]
    plans = [
        (city, ActivityPage(
            title="「书香社区·全民爱阅读」征文", slug="activity-essay", kind=ActivityPage.ESSAY, pinned=True, cover=cover,
            summary="读一本党史好书，写下您的学习心得：打字、拍下手写稿或者录一段语音都可以。优秀心得将在本页展示。",
            starts_at=_at(-3, 8), ends_at=_at(27, 18), requires_reflection=True, points=20,
        ), []),
        (city, ActivityPage(
            title="线下讲座：长春红色地标里的党史故事", slug="activity-lecture", kind=ActivityPage.LECTURE, place=site,
            place_note="一楼报告厅", summary="请老党员讲述身边的红色地标故事。名额有限，请提前报名，到场后输入签到码。",
            starts_at=_at(5, 9, 30), ends_at=_at(5, 11), signup_required=True, capacity=30, signup_deadline=_at(4, 18),
            points=10,
        ), []),
        (city, ActivityPage(
            title="直播：白山黑水党旗红", slug="activity-live", kind=ActivityPage.LIVE, live_url=LIVE_DEMO_URL,
            summary="东北抗联历史专题讲座直播。错过直播也不要紧，结束后可以观看回放。",
            starts_at=_at(2, 19, 30), ends_at=_at(2, 21), replay_page=series, replay_episode=1 if series else None, points=5,
        ), []),
        (city, ActivityPage(
            title="冬季红色历史学习", slug="activity-campaign", kind=ActivityPage.CAMPAIGN,
            summary="冰雪路滑，在家也能学：学完三项学习资源，再提交一篇心得，就算完成本次学习活动。",
            starts_at=_at(-7, 8), ends_at=_at(23, 22), requires_reflection=True, points=30,
        ), tasks),
        (nanguan, ActivityPage(
            title="南关区党员志愿服务日", slug="activity-nanguan", kind=ActivityPage.CHECKIN, district_only=True,
            summary="南关区党员在社区开展志愿服务，活动期间每天打卡。", starts_at=_at(1, 8), ends_at=_at(8, 18),
            checkin_days=3, points=10,
        ), []),
    ]
    existing = set(ActivityPage.objects.values_list("slug", flat=True))
    created = 0
    for section, page, task_items in plans:
        if page.slug in existing or section is None:
            continue
        page.tasks = [ActivityTask(item=item, sort_order=n) for n, item in enumerate(task_items)]
        page.live = False  # live only once its revision is published
        section.add_child(instance=page)
        page.save_revision(log_action=True).publish(log_action=True)
        created += 1
    return created
