"""The `reader_pages/` API endpoint: a public, processed document's reader pages, paged like the other listings.

``/api/v2/reader_pages/?document=<id>&offset=0&limit=500`` answers {"meta": {"total_count", "revision"}, "items":
[{"number", "title", "text", "image", "image_small"}]}. A document that is not public or not done answers an empty
listing (total_count 0), not an error: a builder that saw `reading` a moment earlier skips it instead of failing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404
from rest_framework.response import Response
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet

from .models import ReaderPage
from .public import public_readings


def image_dict(name: str, width: int, height: int, size: int) -> dict | None:
    return {"url": default_storage.url(name), "width": width, "height": height, "bytes": size} if name else None


def page_dict(page: ReaderPage) -> dict:
    return {
        "number": page.number,
        "title": page.title,
        "text": page.text,
        "image": image_dict(page.image, page.image_width, page.image_height, page.image_bytes),
        "image_small": image_dict(page.image_small, page.image_small_width, page.image_small_height, page.image_small_bytes),
    }


def int_parameter(request, name: str, default: int | None = None) -> int:
    value = request.GET.get(name)
    if value is None and default is not None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequestError(f"{name} must be a whole number, e.g. {name}=12") from None
    if number < 0:
        raise BadRequestError(f"{name} cannot be negative")
    return number


class ReaderPagesAPIViewSet(BaseAPIViewSet):
    model = ReaderPage
    name = "reader_pages"

    def get_queryset(self):
        return ReaderPage.objects.none()  # only listing_view answers, and only for a public, processed document

    def listing_view(self, request):
        document_id = int_parameter(request, "document")
        offset = int_parameter(request, "offset", 0)
        limit = int_parameter(request, "limit", 20)
        if limit > settings.WAGTAILAPI_LIMIT_MAX:
            raise BadRequestError(f"limit cannot be higher than {settings.WAGTAILAPI_LIMIT_MAX}")
        reading = public_readings([document_id]).get(document_id)
        if reading is None:
            return Response({"meta": {"total_count": 0, "revision": ""}, "items": []})
        pages = ReaderPage.objects.filter(document_id=document_id).order_by("number")
        return Response({
            "meta": {"total_count": pages.count(), "revision": reading["revision"]},
            "items": [page_dict(page) for page in pages[offset : offset + limit]],
        })

    def detail_view(self, request, pk):
        raise Http404("没有这个阅读页。")
