"""What an activity asks of a member and how far they are: study tasks, check-in days, an accepted 心得,
attendance at an offline lecture, watching a live lecture or its replay, a passed quiz. When everything asked is
done the activity is completed once (ActivityCompletion) and its points are granted (key "activity:<id>").

Call `complete_if_done(member, activity)` after anything that may finish an activity (an accepted 心得, an
attendance, a finished quiz, a check-in) and whenever a member's activity page is shown (study is recorded by the
static pages' beats, which know nothing of activities).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from content_models.models import LibraryItemPage
from content_models.visibility import public_page_ids
from members.district_content import PREFIX as DISTRICT_PREFIX
from members.district_content import readable_items
from members.models import Member, PointRule, StudyRecord
from members.points import grant

from .models import ActivityCompletion, ActivityPage, CheckIn, QuizAttempt, Reflection, SignUp


@dataclass
class TaskProgress:
    item_id: int
    title: str
    site_path: str  # the public page, or the member's district page for their district's members-only item
    note: str
    done: bool


@dataclass
class Progress:
    """Each requirement the activity has, with whether it is met; `complete` when there is one and all are met."""

    tasks: list[TaskProgress] = field(default_factory=list)
    checkin_days: tuple[int, int] | None = None  # (done, asked)
    reflection: str | None = None  # None: not asked; else the best status so far ("" none yet, or a Reflection status)
    attended: bool | None = None  # None: not asked
    watched: bool | None = None  # None: not asked
    quiz: tuple[int, int, bool] | None = None  # (score %, pass %, passed) once finished; (0, pass %, False) before
    completed: bool = False

    @property
    def requirements(self) -> list[bool]:
        met = [task.done for task in self.tasks]
        if self.checkin_days is not None:
            met.append(self.checkin_days[0] >= self.checkin_days[1])
        if self.reflection is not None:
            met.append(self.reflection == Reflection.ACCEPTED)
        for flag in (self.attended, self.watched):
            if flag is not None:
                met.append(flag)
        if self.quiz is not None:
            met.append(self.quiz[2])
        return met

    @property
    def complete(self) -> bool:
        met = self.requirements
        return bool(met) and all(met)


def _seconds_since(member: Member, item_ids: list[int], activity: ActivityPage) -> dict[int, int]:
    start = timezone.localdate(activity.starts_at)
    rows = (
        StudyRecord.objects.filter(member=member, item_id__in=item_ids, day__gte=start)
        .values("item_id").annotate(total=Sum("seconds"))
    )
    return {row["item_id"]: row["total"] for row in rows}


def progress(member: Member, activity: ActivityPage) -> Progress:
    """Where `member` stands with `activity` (study counted from the day it starts)."""
    result = Progress(completed=ActivityCompletion.objects.filter(activity=activity, member=member).exists())
    # Only tasks the member may read count (and are named): a draft, or another district's item, is neither shown
    # nor asked for — it could never be done.
    tasks = list(activity.tasks.all())
    if tasks:
        ids = [task.item_id for task in tasks]
        public = public_page_ids(ids)
        own_district = set(readable_items(member.district_id).filter(pk__in=ids).values_list("pk", flat=True))
        items = LibraryItemPage.objects.filter(pk__in=public | own_district).specific().in_bulk()
        studied = _seconds_since(member, list(items), activity)
        for task in tasks:
            item = items.get(task.item_id)
            if item is None:
                continue
            result.tasks.append(TaskProgress(
                item_id=item.pk, title=item.title,
                site_path=item.site_path if item.pk in public else f"{DISTRICT_PREFIX}{item.pk}/",
                note=task.note, done=studied.get(item.pk, 0) >= settings.ACTIVITY_TASK_MIN_SECONDS,
            ))
    if activity.checkin_days:
        days = CheckIn.objects.filter(
            member=member, day__gte=timezone.localdate(activity.starts_at), day__lte=timezone.localdate(activity.ends_at)
        ).count()
        result.checkin_days = (days, activity.checkin_days)
    if activity.requires_reflection or activity.kind == ActivityPage.ESSAY:
        statuses = set(Reflection.objects.filter(activity=activity, member=member).values_list("status", flat=True))
        result.reflection = next((s for s in (Reflection.ACCEPTED, Reflection.SUBMITTED, Reflection.RETURNED) if s in statuses), "")
    if activity.kind == ActivityPage.LECTURE:
        result.attended = SignUp.objects.filter(activity=activity, member=member, attended_at__isnull=False).exists()
    if activity.kind == ActivityPage.LIVE:
        watched = _seconds_since(member, [activity.pk, *([activity.replay_page_id] if activity.replay_page_id else [])], activity)
        result.watched = sum(watched.values()) >= settings.ACTIVITY_TASK_MIN_SECONDS
    if activity.quiz_bank_id:
        attempt = QuizAttempt.objects.filter(member=member, quiz_key=f"activity:{activity.pk}", finished_at__isnull=False).first()
        if attempt and attempt.question_ids:
            percent = round(100 * attempt.score / len(attempt.question_ids))
            result.quiz = (percent, activity.quiz_pass_percent, percent >= activity.quiz_pass_percent)
        else:
            result.quiz = (0, activity.quiz_pass_percent, False)
    return result


def complete_if_done(member: Member, activity: ActivityPage) -> bool:
    """Record the completion and grant the activity's points when every requirement is met; True if completed now."""
    current = progress(member, activity)
    if current.completed or not current.complete:
        return False
    today = timezone.localdate()
    try:
        with transaction.atomic():
            ActivityCompletion.objects.create(activity=activity, member=member)
    except IntegrityError:  # completed by another request a moment ago
        return False
    grant(member, PointRule.ACTIVITY, f"activity:{activity.pk}", today, points=activity.points)
    return True
