"""Which activity a visitor or member may act on: the one visibility rule (public), plus a member's own
district's district-only activities (members.district_content.readable_items). Every member action goes
through `activity_for`."""

from __future__ import annotations

from django.http import Http404

from content_models.visibility import public_pages
from members.district_content import readable_items
from members.models import Member

from .models import ActivityPage


def activity_for(member: Member | None, activity_id: int) -> ActivityPage:
    """The live activity `member` (None: an anonymous visitor) may see, else Http404."""
    ids = public_pages().filter(pk=activity_id).values("pk")
    if member is not None:
        ids = ids.union(readable_items(member.district_id).filter(pk=activity_id).values("pk"))
    activity = ActivityPage.objects.filter(pk__in=list(ids.values_list("pk", flat=True))).first()
    if activity is None:
        raise Http404("没有这个活动，或者您所在的县市区不能参加。")
    return activity


def visible_activities(member: Member | None):
    """Every live activity `member` may see, as a queryset (newest start first)."""
    ids = set(public_pages(ActivityPage.objects.all()).values_list("pk", flat=True))
    if member is not None:
        ids |= set(readable_items(member.district_id).values_list("pk", flat=True))
    return ActivityPage.objects.filter(pk__in=ids).order_by("-starts_at", "-pk")
