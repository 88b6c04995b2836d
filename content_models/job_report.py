"""The editors' report of a background job on documents (逐页阅读, 视频音频转码): the rows an editor may change,
problems first, and the button that queues one again."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem
from wagtail.documents import get_permission_policy

from .jobs import DocumentJob

PER_PAGE = 50


# Problems first, then work in progress, then the finished ones, newest first.
STATUS_ORDER = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(
        (DocumentJob.FAILED, DocumentJob.RUNNING, DocumentJob.WAITING, DocumentJob.DONE))),
    output_field=IntegerField(),
)


def user_can_see_report(user) -> bool:
    return get_permission_policy().user_has_any_permission(user, ["change"])


class JobReport:
    """One report page (URL name `url_name`) and its 「重新…」 button (URL name `requeue_url`): `requeue(row)` queues
    the row's document again (False: it cannot be, the button answers 404); `queued` is the editor's message then,
    with {title} for the document's title."""

    def __init__(self, model: type[DocumentJob], *, title: str, icon: str, template: str, url_name: str,
                 requeue_url: str, requeue: Callable[[DocumentJob], bool], queued: str) -> None:
        self.model, self.title, self.icon, self.template, self.url_name = model, title, icon, template, url_name
        self.requeue_url, self.requeue, self.queued = requeue_url, requeue, queued

    def rows(self, user) -> QuerySet:
        """The rows of documents this editor may change (a district editor: their own collections)."""
        documents = get_permission_policy().instances_user_has_any_permission_for(user, ["change"])
        return self.model.objects.filter(document__in=documents.values("pk")).select_related("document")

    def report(self, request: HttpRequest) -> HttpResponse:
        if not user_can_see_report(request.user):
            raise Http404
        rows = self.rows(request.user)
        status = request.GET.get("status", "")
        if status in dict(self.model.STATUSES):
            rows = rows.filter(status=status)
        page = Paginator(rows.order_by(STATUS_ORDER, "-updated_at", "pk"), PER_PAGE).get_page(request.GET.get("p"))
        return render(request, self.template, {
            "page": page, "statuses": self.model.STATUSES, "status": status, "busy": any(row.busy for row in page),
            "report_title": self.title, "report_icon": self.icon, "requeue_url": self.requeue_url,
        })

    @method_decorator(require_POST)
    def requeue_one(self, request: HttpRequest, document_id: int) -> HttpResponse:
        row = self.rows(request.user).filter(document_id=document_id).first()
        if row is None or not self.requeue(row):
            raise Http404
        messages.success(request, self.queued.format(title=row.document.title))
        return redirect(self.url_name)

    def menu_item(self, order: int) -> MenuItem:
        return ReportMenuItem(self.title, reverse(self.url_name), icon_name=self.icon, order=order)


class ReportMenuItem(MenuItem):
    """Shown to editors who may change documents, as the report itself."""

    def is_shown(self, request) -> bool:
        return user_can_see_report(request.user)
