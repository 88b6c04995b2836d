"""Crediting study beats: which beat counts, how many seconds, on which day, and the points they earn.

Everything that decides whether a beat is credited happens in one transaction under the member's row lock, so two
beats arriving together cannot both pass the interval or the day cap. The hot path is a handful of indexed queries:
the receipt insert, the member lock, the member update, the study row upsert, the study rule; the item's facts (one
query, with its reader page count and episode durations) are cached a minute per process; more only when points
change or a series may be finished.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Substr
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from content_models.models import AudioEpisode, LibraryItemPage, VideoEpisode
from reading.models import DocumentProcessing

from .models import BeatReceipt, Member, PointRule, StudyRecord
from .points import grant, grant_study, rule_on

FINISHED_SHARE = 0.8  # a series is finished once the member's seconds on it reach this share of its running time
FACTS_SECONDS = 60  # how long a process trusts what it read of an item (publishing elsewhere shows within this)


@dataclass(frozen=True)
class Beat:
    """A beat as the page sent it, already checked for shape."""

    item_id: int
    seconds: int
    beat: uuid.UUID
    position: int | None = None


@dataclass(frozen=True)
class ReadableItem:
    """What crediting needs to know of an item the member may read."""

    pk: int
    reader_pages: int  # the book's reader page count (0: no reader)
    series_seconds: int  # the episodes' total running time (0: not a series, or some duration unknown)


def _episodes(model, column: str, **condition) -> Subquery:
    """Sum (or count) of one series' episodes' `column`, per series page, as a subquery."""
    rows = model.objects.filter(page_id=OuterRef("pk"), **condition).order_by().values("page_id")
    aggregate = Count("pk") if column == "pk" else Sum(column)
    return Subquery(rows.annotate(value=aggregate).values("value"), output_field=IntegerField())


@dataclass(frozen=True)
class _ItemFacts:
    district_only: bool
    district_id: int | None
    reader_pages: int
    series_seconds: int


_facts: dict[int, tuple[float, _ItemFacts | None]] = {}  # item id → (when read, facts; None: not a live public-ish item)


def _item_facts(item_id: int) -> _ItemFacts | None:
    """An item's facts for crediting, kept FACTS_SECONDS per process (every beat of a reading member asks the same);
    saving or deleting a page, a view restriction, a reader or an episode clears them in this process."""
    now = time.monotonic()
    cached = _facts.get(item_id)
    if cached and now - cached[0] < FACTS_SECONDS:
        return cached[1]
    restricted = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, F("page__depth") * LibraryItemPage.steplen)
    )
    reader_pages = DocumentProcessing.objects.filter(
        document_id=OuterRef("ebookpage__document_id"), status=DocumentProcessing.DONE
    ).values("page_count")[:1]
    row = (
        LibraryItemPage.objects.filter(pk=item_id, live=True)
        .exclude(expire_at__lte=timezone.now())
        .exclude(Exists(restricted))
        .annotate(
            reader_pages=Coalesce(Subquery(reader_pages, output_field=IntegerField()), 0),
            series_total=Coalesce(_episodes(VideoEpisode, "duration_seconds"), _episodes(AudioEpisode, "duration_seconds"), 0),
            series_unknown=Coalesce(
                _episodes(VideoEpisode, "pk", duration_seconds=0), _episodes(AudioEpisode, "pk", duration_seconds=0), 0
            ),
        )
        .values("district_only", "district_id", "reader_pages", "series_total", "series_unknown")
        .first()
    )
    facts = row and _ItemFacts(
        row["district_only"], row["district_id"], row["reader_pages"], 0 if row["series_unknown"] else row["series_total"]
    )
    if len(_facts) > 50_000:  # far more than the catalogue's items: ids that were probed, not read
        _facts.clear()
    _facts[item_id] = (now, facts)
    return facts


def _forget_item_facts(sender, **_kwargs) -> None:
    # Every model's saves come here (a page's signal names its own class, not Page): keep the test cheap.
    if issubclass(sender, (Page, PageViewRestriction, DocumentProcessing, VideoEpisode, AudioEpisode)):
        _facts.clear()


post_save.connect(_forget_item_facts, dispatch_uid="learning-item-facts-save")
post_delete.connect(_forget_item_facts, dispatch_uid="learning-item-facts-delete")


def readable_item(member: Member, item_id: int) -> ReadableItem | None:
    """The live item `member` may read (public, or district-only in the member's district); else None.

    Public as content_models.visibility means it (live, no view restriction on it or an ancestor, not expired),
    written as subqueries so one round trip answers when the facts are not cached.
    """
    facts = _item_facts(item_id)
    if facts is None or (facts.district_only and facts.district_id != member.district_id):
        return None
    return ReadableItem(item_id, facts.reader_pages, facts.series_seconds)


def _first_receipt(beat: uuid.UUID, now) -> bool:
    """Insert the beat's receipt; False when it was already there (a replay). One statement, no savepoint."""
    table = BeatReceipt._meta.db_table
    field = BeatReceipt._meta.get_field("beat")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (beat, received_at) VALUES (%s, %s) ON CONFLICT (beat) DO NOTHING",
            [field.get_db_prep_value(beat, connection), BeatReceipt._meta.get_field("received_at").get_db_prep_value(now, connection)],
        )
        return cursor.rowcount == 1


def credit(member: Member, beat: Beat) -> int:
    """Credit `beat` to `member` if the rules allow; returns the seconds credited (0: not credited)."""
    item = readable_item(member, beat.item_id)
    if item is None:
        return 0
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        if not _first_receipt(beat.beat, now):
            return 0
        if connection.vendor == "postgresql":
            # A beat lost in a crash costs 30 s of one member's record; waiting for the WAL flush on every beat
            # cost more than the rest of the request (bench/bench_beats.py). Only this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            # of=self: Member's default ordering joins the district, whose row must not be locked with it.
            state = (
                Member.objects.select_for_update(of=("self",))
                .values("last_beat_at", "credited_day", "credited_day_seconds")
                .get(pk=member.pk)
            )
        except Member.DoesNotExist:  # the account was deleted meanwhile
            return 0
        if state["last_beat_at"] and now - state["last_beat_at"] < timedelta(seconds=settings.STUDY_BEAT_MIN_INTERVAL_SECONDS):
            return 0
        before = state["credited_day_seconds"] if state["credited_day"] == today else 0
        seconds = min(max(beat.seconds, 1), 30, settings.STUDY_DAY_CAP_SECONDS - before)
        if seconds <= 0:
            return 0
        after = before + seconds
        Member.objects.filter(pk=member.pk).update(last_beat_at=now, credited_day=today, credited_day_seconds=after)
        changes = {"seconds": F("seconds") + seconds, "updated_at": now}
        if beat.position is not None:
            changes["position"] = beat.position
        # The member's row lock keeps a second request for this member from creating the same row meanwhile.
        if not StudyRecord.objects.filter(member=member, item_id=item.pk, day=today).update(**changes):
            StudyRecord.objects.create(
                member=member, district_id=member.district_id, item_id=item.pk, day=today,
                seconds=seconds, position=beat.position, updated_at=now,
            )
        rule = rule_on(PointRule.STUDY, today)
        if rule and rule.per_minutes and after // (rule.per_minutes * 60) > before // (rule.per_minutes * 60):
            grant_study(member, today, after)
        if _finished(member, item, beat.position):
            grant(member, PointRule.FINISHED, f"finished:{item.pk}", today)
    return seconds


def _finished(member: Member, item: ReadableItem, position: int | None) -> bool:
    """Whether this beat finishes the item: a book's last reader page reached, or 80 % of a series' running time studied."""
    if item.reader_pages:
        return position is not None and position >= item.reader_pages
    if item.series_seconds:
        studied = StudyRecord.objects.filter(member=member, item_id=item.pk).aggregate(total=Sum("seconds"))["total"] or 0
        return studied >= FINISHED_SHARE * item.series_seconds
    return False


def prune_receipts(now=None) -> int:
    """Forget beat ids older than BEAT_RECEIPT_DAYS; returns how many went. A beat replayed later than that could be
    credited again, but only within the interval and the day cap like any fresh beat."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.BEAT_RECEIPT_DAYS)
    deleted, _ = BeatReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted
