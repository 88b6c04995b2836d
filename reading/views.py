"""The editors' 「逐页阅读」 report: each document's processing status, progress and error, and 「重新处理」."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from wagtail.documents import get_permission_policy

from .models import DocumentProcessing
from .processing import reader_format
from .tasks import queue_processing

PER_PAGE = 50
# Problems first, then work in progress, then the finished ones, newest first.
STATUS_ORDER = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(
        (DocumentProcessing.FAILED, DocumentProcessing.RUNNING, DocumentProcessing.WAITING, DocumentProcessing.DONE))),
    output_field=IntegerField(),
)


def user_can_see_report(user) -> bool:
    return get_permission_policy().user_has_any_permission(user, ["change"])


def editable_states(user):
    """The processing rows of documents this editor may change (a district editor: their own collections)."""
    documents = get_permission_policy().instances_user_has_any_permission_for(user, ["change"])
    return DocumentProcessing.objects.filter(document__in=documents.values("pk"))


def report(request: HttpRequest) -> HttpResponse:
    if not user_can_see_report(request.user):
        raise Http404
    states = editable_states(request.user).select_related("document")
    status = request.GET.get("status", "")
    if status in dict(DocumentProcessing.STATUSES):
        states = states.filter(status=status)
    page = Paginator(states.order_by(STATUS_ORDER, "-updated_at", "pk"), PER_PAGE).get_page(request.GET.get("p"))
    busy = any(state.status in (DocumentProcessing.WAITING, DocumentProcessing.RUNNING) for state in page)
    return render(request, "reading/report.html", {
        "page": page, "statuses": DocumentProcessing.STATUSES, "status": status, "busy": busy,
    })


@require_POST
def reprocess(request: HttpRequest, document_id: int) -> HttpResponse:
    state = editable_states(request.user).select_related("document").filter(document_id=document_id).first()
    fmt = reader_format(state.document) if state else None
    if fmt is None:
        raise Http404
    # A finished document is drawn again from scratch; a failed or interrupted one continues from its pages.
    queue_processing(state.document, fmt, force=state.status == DocumentProcessing.DONE)
    messages.success(request, f"《{state.document.title}》已重新排队处理，完成后网站自动更新。")
    return redirect("reading:report")
