"""What the public API says of reader pages: a document's `reading` only when its pages are done and the document is
public media (content_models.visibility decides), resolved in bulk for a whole API listing.

`reading` is {"document_id", "format", "page_count", "revision"} or None; an item's `reading_revision` is a digest
over its documents' revisions ("" when none), so a builder's cheap listing notices when processing finishes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from wagtail.documents import get_document_model

from content_models.visibility import public_media

from .models import DocumentProcessing


def public_readings(document_ids: Iterable[int | None]) -> dict[int, dict]:
    """{document id: reading} for those of these documents that are public and done (one query)."""
    ids = {pk for pk in document_ids if pk}
    if not ids:
        return {}
    public = public_media(get_document_model()).filter(pk__in=ids).values("pk")
    rows = DocumentProcessing.objects.filter(document_id__in=public, status=DocumentProcessing.DONE).values_list(
        "document_id", "format", "page_count", "revision"
    )
    return {pk: {"document_id": pk, "format": fmt, "page_count": count, "revision": revision} for pk, fmt, count, revision in rows}


def reading_of(owner, document_id: int | None) -> dict | None:
    """The reading of `owner`'s document (an e-book or a periodical issue): from the listing's bulk answer when
    resolve_readings() ran, else asked for on its own."""
    if not document_id:
        return None
    readings = getattr(owner, "_readings", None)
    if readings is None:
        readings = public_readings([document_id])
    return readings.get(document_id)


def reading_revision(page) -> str:
    ids = getattr(page, "_reading_document_ids", None)
    if ids is None:
        ids = page.reading_document_ids()
    readings = getattr(page, "_readings", None)
    if readings is None:
        readings = public_readings(ids)
    parts = [f"{pk}:{readings[pk]['revision']}" for pk in ids if pk in readings]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16] if parts else ""


def resolve_readings(pages: list) -> None:
    """For one API listing (up to 500 items): every item's documents and their readings in at most two queries,
    kept on each page and each prefetched periodical issue, so serialising asks nothing more."""
    from content_models.models import PeriodicalIssue, PeriodicalPage

    periodical_ids = [page.pk for page in pages if isinstance(page, PeriodicalPage)]
    issue_documents: dict[int, list[int]] = defaultdict(list)
    if periodical_ids:
        rows = PeriodicalIssue.objects.filter(page_id__in=periodical_ids, document__isnull=False)
        for page_id, document_id in rows.order_by("-year", "-number").values_list("page_id", "document_id"):
            issue_documents[page_id].append(document_id)
    for page in pages:
        page._reading_document_ids = issue_documents[page.pk] if isinstance(page, PeriodicalPage) else page.reading_document_ids()
    readings = public_readings(pk for page in pages for pk in page._reading_document_ids)
    for page in pages:
        page._readings = readings
        for issue in getattr(page, "_prefetched_objects_cache", {}).get("issues", []):
            issue._readings = readings
