"""Organisers' review of 学习心得 in the Wagtail admin: accept with points, return with a comment, publish with consent.

City editors review every activity's 心得, a district editor those of their own district's activities — the same
rule by which activities.reflections serves the photos and recordings to them. Publishing (only what the member
agreed to show, once accepted) saves the row, and site_builder.signals asks for a rebuild, so the activity's
static page shows it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from content_models.workspaces import editor_districts
from members.admin_views import may_manage_members
from members.models import PointAward, PointRule
from members.points import grant

from .models import ActivityPage, Reflection
from .progress import complete_if_done
from .reflections import FILE_URL

PER_PAGE = 30
COMMENT_MAX = Reflection._meta.get_field("comment").max_length


def reviewable(user) -> QuerySet[Reflection]:
    """The 心得 `user` may review: every one for city editors, else those of their districts' activities."""
    rows = Reflection.objects.select_related("activity", "member", "member__district", "member__community")
    districts = editor_districts(user)
    return rows if districts is None else rows.filter(activity__district__in=districts)


def _allowed(user) -> None:
    if not may_manage_members(user):
        raise PermissionDenied


@require_http_methods(["GET", "HEAD"])
def review_list(request: HttpRequest) -> HttpResponse:
    """「心得审核」: the submissions, waiting ones first by default, filtered by activity and status."""
    _allowed(request.user)
    rows = reviewable(request.user)
    activities = ActivityPage.objects.filter(pk__in=rows.values("activity")).order_by("-starts_at", "-pk")
    status = request.GET.get("status", Reflection.SUBMITTED)  # "all" for every status
    activity_id = request.GET.get("activity", "")
    if status in dict(Reflection.STATUSES):
        rows = rows.filter(status=status)
    if activity_id.isdigit():
        rows = rows.filter(activity_id=int(activity_id))
    page = Paginator(rows.order_by("-submitted_at", "-pk"), PER_PAGE).get_page(request.GET.get("p"))
    query = urlencode({"status": status, "activity": activity_id})
    return TemplateResponse(request, "activities/admin/review_list.html", {
        "title": "心得审核", "page": page, "activities": activities, "statuses": Reflection.STATUSES,
        "status": status, "activity_id": activity_id, "query": query,
    })


def _reflection(request: HttpRequest, reflection_id: int) -> Reflection:
    _allowed(request.user)
    return get_object_or_404(reviewable(request.user), pk=reflection_id)


@require_http_methods(["GET", "HEAD", "POST"])
def review_detail(request: HttpRequest, reflection_id: int) -> HttpResponse:
    """One 心得: its text, photos and recording, and the actions 采纳 / 退回 / 在活动页展示 / 取消展示."""
    reflection = _reflection(request, reflection_id)
    if request.method == "POST":
        _act(request, reflection, request.POST.get("action", ""))
        return HttpResponseRedirect(reverse("reflection_review_detail", args=[reflection.pk]))
    member = reflection.member
    points = PointAward.objects.filter(member=member, key=f"reflection:{reflection.activity_id}").values_list("points", flat=True).first()
    return TemplateResponse(request, "activities/admin/review_detail.html", {
        "title": f"心得审核：{member.name}", "reflection": reflection, "member": member, "points": points,
        "files": [{"url": FILE_URL.format(f.pk), "content_type": f.content_type, "duration": f.duration_seconds}
                  for f in reflection.files.all()],
        "may_publish": reflection.consent_to_publish and reflection.status == Reflection.ACCEPTED,
        "comment_max": COMMENT_MAX,
        "back_url": f"{reverse('reflection_review')}?{urlencode({'activity': reflection.activity_id, 'status': Reflection.SUBMITTED})}",
    })


def _act(request: HttpRequest, reflection: Reflection, action: str) -> None:
    """Carry out one action under the row's lock, so two organisers clicking at once act once."""
    comment = (request.POST.get("comment") or "").strip()
    with transaction.atomic():
        reflection = Reflection.objects.select_for_update().select_related("activity", "member").get(pk=reflection.pk)
        waiting = reflection.status == Reflection.SUBMITTED
        if action == "accept" and waiting:
            _review(reflection, request.user, Reflection.ACCEPTED, comment[:COMMENT_MAX])
            awarded = grant(reflection.member, PointRule.REFLECTION, f"reflection:{reflection.activity_id}", timezone.localdate())
            message = f"已采纳{reflection.member.name}的心得" + (f"，积分 +{awarded}。" if awarded else "。")
        elif action == "return" and waiting:
            if not comment:
                messages.error(request, "退回时请写明意见，告诉党员怎样修改。")
                return
            _review(reflection, request.user, Reflection.RETURNED, comment[:COMMENT_MAX])
            message = f"已退回{reflection.member.name}的心得，党员可以修改后重新提交。"
        elif action in ("publish", "unpublish") and reflection.consent_to_publish and reflection.status == Reflection.ACCEPTED:
            reflection.published = action == "publish"
            reflection.save(update_fields=["published"])  # site_builder.signals asks for the rebuild of its page
            message = "已在活动页展示，网站几分钟内更新。" if reflection.published else "已取消展示，网站几分钟内更新。"
        else:
            messages.warning(request, "这份心得的状态已经变了，没有做任何改动。请看下面的最新状态。")
            return
    if action == "accept":
        complete_if_done(reflection.member, reflection.activity)
    messages.success(request, message)


def _review(reflection: Reflection, user, status: str, comment: str) -> None:
    reflection.status, reflection.comment = status, comment
    reflection.reviewed_at, reflection.reviewed_by = timezone.now(), user
    reflection.save(update_fields=["status", "comment", "reviewed_at", "reviewed_by"])


class ReviewMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return may_manage_members(request.user)


@hooks.register("register_admin_urls")
def register_review_urls() -> list:
    return [
        path("reflections/", review_list, name="reflection_review"),
        path("reflections/<int:reflection_id>/", review_detail, name="reflection_review_detail"),
    ]


@hooks.register("register_admin_menu_item")
def register_review_menu_item() -> MenuItem:
    return ReviewMenuItem("心得审核", reverse("reflection_review"), icon_name="doc-full", order=250)

