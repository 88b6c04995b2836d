"""Rich-text links and images as the API renders them: a file that is not public is never named.

Wagtail's own handlers expand every document link and image embed; these pass each through the
visibility rule first, so a news body cannot reveal a restricted document's file name or image.
"""

from __future__ import annotations

from wagtail.documents.rich_text import DocumentLinkHandler
from wagtail.images.rich_text import ImageEmbedHandler

from .visibility import public_media


def _public_only(model, objects: list) -> list:
    ids = [obj.pk for obj in objects if obj is not None]
    public = set(public_media(model).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [obj if obj is not None and obj.pk in public else None for obj in objects]


class PublicDocumentLinkHandler(DocumentLinkHandler):
    """A link to a private or missing document keeps its text and loses its address."""

    @classmethod
    def get_many(cls, attrs_list: list[dict]) -> list:
        return _public_only(cls.get_model(), list(super().get_many(attrs_list)))


class PublicImageEmbedHandler(ImageEmbedHandler):
    """An embedded private or missing image becomes an empty <img alt="">, as Wagtail does for a missing one."""

    @classmethod
    def get_many(cls, attrs_list: list[dict]) -> list:
        return _public_only(cls.get_model(), list(super().get_many(attrs_list)))
