"""The admin's preview page: a draft's API record rendered by the static site's own theme."""

import json
import re

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import resolve, reverse
from django.views.decorators.http import require_GET

from content_models.models import Column
from site_builder.render import render_item_page

BANNER = '<p role="status" style="margin:0;padding:12px;background:#fff3cd;color:#3b2a00;font-size:18px">预览：这是尚未发布的草稿，读者还看不到。</p>'


@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    """Fetch the draft through the API's own preview endpoint (token checked there), then render it."""
    endpoint = resolve(reverse("wagtailapi:page_preview:listing"))
    api_response = endpoint.func(request, *endpoint.args, **endpoint.kwargs)
    if api_response.status_code != 200:
        return HttpResponseNotFound("预览链接无效或已过期，请回到后台重新点击“预览”。", content_type="text/plain; charset=utf-8")
    item = json.loads(api_response.render().content)
    columns = list(Column.objects.order_by("order").values("name", "slug"))
    html = render_item_page(item, columns=columns)
    html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + BANNER, html, count=1)
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
