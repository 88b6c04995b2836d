"""POST /api/learning/beats: the static pages' study beats, checked for origin, member and shape, then credited.

The answer is 204 whether or not the beat was credited (a page cannot tell, and nothing needs to); refusals that a
page or a developer can act on get a status and a Chinese message.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .learning import Beat, credit
from .sessions import current_member, same_origin

MAX_BODY_BYTES = 1024
LARGEST = 2**31 - 1  # page ids and positions are 32-bit integers in the database
CONTENT_TYPES = {"text/plain", "application/json"}  # what navigator.sendBeacon sends for a string or a JSON Blob
NO_STORE = {"Cache-Control": "private, no-store"}


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=NO_STORE, json_dumps_params={"ensure_ascii": False})


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_beat(body: bytes) -> Beat:
    """The beat in a request body; ValueError with a Chinese message when it is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("学习记录的格式不对：应为 JSON。") from None
    if not isinstance(data, dict):
        raise ValueError("学习记录的格式不对：应为 JSON 对象。")
    page, seconds, position = data.get("page"), data.get("seconds"), data.get("position")
    if not _whole_number(page) or not 0 < page <= LARGEST:
        raise ValueError("学习记录缺少资源编号（page）。")
    if not _whole_number(seconds):
        raise ValueError("学习记录缺少学习秒数（seconds）。")
    if position is not None and (not _whole_number(position) or not 0 <= position <= LARGEST):
        raise ValueError("学习位置（position）应为不小于 0 的整数。")
    try:
        beat = uuid.UUID(str(data.get("beat", "")))
    except ValueError:
        raise ValueError("学习记录缺少有效的编号（beat）。") from None
    return Beat(item_id=page, seconds=seconds, beat=beat, position=position)


@csrf_exempt  # sendBeacon cannot send the CSRF token: same_origin() checks Origin instead
@require_POST
def beats(request: HttpRequest) -> HttpResponse:
    if not same_origin(request):
        return _refuse(403, "请从本站页面发送学习记录。")
    member = current_member(request)
    if member is None:
        return _refuse(401, "请先登录后再记录学习。")
    if request.content_type not in CONTENT_TYPES:
        return _refuse(400, "学习记录的格式不对：应为 JSON。")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES or len(body := request.read(MAX_BODY_BYTES + 1)) > MAX_BODY_BYTES:
        return _refuse(400, "学习记录太长（不能超过 1 KB）。")
    try:
        beat = parse_beat(body)
    except ValueError as error:
        return _refuse(400, str(error))
    credit(member, beat)
    return HttpResponse(status=204, headers=NO_STORE)
