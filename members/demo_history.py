"""The demo member's study history: three weeks up to today on a few public demo items, with the points they earn
and a 2025 commendation, so the archive page and the dashboard show figures right after `make demo`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from content_models.pages import EBookPage, LibraryItemPage
from content_models.visibility import public_page_ids

from .models import Commendation, Member, StudyRecord
from .points import grant_study

HISTORY_DAYS = 21
DEMO_ITEM_SLUGS = ["ebook-0001", "series-0001", "ebook-0004", "audio-0001"]  # books with readers, the transcoded media
SKIPPED_DAYS = {5, 6, 12}  # days ago without study: the streak is the last five days


@transaction.atomic
def seed_study_history(member: Member) -> int:
    """Study rows for the last HISTORY_DAYS days (the same each run of a day; a rerun changes nothing), their
    study points, and a 2025 commendation. Returns the number of study rows written."""
    pages = list(LibraryItemPage.objects.filter(slug__in=DEMO_ITEM_SLUGS).specific())
    public = public_page_ids(p.pk for p in pages)
    items = sorted((p for p in pages if p.pk in public), key=lambda p: DEMO_ITEM_SLUGS.index(p.slug))
    if not items:
        return 0
    today = timezone.localdate()
    per_day: dict = defaultdict(int)
    written = 0
    for days_ago in range(HISTORY_DAYS - 1, -1, -1):
        if days_ago in SKIPPED_DAYS:
            continue
        day = today - timedelta(days=days_ago)
        progress = HISTORY_DAYS - days_ago  # 1 … 21: positions move on day by day
        for n in range(1 + days_ago % 2):  # one item a day, two on every other day
            page = items[(progress + n) % len(items)]
            seconds = 600 + (progress * 7 + n * 3) % 5 * 300  # 10 to 30 minutes
            if isinstance(page, EBookPage):
                reading = page.reading
                position = 1 + progress % (reading["page_count"] if reading else 8)
            else:
                position = progress * 45
            at = timezone.make_aware(datetime.combine(day, time(19, 30 + n * 20)))
            StudyRecord.objects.update_or_create(
                member=member, item_id=page.pk, day=day,
                defaults={"district_id": member.district_id, "seconds": seconds, "position": position,
                          "updated_at": min(at, timezone.now())},
            )
            per_day[day] += seconds
            written += 1
    for day, seconds in per_day.items():
        grant_study(member, day, seconds)
    Commendation.objects.get_or_create(member=member, year=2025, title="学习标兵")
    return written
