"""Synthetic learning history for demos and benches: roll-up rows whose totals are exactly the figures asked for.

Only roll-up rows are written (no StudyRecord, no members): the dashboard reads nothing else for past days.
Days that already have a roll-up or raw rows (views, study) are left alone, so real figures are never
overwritten and running it again writes nothing. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from content_models.taxonomy import Column, District
from members.models import StudyRecord

from .models import ColumnDay, DayTotal, DistrictDay, ItemDay
from .rollup import roll_up_month


def apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` as integers that add up to it exactly (largest remainder)."""
    whole = sum(weights) or 1
    shares = [total * w / whole for w in weights]
    parts = [int(s) for s in shares]
    for index in sorted(range(len(shares)), key=lambda i: parts[i] - shares[i])[: total - sum(parts)]:
        parts[index] += 1
    return parts


def seed_history(days: list[date], *, visits: int, visitors: int, minutes: int, item_ids: list[int],
                 items_per_day: int = 40, seed: int = 2021) -> int:
    """Write roll-ups for those of `days` without one or raw rows, sharing out the totals; returns how many days were written."""
    taken = set(DayTotal.objects.filter(day__in=days).values_list("day", flat=True))
    taken |= set(ItemDay.objects.filter(day__in=days).values_list("day", flat=True))
    taken |= set(StudyRecord.objects.filter(day__in=days).values_list("day", flat=True))
    days = sorted(set(days) - taken)
    if not days:
        return 0
    rng = random.Random(seed)
    districts = list(District.objects.values_list("pk", flat=True))
    columns = list(Column.objects.values_list("pk", flat=True))
    # Evenings of the weekend and the months of the party's anniversaries are busier.
    day_weights = [rng.uniform(0.7, 1.3) * (1.2 if d.weekday() >= 5 else 1) * (1.4 if d.month in (6, 7, 10) else 1)
                   for d in days]
    district_weights = [rng.uniform(0.3, 1.5) for _ in districts]
    column_weights = [rng.uniform(0.5, 1.5) for _ in columns]
    day_visits = apportion(visits, day_weights)
    day_visitors = apportion(visitors, day_weights)
    day_seconds = [m * 60 for m in apportion(minutes, day_weights)]
    totals, district_rows, column_rows, item_rows = [], [], [], []
    for day, v, u, s in zip(days, day_visits, day_visitors, day_seconds, strict=True):
        active = max(1, s // 2400) if s else 0  # about 40 minutes a studying member a day
        totals.append(DayTotal(day=day, visits=v, visitors=u, study_seconds=s, active_members=active))
        # One visit in five opens a column list, search or the home page rather than an item.
        item_visits = v - v // 5
        shares = zip(districts, apportion(item_visits, district_weights), apportion(s, district_weights),
                     apportion(active, district_weights), strict=True)
        district_rows.append(DistrictDay(day=day, district_id=None, views=v - item_visits))
        for district, dv, ds, da in shares:
            district_rows.append(DistrictDay(day=day, district_id=district, views=dv, study_seconds=ds, active_members=da))
            for column, cv, cs, ca in zip(columns, apportion(dv, column_weights), apportion(ds, column_weights),
                                          apportion(da, column_weights), strict=True):
                column_rows.append(ColumnDay(day=day, column_id=column, district_id=district, views=cv,
                                             study_seconds=cs, active_members=ca))
        picked = rng.sample(item_ids, min(items_per_day, len(item_ids)))
        weights = [1 / (rank + 1) for rank in range(len(picked))]  # a few items are read far more than the rest
        for item, iv, iseconds in zip(picked, apportion(item_visits, weights), apportion(s, weights), strict=True):
            item_rows.append(ItemDay(day=day, item_id=item, views=iv, study_seconds=iseconds))
    with transaction.atomic():
        for model, rows in ((DayTotal, totals), (DistrictDay, district_rows), (ColumnDay, column_rows), (ItemDay, item_rows)):
            model.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=model is ItemDay)
        for month in sorted({d.replace(day=1) for d in days}):
            roll_up_month(month)
    return len(days)


def year_days(year: int, today: date) -> list[date]:
    """The days of `year` before `today`."""
    first, last = date(year, 1, 1), min(date(year, 12, 31), today - timedelta(days=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
