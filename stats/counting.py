"""The anonymous page-view beacon: POST /api/stats/view counts a page load and a daily-unique visitor, nothing else.

No cookie is read or set. A visitor is SHA-256(day's random salt, address, User-Agent), kept for its own day only;
the address, User-Agent and path are never stored. Two statements on the hot path: an upsert of the day × item
view count and an insert-or-ignore of the visitor digest (the day's salt is cached per process).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cms.client_ip import client_ip
from content_models.pages import LibraryItemPage
from content_models.visibility import public_pages
from members.sessions import same_origin

from .models import NO_ITEM, DailySalt, ItemDay, VisitorMark

MAX_BODY = 512
_salt: tuple[date, str] | None = None  # (day, salt) of this process


def day_salt(day: date) -> str:
    """The day's salt, created by whichever process needs it first."""
    global _salt
    if _salt is None or _salt[0] != day:
        try:
            with transaction.atomic():
                row, _ = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})
        except IntegrityError:  # another process created it at the same moment
            row = DailySalt.objects.get(day=day)
        _salt = (day, row.salt)
    return _salt[1]


def _item(page) -> int:
    """The page id when it is a public catalogue item, else NO_ITEM (the visit still counts)."""
    if isinstance(page, bool) or not isinstance(page, int) or page <= 0:
        return NO_ITEM
    items = public_pages(LibraryItemPage.objects.filter(pk=page))
    return page if items.exists() else NO_ITEM


@csrf_exempt
@require_POST
def count_view(request: HttpRequest) -> HttpResponse:
    if not same_origin(request):
        return HttpResponse("来源不被接受。", status=403, content_type="text/plain; charset=utf-8")
    if request.headers.get("DNT") == "1":
        return HttpResponse(status=204)
    body = request.body[: MAX_BODY + 1]
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return HttpResponse("请求内容无效。", status=400, content_type="text/plain; charset=utf-8")
    day = timezone.localdate()
    item = _item(data.get("page"))
    table = ItemDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, item_id, views, study_seconds) VALUES (%s, %s, 1, 0) "
            f"ON CONFLICT (day, item_id) DO UPDATE SET views = {table}.views + 1",
            [connection.ops.adapt_datefield_value(day), item],
        )
    agent = request.headers.get("User-Agent", "")
    digest = hashlib.sha256("\n".join((day_salt(day), client_ip(request), agent)).encode()).hexdigest()
    VisitorMark.objects.bulk_create([VisitorMark(day=day, digest=digest)], ignore_conflicts=True)
    return HttpResponse(status=204)
