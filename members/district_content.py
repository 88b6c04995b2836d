"""District-only items for their own district's members: the list, one item in the site's theme, and a search.

These items never reach the public site (content_models.visibility); here a logged-in member reads those of
their own district on dynamic pages. Anyone else gets the login form (anonymous) or the theme's 404.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.views.decorators.http import require_GET
from wagtail.models import Page

from cms.api import page_record
from content_models.models import Column, LibraryItemPage
from content_models.serializers import COVER_FILTERS
from content_models.visibility import public_page_ids, restricted_collections
from search_index.analysis import analyze, get_dictionary, normalize_text, query_words
from search_index.query import MAX_QUERY_CHARS
from search_index.tasks import editor_terms
from search_index.views import TYPE_LABELS, render
from site_builder.pages import SiteConfig
from site_builder.render import render_item_page

from .accounts import login_redirect, theme_not_found
from .sessions import current_member

PER_PAGE = 20
MAX_RESULTS = 50
PREFIX = "/me/district/"
BANNER = '<p class="banner" role="status"><strong>本内容仅供{district}社区党员学习</strong>，请勿转发。</p>'
SITE_PATH = re.compile(r'href="(/[a-z]+/(\d+)/)')  # an item's own page on the static site: /news/12/, /books/7/


def readable_items(district_id: int | None) -> QuerySet[LibraryItemPage]:
    """The district-only items a member of this district may read: live, unexpired, no view restriction."""
    expired = Page.objects.filter(expire_at__lte=timezone.now()).values("pk")
    return (
        LibraryItemPage.objects.live().public()
        .filter(district_only=True, district_id=district_id)
        .exclude(pk__in=expired)
    )


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _cover(page: LibraryItemPage) -> dict | None:
    """The listing's small cover (the API's 160-wide rendition), unless the image sits in a restricted collection."""
    image = page.cover
    if image is None or restricted_collections().filter(pk=image.collection_id).exists():
        return None
    rendition = image.get_rendition(COVER_FILTERS["w160"])
    return {"src": rendition.url, "srcset": "", "width": rendition.width, "height": rendition.height, "alt": ""}


def _entry(page: LibraryItemPage) -> dict:
    return {
        "url": f"{PREFIX}{page.pk}/",
        "title": page.title,
        "kind": TYPE_LABELS.get(page.item_type, "资源"),
        "date": (page.first_published_at or page.last_published_at).astimezone().date().isoformat(),
        "summary": page.summary,
        "cover": _cover(page),
    }


@require_GET
def district_list(request: HttpRequest) -> HttpResponse:
    """/me/district/: the member's district's district-only items, newest first, PER_PAGE a page."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.get_full_path())
    items = readable_items(member.district_id).select_related("cover").order_by("-first_published_at", "-pk")
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": f"{member.district.name}专享内容",
        "district": member.district.name,
        "entries": [_entry(item) for item in page.object_list.specific()],
        "page": page,
    }
    return _private(render("me_district.html", context, max_age=None))


def _own_links(item: dict, readable: set[int]) -> dict:
    """The record with its links into the static site pointed where they lead for a member.

    The item's page and those of other readable items of the district → /me/district/<id>/; an episode → its
    playable file, an issue → its document (their static pages do not exist for district-only items)."""
    item = dict(item, site_path=f"{PREFIX}{item['id']}/")
    if item.get("body"):
        item["body"] = SITE_PATH.sub(
            lambda m: f'href="{PREFIX}{m[2]}/' if int(m[2]) in readable else m[0], item["body"]
        )
    if item.get("episodes"):
        item["episodes"] = [dict(e, site_path=_episode_file(e) or item["site_path"]) for e in item["episodes"]]
    if item.get("issues"):
        item["issues"] = [dict(i, site_path=(i.get("document") or {}).get("url") or i.get("url") or item["site_path"]) for i in item["issues"]]
    return item


def _episode_file(episode: dict) -> str:
    media = episode.get("media") or {}
    for rendition in (media.get("low"), media.get("audio")):
        if rendition:
            return rendition["url"]
    uploaded = episode.get("video_file") or episode.get("audio_file") or {}
    return uploaded.get("url") or episode.get("video_url") or episode.get("audio_url") or ""


@require_GET
def district_item(request: HttpRequest, item_id: int) -> HttpResponse:
    """/me/district/<id>/: one district-only item in the static pages' theme, with a banner naming the district."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.get_full_path())
    page = readable_items(member.district_id).filter(pk=item_id).first()
    if page is None:
        if public_page_ids([item_id]):  # a public item: its page is on the static site
            return HttpResponseRedirect(quote(Page.objects.get(pk=item_id).specific.site_path))
        return theme_not_found()
    readable = set(readable_items(member.district_id).values_list("pk", flat=True))
    item = _own_links(page_record(request, page, member=member), readable)
    columns = list(Column.objects.order_by("order").values("name", "slug"))
    html = render_item_page(item, SiteConfig(site_url="", search_url="/search/"), columns=columns)  # one origin: relative
    banner = BANNER.format(district=escape(member.district.name))
    html = re.sub(r"(<main[^>]*>)", lambda m: m.group(1) + banner, html, count=1)
    return _private(HttpResponse(html, content_type="text/html; charset=utf-8"))


@lru_cache(maxsize=2048)
def _words(page_id: int, revision_id: int | None, dictionary_version: str) -> tuple[frozenset[str], str]:
    """The item's words (jieba, search mode) and normalised text; keyed by its live revision, so an edit re-reads it."""
    page = LibraryItemPage.objects.get(pk=page_id).specific
    parts = [page.title, page.summary, " ".join(tag.name for tag in page.tags.all()), strip_tags(getattr(page, "body", "") or "")]
    text = "\n".join(part for part in parts if part)
    dictionary = get_dictionary(editor_terms())
    return frozenset(word.text for word in analyze(text, dictionary, search_mode=True)), normalize_text(text)


def find(district_id: int | None, q: str) -> list[LibraryItemPage]:
    """The readable items of the district that hold every word of `q` (or `q` itself), title hits first, newest next."""
    text = normalize_text(q).strip()[:MAX_QUERY_CHARS]
    if not text:
        return []
    dictionary = get_dictionary(editor_terms())
    words = query_words(text, dictionary)
    found = []
    for page in readable_items(district_id).order_by("-first_published_at", "-pk").specific():
        item_words, item_text = _words(page.pk, page.live_revision_id, dictionary.version)
        if text in item_text or (words and all(word in item_words for word in words)):
            in_title = text in normalize_text(page.title)
            found.append((not in_title, page))
    return [page for _miss, page in sorted(found, key=lambda pair: pair[0])][:MAX_RESULTS]


@require_GET
def district_search(request: HttpRequest) -> HttpResponse:
    """/me/search/?q=: the member's district's district-only items matching q, each linking /me/district/<id>/."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.get_full_path())
    q = (request.GET.get("q") or "")[:400].strip()[:MAX_QUERY_CHARS]
    pages = find(member.district_id, q) if q else []
    context = {
        "title": f"搜索{member.district.name}专享内容" + (f"：{q}" if q else ""),
        "district": member.district.name,
        "q": q,
        "entries": [_entry(page) for page in pages],
        "public_url": "/search/?" + urlencode({"q": q}),
    }
    return _private(render("me_search.html", context, max_age=None))
