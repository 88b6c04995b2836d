"""Which activity a visitor or member may act on: the one visibility rule (public), plus a member's own
district's district-only activities (members.district_content.readable_items). Every member action goes
through `activity_for`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from content_models.visibility import public_pages
from members.district_content import readable_items
from members.models import Member

from .models import ActivityPage


def activity_for(member: Member | None, activity_id: int) -> ActivityPage:
    """The live activity `member` (None: an anonymous visitor) may see, else Http404."""
    activity = visible_activities(member).filter(pk=activity_id).first()
    if activity is None:
        raise Http404("没有这个活动，或者您所在的县市区不能参加。")
    return activity


def visible_activities(member: Member | None) -> QuerySet[ActivityPage]:
    """Every live activity `member` may see, newest start first (one query, the rules as subqueries)."""
    seen = Q(pk__in=public_pages(ActivityPage.objects.all()).values("pk"))
    if member is not None:
        seen |= Q(pk__in=readable_items(member.district_id).values("pk"))
    return ActivityPage.objects.filter(seen).order_by("-starts_at", "-pk")
