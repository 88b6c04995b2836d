"""Sign-up (报名) for events with capacity: sign up, cancel, the waiting list promoted in order, the deadline,
attendance by the event's code (credited as study), and the small helpers the members' activity views share.

Every change to an event's sign-ups happens in one transaction holding the activity's row lock, so 200 members
signing up for the last 20 places at once cannot over-fill it: each sees the count the previous one left.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail.signals import page_published

from members.accounts import login_redirect, phone_digest, theme_not_found
from members.models import LoginFailure, Member, StudyRecord
from members.points import grant_study
from members.sessions import current_member, same_site_post
from search_index.views import render

from .access import activity_for
from .models import ActivityPage, SignUp
from .progress import complete_if_done

ATTENDANCE_WINDOW = timedelta(hours=2)  # the code is taken from 2 h before the start to 2 h after the end
WRONG_CODE_LIMIT = 5
WRONG_CODE_MINUTES = 10

# The outcome of an action, shown on the activity page after the redirect (?m=key): (text, is it an error).
MESSAGES = {
    "confirmed": ("报名成功，请按时参加。", False),
    "waiting": ("名额已满，您已进入候补名单，有人取消时按报名先后依次递补。", False),
    "already": ("您已经报过名了。", False),
    "cancelled": ("已取消报名。", False),
    "not_signed_up": ("您还没有报名这个活动。", True),
    "no_signup": ("这个活动不需要报名。", True),
    "closed": ("报名已截止。", True),
    "started": ("活动已经开始，不能取消报名了；不能参加请联系组织者。", True),
    "attended": ("签到成功，学习时长和积分已记入您的学习档案。", False),
    "already_attended": ("您已经签到过了。", False),
    "no_attendance": ("这个活动不用现场签到。", True),
    "attend_closed": ("现在不在签到时间内（活动开始前 2 小时到结束后 2 小时）。", True),
    "wrong_code": ("签到码不正确，请核对组织者公布的 6 位数字。", True),
    "too_many": (f"签到码输错次数太多，请 {WRONG_CODE_MINUTES} 分钟后再试，或请组织者为您登记到场。", True),
    "need_signup": ("这个活动需要先报名，报名成功后才能签到；请联系组织者为您登记到场。", True),
    "waiting_list": ("您在候补名单上，未获得名额，不能签到；如已到场，请联系组织者。", True),
}


def refused() -> HttpResponse:
    return render(
        "me_base.html", {"title": "请求被拒绝", "error": "请从本站页面提交。如果一直出现这个提示，请刷新页面后再试。"},
        status=403, max_age=None,
    )


def find_activity(member: Member | None, raw: str | int) -> ActivityPage | None:
    """access.activity_for by the id as it came in a path or a form: None, not Http404, when there is none, so
    each view chooses its answer (the theme's 404, or carrying on without the activity)."""
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 10:
        return None
    try:
        return activity_for(member, int(text))
    except Http404:
        return None


def page_path(activity_id: int, message: str = "") -> str:
    return f"/me/activities/{activity_id}/" + (f"?{urlencode({'m': message})}" if message else "")


def deadline(activity: ActivityPage):
    return activity.signup_deadline or activity.starts_at


def _locked(activity_id: int) -> ActivityPage:
    # of=self: only the activity's own table row; the page and item rows above it stay free for editors.
    return ActivityPage.objects.select_for_update(of=("self",)).get(pk=activity_id)


def _promote(activity: ActivityPage) -> int:
    """Confirm waiting members, earliest first, while there are places (call holding the activity's lock)."""
    waiting = SignUp.objects.filter(activity=activity, status=SignUp.WAITING).order_by("signed_up_at", "pk")
    if activity.capacity is not None:
        confirmed = SignUp.objects.filter(activity=activity, status=SignUp.CONFIRMED).count()
        waiting = waiting[: max(activity.capacity - confirmed, 0)]
    ids = list(waiting.values_list("pk", flat=True))
    return SignUp.objects.filter(pk__in=ids).update(status=SignUp.CONFIRMED) if ids else 0


def sign_up(member: Member, activity: ActivityPage) -> str:
    """Sign `member` up: confirmed while there are places, else waiting; returns a MESSAGES key."""
    if not activity.signup_required:
        return "no_signup"
    if timezone.now() >= deadline(activity):
        return "closed"
    with transaction.atomic():
        activity = _locked(activity.pk)
        now = timezone.now()  # taken under the lock: the waiting list's order is the order the lock was won
        _promote(activity)  # an editor may have raised the capacity since
        row = SignUp.objects.filter(activity=activity, member=member).first()
        if row and row.status != SignUp.CANCELLED:
            return "already"
        full = activity.capacity is not None and (
            SignUp.objects.filter(activity=activity, status=SignUp.CONFIRMED).count() >= activity.capacity
        )
        status = SignUp.WAITING if full else SignUp.CONFIRMED
        if row is None:
            SignUp.objects.create(activity=activity, member=member, status=status, signed_up_at=now)
        else:  # signing up again after cancelling: to the back of the queue
            SignUp.objects.filter(pk=row.pk).update(status=status, signed_up_at=now, attended_at=None)
    return status


def _release(member: Member, activity_id: int) -> bool:
    """Cancel `member`'s sign-up and let the first waiting member take the place; False when there was none."""
    with transaction.atomic():
        activity = _locked(activity_id)
        changed = SignUp.objects.filter(
            activity=activity, member=member, status__in=[SignUp.CONFIRMED, SignUp.WAITING]
        ).update(status=SignUp.CANCELLED)
        if changed:
            _promote(activity)
    return bool(changed)


def cancel(member: Member, activity: ActivityPage) -> str:
    """Cancel `member`'s sign-up; the first waiting member takes the place in the same transaction."""
    if timezone.now() >= activity.starts_at:
        return "started"
    return "cancelled" if _release(member, activity.pk) else "not_signed_up"


def cancel_all(member: Member) -> None:
    """Cancel the member's sign-ups of events not yet begun, as each cancel would (before the account goes:
    deleting the rows alone would free the places without confirming anyone waiting)."""
    ids = SignUp.objects.filter(
        member=member, status__in=[SignUp.CONFIRMED, SignUp.WAITING], activity__starts_at__gt=timezone.now()
    ).values_list("activity_id", flat=True)
    for activity_id in sorted(ids):  # one order of taking the locks, as any other cancel takes one
        _release(member, activity_id)


def promote_after_publish(sender, instance: ActivityPage, **kwargs) -> None:
    """A published capacity raise confirms waiting members at once, not only on the next sign-up or cancel."""
    if not instance.signup_required:
        return
    with transaction.atomic():
        _promote(_locked(instance.pk))


page_published.connect(promote_after_publish, sender=ActivityPage, dispatch_uid="activities-promote-after-publish")


@dataclass(frozen=True)
class SignUpState:
    """What the activity page's sign-up block shows a member."""

    status: str  # "" none (or cancelled), else a SignUp status
    position: int  # place in the waiting list (1 = next), 0 when not waiting
    confirmed: int
    capacity: int | None
    open: bool  # before the deadline
    cancellable: bool
    attended: bool

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.confirmed >= self.capacity

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)


def signup_state(member: Member, activity: ActivityPage) -> SignUpState:
    now = timezone.now()
    row = SignUp.objects.filter(activity=activity, member=member).first()
    status = row.status if row and row.status != SignUp.CANCELLED else ""
    position = 0
    if status == SignUp.WAITING:
        ahead = Q(signed_up_at__lt=row.signed_up_at) | Q(signed_up_at=row.signed_up_at, pk__lt=row.pk)
        position = 1 + SignUp.objects.filter(ahead, activity=activity, status=SignUp.WAITING).count()
    return SignUpState(
        status=status, position=position,
        confirmed=SignUp.objects.filter(activity=activity, status=SignUp.CONFIRMED).count(),
        capacity=activity.capacity, open=now < deadline(activity), cancellable=bool(status) and now < activity.starts_at,
        attended=bool(row and row.attended_at),
    )


def attendance_open(activity: ActivityPage, now=None) -> bool:
    """Whether members may enter the attendance code now: a lecture, from 2 h before its start to 2 h after its end."""
    now = now or timezone.now()
    return (
        activity.kind == ActivityPage.LECTURE and bool(activity.attendance_code)
        and activity.starts_at - ATTENDANCE_WINDOW <= now <= activity.ends_at + ATTENDANCE_WINDOW
    )


def _credit_event(member: Member, activity: ActivityPage) -> int:
    """Credit the event's running time as today's study of the activity (within the day's cap); returns the seconds.

    Written as members.learning.credit writes a beat, under the member's row lock, so a beat arriving meanwhile
    cannot push the day past STUDY_DAY_CAP_SECONDS."""
    now = timezone.now()
    today = timezone.localdate(now)
    state = Member.objects.select_for_update(of=("self",)).values("credited_day", "credited_day_seconds").get(pk=member.pk)
    before = state["credited_day_seconds"] if state["credited_day"] == today else 0
    seconds = min(int((activity.ends_at - activity.starts_at).total_seconds()), settings.STUDY_DAY_CAP_SECONDS - before)
    if seconds <= 0:
        return 0
    Member.objects.filter(pk=member.pk).update(credited_day=today, credited_day_seconds=before + seconds)
    # The member's row lock keeps another request of this member from creating the same row meanwhile.
    if not StudyRecord.objects.filter(member=member, item_id=activity.pk, day=today).update(
        seconds=F("seconds") + seconds, updated_at=now
    ):
        StudyRecord.objects.create(
            member=member, district_id=member.district_id, item_id=activity.pk, day=today, seconds=seconds, updated_at=now
        )
    grant_study(member, today, before + seconds)
    return seconds


def record_attendance(signup: SignUp) -> bool:
    """Mark `signup` as attended and credit the event as study, once; False when it was marked already."""
    with transaction.atomic():
        if not SignUp.objects.filter(pk=signup.pk, attended_at__isnull=True).update(attended_at=timezone.now()):
            return False
        _credit_event(signup.member, signup.activity)
    complete_if_done(signup.member, signup.activity)
    return True


def _wrong_codes_key(member: Member) -> str:
    # Wrong codes are counted like wrong passwords (LoginFailure rows, pruned by the login's window), keyed apart.
    return phone_digest(f"attend:{member.pk}")


def attend(member: Member, activity: ActivityPage, code: str) -> str:
    """Take the attendance code a member entered; returns a MESSAGES key."""
    if activity.kind != ActivityPage.LECTURE or not activity.attendance_code:
        return "no_attendance"
    if not attendance_open(activity):
        return "attend_closed"
    key = _wrong_codes_key(member)
    since = timezone.now() - timedelta(minutes=WRONG_CODE_MINUTES)
    if LoginFailure.objects.filter(phone_digest=key, at__gte=since).count() >= WRONG_CODE_LIMIT:
        return "too_many"
    entered = "".join(code.split())[:20]
    if not hmac.compare_digest(entered.encode(), activity.attendance_code.encode()):
        LoginFailure.objects.create(phone_digest=key, at=timezone.now())
        return "wrong_code"
    signup = SignUp.objects.filter(activity=activity, member=member).select_related("member", "activity").first()
    if signup is None and not activity.signup_required:  # an open lecture: the code alone admits
        signup, _ = SignUp.objects.get_or_create(activity=activity, member=member, defaults={"status": SignUp.CONFIRMED})
    if signup is not None and signup.status == SignUp.WAITING:
        return "waiting_list"
    if signup is None or signup.status != SignUp.CONFIRMED:  # a cancelled sign-up is no sign-up
        return "need_signup"
    return "attended" if record_attendance(signup) else "already_attended"


def _action(request: HttpRequest, activity_id: int, act) -> HttpResponse:
    """The shared frame of the three POSTs: same origin (besides the CSRF token), a member, a visible activity."""
    if not same_site_post(request):
        return refused()
    member = current_member(request)
    if member is None:
        return login_redirect(page_path(activity_id))
    activity = find_activity(member, activity_id)
    if activity is None:
        return theme_not_found()
    return HttpResponseRedirect(page_path(activity.pk, act(member, activity)), status=303)


@require_POST
def signup_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _action(request, activity_id, sign_up)


@require_POST
def cancel_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _action(request, activity_id, cancel)


@require_POST
def attend_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _action(request, activity_id, lambda member, activity: attend(member, activity, request.POST.get("code") or ""))


urlpatterns: list = [
    path("me/activities/<int:activity_id>/signup", signup_view, name="activity_signup"),
    path("me/activities/<int:activity_id>/cancel", cancel_view, name="activity_cancel"),
    path("me/activities/<int:activity_id>/attend", attend_view, name="activity_attend"),
]
