"""A member's study figures (today, this year, points, streak): the one answer /api/me/ and the archive page show."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from .models import Member, StudyRecord
from .points import points_for_year


def streak_days(member: Member, today: date) -> int:
    """Consecutive days with study, ending today — or yesterday, when nothing is recorded yet today."""
    days = (
        StudyRecord.objects.filter(member=member, seconds__gt=0, day__lte=today)
        .order_by("-day").values_list("day", flat=True).distinct()
    )
    streak, expected = 0, today
    for day in days.iterator():
        if streak == 0 and day == today - timedelta(days=1):
            expected = day  # nothing yet today: the streak up to yesterday still counts
        if day != expected:
            break
        streak += 1
        expected = day - timedelta(days=1)
    return streak


def study_summary(member: Member) -> dict:
    """{name, phone_masked, district, study_seconds_today, study_seconds_year, points_year, streak_days}."""
    today = timezone.localdate()
    totals = StudyRecord.objects.filter(member=member, day__gte=date(today.year, 1, 1), day__lte=today).aggregate(
        year=Sum("seconds"), today=Sum("seconds", filter=Q(day=today))
    )
    return {
        "name": member.name,
        "phone_masked": member.phone_masked,
        "district": member.district.name,
        "study_seconds_today": totals["today"] or 0,
        "study_seconds_year": totals["year"] or 0,
        "points_year": points_for_year(member, today.year),
        "streak_days": streak_days(member, today),
    }
