"""The one rule for what is public: every API listing, relation, media file and index entry passes it.

A page is public when it is live, has no view restriction on itself or an ancestor (password, login,
groups), and is not a district-only item. An image or document is public when it sits in a collection
with no view restriction (on itself or an ancestor) and a public page uses it. Nothing else decides.
"""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.models import Collection, CollectionViewRestriction, Page, ReferenceIndex


def public_pages(queryset: QuerySet | None = None) -> QuerySet:
    """The public pages of `queryset` (default: every page): live, unrestricted, not district-only."""
    from .pages import LibraryItemPage

    queryset = Page.objects.all() if queryset is None else queryset
    district_only = LibraryItemPage.objects.filter(district_only=True).values("pk")
    # An expiry that has passed hides the page even before the minute-by-minute scheduler unpublishes it.
    # (Both as pk subqueries: Wagtail's search accepts filters on indexed fields only, and pk is one.)
    expired = Page.objects.filter(expire_at__lte=timezone.now()).values("pk")
    return queryset.live().public().exclude(pk__in=district_only).exclude(pk__in=expired)


def public_page_ids(ids) -> set[int]:
    """Which of these page ids are public."""
    return set(public_pages(Page.objects.filter(pk__in=list(ids))).values_list("pk", flat=True))


def restricted_collections() -> QuerySet:
    """Collections with a view restriction on themselves or an ancestor."""
    roots = Collection.objects.filter(pk__in=CollectionViewRestriction.objects.values("collection"))
    paths = list(roots.values_list("path", flat=True))
    if not paths:
        return Collection.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Collection.objects.filter(condition)


def page_references_to(model) -> QuerySet:
    """Wagtail's reference index rows of pages that use an image or document of `model`, with page_id."""
    return ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        to_content_type=ContentType.objects.get_for_model(model),
    ).annotate(page_id=Cast("object_id", output_field=Page._meta.pk))


def pages_using(obj) -> list[int]:
    """Ids of the pages that use this image or document."""
    rows = page_references_to(type(obj)).filter(to_object_id=str(obj.pk)).values_list("page_id", flat=True)
    return sorted(set(rows))


def public_media(model) -> QuerySet:
    """Images or documents (`model`) a public page uses, outside restricted collections."""
    used = page_references_to(model).filter(page_id__in=public_pages().values("pk"))
    ids = used.annotate(media_id=Cast("to_object_id", output_field=model._meta.pk)).values("media_id")
    return model.objects.filter(pk__in=ids).exclude(collection__in=restricted_collections())


def is_public_media(obj) -> bool:
    return obj is not None and public_media(type(obj)).filter(pk=obj.pk).exists()


def restricted_media_version() -> str:
    """A digest of which images and documents sit in restricted collections.

    It changes when a collection gains or loses a restriction or a file moves in or out of one: things
    that make a file private without touching the pages that show it, so a builder must refetch them.
    """
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    restricted = restricted_collections()
    digest = hashlib.sha256()
    digest.update(",".join(sorted(restricted.values_list("path", flat=True))).encode())
    for model in (get_image_model(), get_document_model()):
        ids = model.objects.filter(collection__in=restricted).order_by("pk").values_list("pk", flat=True)
        digest.update(f"|{model._meta.label}:" .encode() + ",".join(map(str, ids)).encode())
    return digest.hexdigest()[:16]
