"""The headless API router (/api/v2/): only live, public content, plus the preview endpoint."""

import json
from copy import copy

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.signing import BadSignature, SignatureExpired
from django.http import Http404, HttpRequest, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page
from wagtail_headless_preview.models import HeadlessPreviewMixin, PagePreview

from activities.models import ActivityPage
from content_models.models import Column, District, HomePage, LibraryItemPage, MapSitePage
from content_models.visibility import public_media, public_page_ids, public_pages, restricted_media_version
from reading.api import ReaderPagesAPIViewSet
from reading.public import resolve_readings


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Live public pages, plus two filters an incremental site build needs.

    ``changed_since=<ISO datetime>``: only pages last published after it. ``ids=1,2,3``: only those
    pages (at most ID_FILTER_MAX). With ``fields=_,last_published_at,district`` a builder lists every
    live public item cheaply and fetches with ``fields=*`` only the ones that changed.
    """

    ID_FILTER_MAX = 500
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["changed_since", "ids"])

    def get_base_queryset(self):
        return public_pages(super().get_base_queryset())

    def get_queryset(self):
        queryset = self.incremental_filters(super().get_queryset())
        if self.request.GET.get("fields", "").startswith("_"):
            # A cheap listing (e.g. ids and publish times): no bulk fetching of covers, episodes, issues.
            if issubclass(queryset.model, LibraryItemPage):
                queryset = queryset.select_related("district").prefetch_related(*queryset.model.listing_prefetch)
            if issubclass(queryset.model, MapSitePage):
                queryset = queryset.prefetch_related("related_links")
            return queryset
        # A builder pages through everything: fetch related rows per page of 500, not per item.
        if issubclass(queryset.model, LibraryItemPage):
            queryset = queryset.select_related("locale", "cover", "district").prefetch_related(
                "columns", "tags", "cover__renditions", *queryset.model.api_prefetch
            )
        return queryset

    def paginate_queryset(self, queryset):
        page = list(super().paginate_queryset(queryset))
        if issubclass(queryset.model, MapSitePage):
            MapSitePage.resolve_related(page)
        if issubclass(queryset.model, LibraryItemPage):
            resolve_readings(page)
        return page

    def incremental_filters(self, queryset):
        params = self.request.GET
        if "changed_since" in params:
            since = parse_datetime(params["changed_since"])
            if since is None:
                raise BadRequestError("changed_since must be an ISO 8601 date and time, e.g. 2024-05-01T08:00:00+08:00")
            if timezone.is_naive(since):
                since = timezone.make_aware(since, timezone.get_default_timezone())
            queryset = queryset.filter(last_published_at__gt=since)
        if "ids" in params:
            try:
                ids = [int(part) for part in params["ids"].split(",") if part]
            except ValueError:
                raise BadRequestError("ids must be page ids separated by commas, e.g. ids=3,5,8") from None
            if len(ids) > self.ID_FILTER_MAX:
                raise BadRequestError(f"at most {self.ID_FILTER_MAX} ids per request")
            queryset = queryset.filter(pk__in=ids)
        return queryset


class PublicMediaMixin:
    """Images and documents are listed only when they are public (see content_models.visibility)."""

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=public_media(self.model).values("pk"))


class PublicImagesAPIViewSet(PublicMediaMixin, ImagesAPIViewSet):
    pass


class PublicDocumentsAPIViewSet(PublicMediaMixin, DocumentsAPIViewSet):
    pass


class ColumnsAPIViewSet(BaseAPIViewSet):
    model = Column
    body_fields = BaseAPIViewSet.body_fields + ["name", "slug", "order", "description"]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + ["name", "slug", "order", "description"]
    name = "columns"

    def get_queryset(self):
        return Column.objects.order_by("order", "pk")


class DistrictsAPIViewSet(BaseAPIViewSet):
    model = District
    body_fields = BaseAPIViewSet.body_fields + ["name", "slug", "order", "latitude", "longitude"]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + ["name", "slug", "order", "latitude", "longitude"]
    name = "districts"

    def get_queryset(self):
        return District.objects.order_by("order", "pk")


class VisibilityAPIViewSet(BaseAPIViewSet):
    """``visibility/``: a digest a builder compares between builds; when it changes, it fetches everything.

    Pages that become private leave the listings by themselves; files made private by a collection
    restriction do not show in any page's publish time, hence this digest (no names, no ids).
    """

    model = Column  # the router needs a model; nothing of it is served
    name = "visibility"

    def listing_view(self, request):
        return Response({"meta": {"total_count": 0, "media_version": restricted_media_version()}, "items": []})


class FrontPageAPIViewSet(BaseAPIViewSet):
    """``frontpage/``: the banner, as one item: the newest pinned public activity, else the live home page's own
    (none when the editor left its title empty).

    The banner links the chosen resource only while that resource is public (its site_path and id, so a
    builder can check it against its own items), else the editor's other address, else nothing.
    """

    model = HomePage
    name = "frontpage"

    def listing_view(self, request):
        # The newest pinned public activity takes the banner until it ends (the scheduled-publishing check asks for
        # the rebuild then: content_models.tasks); district-only ones never qualify.
        pinned = (
            public_pages(ActivityPage.objects.filter(pinned=True, ends_at__gt=timezone.now()))
            .order_by("-starts_at", "-pk").first()
        )
        if pinned is not None:
            banner = {"title": pinned.title, "text": pinned.summary, "url": pinned.site_path, "page_id": pinned.pk}
            return Response({"meta": {"total_count": 1}, "items": [banner]})
        home = public_pages(HomePage.objects.all()).select_related("banner_page").first()
        if home is None or not home.banner_title:
            return Response({"meta": {"total_count": 0}, "items": []})
        page_id = home.banner_page_id if home.banner_page_id and public_page_ids([home.banner_page_id]) else None
        if home.banner_page_id:
            url = home.banner_page.specific.site_path if page_id else ""
        else:
            url = home.banner_url
        banner = {"title": home.banner_title, "text": home.banner_text, "url": url, "page_id": page_id}
        return Response({"meta": {"total_count": 1}, "items": [banner]})


class PagePreviewAPIViewSet(PagesAPIViewSet):
    """A draft's content for a valid, unexpired preview token; 404 for anything else.

    wagtail-headless-preview stores the draft (PagePreview) and signs the token with a timestamp,
    but never checks its age; this endpoint does (settings.PREVIEW_TOKEN_MAX_AGE seconds).
    """

    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["content_type", "token"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "preview": True}  # editors see their private files in a preview

    def listing_view(self, request):
        self.action = "detail_view"  # every field of the draft, as the detail view would give
        return Response(self.get_serializer(self.get_object()).data)

    def detail_view(self, request, pk):
        return self.listing_view(request)

    def get_object(self):
        token = self.request.GET.get("token", "")
        content_type = self.request.GET.get("content_type", "")
        try:
            HeadlessPreviewMixin.get_preview_signer().unsign(token, max_age=settings.PREVIEW_TOKEN_MAX_AGE)
            app_label, model = content_type.split(".")
            preview = PagePreview.objects.get(
                token=token, content_type=ContentType.objects.get_by_natural_key(app_label, model)
            )
        except (BadSignature, SignatureExpired, ValueError, ContentType.DoesNotExist, PagePreview.DoesNotExist):
            raise Http404("预览链接无效或已过期。") from None
        page = preview.as_page()
        page.pk = page.pk or 0
        return page


class PageRecordAPIViewSet(PublicPagesAPIViewSet):
    """Not routed: the pages endpoint's detail record of one page its in-process caller names (page_record)."""

    def __init__(self, page: Page, extra_context: dict, **kwargs):
        super().__init__(**kwargs)
        self.page, self.extra_context = page, extra_context

    def get_object(self):
        return self.page

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self.extra_context}


def page_record(request: HttpRequest, page: Page, **context) -> dict:
    """What /api/v2/pages/<id>/ answers for `page` (as JSON data), also for a page the public API hides.

    For a caller that has already decided the requester may read it (members.district_content: a district-only
    item for its district's members); `context` reaches the serializers (e.g. `member`, whose files it may name).
    The requester's query string is left out, so nobody can reshape the record with ?fields=….
    """
    api_request = copy(request)
    api_request.GET = QueryDict()
    api_request.wagtailapi_router = api_router
    view = PageRecordAPIViewSet(page.specific, context, request=Request(api_request), action="detail_view", format_kwarg=None, kwargs={})
    return json.loads(JSONRenderer().render(view.get_serializer(view.page).data))


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("images", PublicImagesAPIViewSet)
api_router.register_endpoint("documents", PublicDocumentsAPIViewSet)
api_router.register_endpoint("columns", ColumnsAPIViewSet)
api_router.register_endpoint("districts", DistrictsAPIViewSet)
api_router.register_endpoint("frontpage", FrontPageAPIViewSet)
api_router.register_endpoint("page_preview", PagePreviewAPIViewSet)
api_router.register_endpoint("visibility", VisibilityAPIViewSet)
api_router.register_endpoint("reader_pages", ReaderPagesAPIViewSet)
