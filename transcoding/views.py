"""The editors' 「视频音频转码」 report: each episode file's transcoding status, progress and error, and 「重新转码」."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from wagtail.documents import get_permission_policy

from .models import Transcode
from .tasks import request_transcodes

PER_PAGE = 50
# Problems first, then work in progress, then the finished ones, newest first.
STATUS_ORDER = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(
        (Transcode.FAILED, Transcode.RUNNING, Transcode.WAITING, Transcode.DONE))),
    output_field=IntegerField(),
)


def user_can_see_report(user) -> bool:
    return get_permission_policy().user_has_any_permission(user, ["change"])


def editable_transcodes(user):
    """The transcodes of documents this editor may change (a district editor: their own collections)."""
    documents = get_permission_policy().instances_user_has_any_permission_for(user, ["change"])
    return Transcode.objects.filter(document__in=documents.values("pk"))


def report(request: HttpRequest) -> HttpResponse:
    if not user_can_see_report(request.user):
        raise Http404
    rows = editable_transcodes(request.user).select_related("document")
    status = request.GET.get("status", "")
    if status in dict(Transcode.STATUSES):
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by(STATUS_ORDER, "-updated_at", "pk"), PER_PAGE).get_page(request.GET.get("p"))
    busy = any(row.status in (Transcode.WAITING, Transcode.RUNNING) for row in page)
    return render(request, "transcoding/report.html", {
        "page": page, "statuses": Transcode.STATUSES, "status": status, "busy": busy,
    })


@require_POST
def retranscode(request: HttpRequest, document_id: int) -> HttpResponse:
    row = editable_transcodes(request.user).select_related("document").filter(document_id=document_id).first()
    if row is None:
        raise Http404
    request_transcodes([row.document_id], force=True)
    messages.success(request, f"《{row.document.title}》已重新排队转码，完成后网站自动更新。")
    return redirect("transcoding:report")
