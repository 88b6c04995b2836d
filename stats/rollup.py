"""One day's figures from the raw counts (views per item, today's visitor digests, members' StudyRecord rows),
written into the roll-up tables for past days (`roll_up`) or computed live for today (`compute_day`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from content_models.pages import LibraryItemPage
from members.models import StudyRecord

from .models import NO_ITEM, ColumnDay, DailySalt, DayTotal, DistrictDay, ItemDay, ItemMonth, VisitorMark


@dataclass
class Figures:
    """views, study seconds and a set of active member ids, added up from raw rows."""

    views: int = 0
    study_seconds: int = 0
    members: set = field(default_factory=set)

    def add(self, views: int = 0, seconds: int = 0, member: int | None = None) -> None:
        self.views += views
        self.study_seconds += seconds
        if member is not None:
            self.members.add(member)


@dataclass
class DayFigures:
    day: date
    visitors: int
    total: Figures
    districts: dict  # {district id or None: Figures}
    columns: dict  # {(column id, district id or None): Figures}
    item_views: dict  # {item id: views}
    item_study: dict  # {item id: seconds}


def item_places(item_ids) -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """({item id: its district id}, {item id: its column ids}) of the catalogue items among `item_ids`."""
    ids = [i for i in item_ids if i != NO_ITEM]
    districts = dict(LibraryItemPage.objects.filter(pk__in=ids).values_list("pk", "district_id"))
    columns: dict[int, list[int]] = defaultdict(list)
    for item, column in LibraryItemPage.columns.through.objects.filter(libraryitempage_id__in=ids).values_list(
        "libraryitempage_id", "column_id"
    ):
        columns[item].append(column)
    return districts, columns


def compute_day(day: date) -> DayFigures:
    """The day's figures from the raw rows: views by the item's district and columns, study by the member's district."""
    item_views = dict(ItemDay.objects.filter(day=day, views__gt=0).values_list("item_id", "views"))
    study = list(StudyRecord.objects.filter(day=day).values_list("member_id", "district_id", "item_id", "seconds"))
    item_district, item_columns = item_places(set(item_views) | {row[2] for row in study})
    total, districts, columns = Figures(), defaultdict(Figures), defaultdict(Figures)
    for item, views in item_views.items():
        district = item_district.get(item)
        total.add(views=views)
        districts[district].add(views=views)
        for column in item_columns.get(item, ()):
            columns[column, district].add(views=views)
    item_study: dict[int, int] = defaultdict(int)
    for member, district, item, seconds in study:
        item_study[item] += seconds
        total.add(seconds=seconds, member=member)
        districts[district].add(seconds=seconds, member=member)
        for column in item_columns.get(item, ()):
            columns[column, district].add(seconds=seconds, member=member)
    visitors = VisitorMark.objects.filter(day=day).count()
    return DayFigures(day, visitors, total, dict(districts), dict(columns), item_views, dict(item_study))


def roll_up(day: date) -> None:
    """Write `day`'s roll-up rows (replacing any earlier ones: running it again changes nothing), then forget
    the day's visitor digests and salt."""
    figures = compute_day(day)
    with transaction.atomic():
        earlier = DayTotal.objects.filter(day=day).first()
        # The digests are deleted by the first roll-up; a later one keeps the count it made.
        visitors = figures.visitors if figures.visitors or earlier is None else earlier.visitors
        DayTotal.objects.update_or_create(day=day, defaults={
            "visits": figures.total.views, "visitors": visitors,
            "study_seconds": figures.total.study_seconds, "active_members": len(figures.total.members),
        })
        DistrictDay.objects.filter(day=day).delete()
        DistrictDay.objects.bulk_create(
            DistrictDay(day=day, district_id=district, views=f.views, study_seconds=f.study_seconds,
                        active_members=len(f.members))
            for district, f in figures.districts.items()
        )
        ColumnDay.objects.filter(day=day).delete()
        ColumnDay.objects.bulk_create(
            ColumnDay(day=day, column_id=column, district_id=district, views=f.views, study_seconds=f.study_seconds,
                      active_members=len(f.members))
            for (column, district), f in figures.columns.items()
        )
        ItemDay.objects.filter(day=day).exclude(item_id__in=list(figures.item_study)).update(study_seconds=0)
        ItemDay.objects.bulk_create(
            [ItemDay(day=day, item_id=item, study_seconds=seconds) for item, seconds in figures.item_study.items()],
            update_conflicts=True, unique_fields=["day", "item_id"], update_fields=["study_seconds"],
        )
        roll_up_month(day.replace(day=1))
        VisitorMark.objects.filter(day__lte=day).delete()
        DailySalt.objects.filter(day__lte=day).delete()


def roll_up_month(month: date) -> None:
    """ItemMonth of the month starting `month`, from its ItemDay rows."""
    following = (month + timedelta(days=32)).replace(day=1)
    rows = (
        ItemDay.objects.filter(day__gte=month, day__lt=following).exclude(item_id=NO_ITEM)
        .values("item_id").annotate(v=Sum("views"), s=Sum("study_seconds"))
    )
    ItemMonth.objects.filter(month=month).delete()
    ItemMonth.objects.bulk_create(
        (ItemMonth(month=month, item_id=row["item_id"], views=row["v"], study_seconds=row["s"]) for row in rows),
        batch_size=2000,
    )


def days_to_roll_up() -> list[date]:
    """The past days not rolled up yet: from the day after the last roll-up (or the first raw row) to yesterday."""
    yesterday = timezone.localdate() - timedelta(days=1)
    last = DayTotal.objects.aggregate(d=Max("day"))["d"]
    if last is not None:
        start = last + timedelta(days=1)
    else:
        firsts = [qs.aggregate(d=Min("day"))["d"] for qs in (ItemDay.objects, VisitorMark.objects, StudyRecord.objects)]
        firsts = [d for d in firsts if d is not None]
        if not firsts:
            return []
        start = min(firsts)
    return [start + timedelta(days=n) for n in range((yesterday - start).days + 1)]
