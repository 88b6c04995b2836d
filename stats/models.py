"""The statistics' tables: today's anonymous counting state and the daily/monthly roll-ups the dashboard reads.

Nothing here names a person: views are counts per item, a visitor is a salted digest kept only for its own
day (the salt and the digests are deleted when the day is rolled up), study comes in already aggregated.
`item_id` 0 stands for visits to pages that are not a public item (column lists, search, the home page).
"""

from __future__ import annotations

from django.db import models

from content_models.taxonomy import Column, District

NO_ITEM = 0


class DailySalt(models.Model):
    """The random salt of one day's visitor digests; gone with the day, so its digests can't be recomputed."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.day}"


class VisitorMark(models.Model):
    """One visitor seen on `day`: SHA-256 of (salt, address, User-Agent). Only the current day's are kept."""

    day = models.DateField()
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "digest"], name="stats_visitor_unique")]

    def __str__(self) -> str:
        return f"{self.day}"


class ItemDay(models.Model):
    """Page views of one item on one day (the beacon adds to `views`); study seconds filled by the roll-up."""

    day = models.DateField()
    item_id = models.PositiveIntegerField()
    views = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "item_id"], name="stats_item_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.item_id}: {self.views}"


class ItemMonth(models.Model):
    """An item's views and study seconds in one month (`month` is its first day): the year's top list reads these."""

    month = models.DateField()
    item_id = models.PositiveIntegerField()
    views = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "item_id"], name="stats_item_month_unique")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.item_id}: {self.views}"


class DayTotal(models.Model):
    """The city's figures of one rolled-up day; `visitors` counts distinct digests of that day only."""

    day = models.DateField(unique=True)
    visits = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveBigIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.visits}"


class DistrictDay(models.Model):
    """One district's day: views of its items, study seconds and distinct studying members of its members.
    `district` None holds the city-wide (全市) items' views."""

    day = models.DateField()
    district = models.ForeignKey(District, on_delete=models.CASCADE, null=True, related_name="+")
    views = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveBigIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "district"])]

    def __str__(self) -> str:
        return f"{self.day} {self.district_id}: {self.views}"


class ColumnDay(models.Model):
    """One column's day, split by district as DistrictDay is (so a district editor sees only their share).
    An item in two columns counts in both."""

    day = models.DateField()
    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, null=True, related_name="+")
    views = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveBigIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "district"])]

    def __str__(self) -> str:
        return f"{self.day} {self.column_id}/{self.district_id}: {self.views}"
