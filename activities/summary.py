"""What the member's archive (/me/) shows of their activities: today's check-in, the activities they are taking
part in with how much is done, and the status of each 心得 they submitted."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from members.models import Member

from .access import visible_activities
from .models import CheckIn, Reflection, SignUp
from .progress import progress
from .signups import page_path

UNDER_WAY_SHOWN = 5  # the archive names a few; /me/activities/ lists them all


def archive_activities(member: Member) -> dict:
    """{checked_in, under_way: [{title, url, done, total, completed}], reflections: [{title, url, form, status, comment}]}.

    An activity is "under way" for the member when it is not over and they signed up, sent a 心得 or it sets study
    tasks; activities they can no longer see (made private, moved to another district) are left out.
    """
    now = timezone.now()
    visible = visible_activities(member)
    engaged = visible.filter(ends_at__gte=now).filter(
        Q(pk__in=SignUp.objects.filter(member=member).exclude(status=SignUp.CANCELLED).values("activity_id"))
        | Q(pk__in=Reflection.objects.filter(member=member).values("activity_id"))
        | Q(tasks__isnull=False)
    ).distinct()[:UNDER_WAY_SHOWN]
    under_way = []
    for activity in engaged:
        current = progress(member, activity)
        met = current.requirements
        under_way.append({
            "title": activity.title, "url": page_path(activity.pk), "done": sum(met), "total": len(met),
            "completed": current.completed,
        })
    visible_ids = visible.values("pk")
    reflections = [
        {
            "title": row.activity.title, "url": page_path(row.activity_id) + "reflection/", "form": row.get_form_display(),
            "status": row.get_status_display(), "comment": row.comment if row.status == Reflection.RETURNED else "",
        }
        for row in Reflection.objects.filter(member=member, activity__in=visible_ids).select_related("activity")[:10]
    ]
    return {
        "checked_in": CheckIn.objects.filter(member=member, day=timezone.localdate()).exists(),
        "under_way": under_way,
        "reflections": reflections,
    }
