"""Points by the city's rules: the rule of a kind in force on a day is the one with the latest start on or before it.

Awards are keyed ("study:2026-11-30", "finished:123", "checkin:2026-11-30"), so granting the same thing again
changes nothing; a study award grows with the day's minutes. Yearly caps apply when points are summed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Sum

from .models import Member, PointAward, PointRule


def rule_on(kind: str, day: date) -> PointRule | None:
    return PointRule.objects.filter(kind=kind, valid_from__lte=day).order_by("-valid_from").first()


def grant(member: Member, kind: str, key: str, day: date, points: int | None = None) -> int:
    """Record `points` (default: the rule's) for `key`; a key already granted keeps the larger figure. Returns the points now held for it."""
    if points is None:
        rule = rule_on(kind, day)
        points = rule.points if rule else 0
    if points <= 0:
        return 0
    updated = PointAward.objects.filter(member=member, key=key, points__lt=points).update(points=points)
    if not updated:
        try:
            with transaction.atomic():
                PointAward.objects.create(member=member, kind=kind, key=key, day=day, points=points)
        except IntegrityError:  # already there with as many points (or another request just wrote it)
            pass
    return PointAward.objects.filter(member=member, key=key).values_list("points", flat=True).first() or 0


def grant_study(member: Member, day: date, seconds: int) -> int:
    """The study award for `day` from the member's credited seconds that day."""
    rule = rule_on(PointRule.STUDY, day)
    if rule is None or not rule.per_minutes:
        return 0
    return grant(member, PointRule.STUDY, f"study:{day.isoformat()}", day, seconds // (rule.per_minutes * 60) * rule.points)


def yearly_caps(year: int) -> dict[str, int]:
    """{kind: cap} of the rules in force at the end of `year` (kinds without a cap left out)."""
    caps = {}
    for kind, _label in PointRule.KINDS:
        rule = rule_on(kind, date(year, 12, 31))
        if rule and rule.yearly_cap:
            caps[kind] = rule.yearly_cap
    return caps


def points_by_member(year: int, members=None) -> dict[int, int]:
    """{member id: points in `year`, each kind capped}; `members` (a queryset or ids) narrows it."""
    rows = PointAward.objects.filter(day__year=year)
    if members is not None:
        rows = rows.filter(member__in=members)
    caps = yearly_caps(year)
    totals: dict[int, int] = defaultdict(int)
    for row in rows.values("member_id", "kind").annotate(total=Sum("points")):
        cap = caps.get(row["kind"])
        totals[row["member_id"]] += min(row["total"], cap) if cap else row["total"]
    return dict(totals)


def points_for_year(member: Member, year: int) -> int:
    return points_by_member(year, [member.pk]).get(member.pk, 0)
