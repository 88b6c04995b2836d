"""Wire editors' actions to the queue: whatever changes what is public updates the index; dictionary and hot-word edits."""

from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from .tasks import enqueue_index_item, enqueue_rebuild, refresh_shown_hot_words


def _item_ids_under(page_id: int) -> list[int]:
    """The catalogue items at or below a page (a restriction on a section hides all of them)."""
    from content_models.models import LibraryItemPage

    path = Page.objects.filter(pk=page_id).values_list("path", flat=True).first()
    return list(LibraryItemPage.objects.filter(path__startswith=path).values_list("pk", flat=True)) if path else []


def item_changed(sender, instance, **kwargs) -> None:
    from content_models.models import LibraryItemPage

    if isinstance(instance, LibraryItemPage):
        enqueue_index_item(instance.pk)


def subtree_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A move, or a page view restriction added or removed: every item below may have changed."""
    if raw:
        return
    # A restriction names its page by page_id; a moved page is the instance itself.
    for page_id in _item_ids_under(getattr(instance, "page_id", instance.pk)):
        enqueue_index_item(page_id)


def collection_privacy_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        enqueue_rebuild(f"collection privacy changed: {instance}")


def media_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """An image or document changed (another collection, a new file) or is about to be deleted (its usage
    rows go with it): re-read the items that show it."""
    from content_models.visibility import pages_using

    if raw or instance.pk is None:
        return
    for page_id in pages_using(instance):
        enqueue_index_item(page_id)


def collection_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A collection saved (e.g. moved under a restricted one): its files may have become private."""
    if not raw:
        enqueue_rebuild(f"collection {instance} changed")


def section_published(sender, instance, **kwargs) -> None:
    """A section republished (its district may have changed): every item below is read again."""
    from content_models.models import SectionPage

    if isinstance(instance, SectionPage):
        subtree_changed(sender, instance)


def labels_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A column or district renamed: facet labels and the documents that carry the names are rebuilt."""
    if not raw:
        enqueue_rebuild(f"{sender._meta.verbose_name} {instance} changed")


def terms_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        enqueue_rebuild(f"dictionary term {instance.word!r} changed")


def hot_list_changed(sender, instance, raw=False, **kwargs) -> None:
    """An editor added, changed or removed a hot word on one of the lists: the public list follows at once
    (a block takes a word off every page), with a site rebuild when it changed."""
    if not raw:
        refresh_shown_hot_words(f"{sender._meta.verbose_name} {instance.word!r} changed")


def connect() -> None:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

    from content_models.models import Column, District, LibraryItemPage

    from .models import REVIEW_LISTS, SearchTerm

    page_published.connect(item_changed, dispatch_uid="search_index_published")
    page_unpublished.connect(item_changed, dispatch_uid="search_index_unpublished")
    post_page_move.connect(subtree_changed, dispatch_uid="search_index_moved")
    for model in LibraryItemPage.__subclasses__():
        post_delete.connect(item_changed, sender=model, dispatch_uid=f"search_index_deleted_{model.__name__}")
    post_save.connect(subtree_changed, sender=PageViewRestriction, dispatch_uid="search_index_page_privacy")
    post_delete.connect(subtree_changed, sender=PageViewRestriction, dispatch_uid="search_index_page_privacy_gone")
    post_save.connect(collection_privacy_changed, sender=CollectionViewRestriction, dispatch_uid="search_index_collection_privacy")
    post_delete.connect(collection_privacy_changed, sender=CollectionViewRestriction, dispatch_uid="search_index_collection_privacy_gone")
    for model in (get_image_model(), get_document_model()):
        post_save.connect(media_changed, sender=model, dispatch_uid=f"search_index_media_{model.__name__}")
        pre_delete.connect(media_changed, sender=model, dispatch_uid=f"search_index_media_deleted_{model.__name__}")
    post_save.connect(collection_changed, sender=Collection, dispatch_uid="search_index_collection")
    page_published.connect(section_published, dispatch_uid="search_index_section_published")
    for model in (Column, District):
        post_save.connect(labels_changed, sender=model, dispatch_uid=f"search_index_labels_{model.__name__}")
        post_delete.connect(labels_changed, sender=model, dispatch_uid=f"search_index_labels_gone_{model.__name__}")

    post_save.connect(terms_changed, sender=SearchTerm, dispatch_uid="search_term_saved")
    post_delete.connect(terms_changed, sender=SearchTerm, dispatch_uid="search_term_deleted")
    # The editors' lists only: hotwords.refresh writes through HotWord itself and must not set this off again.
    for model in REVIEW_LISTS:
        post_save.connect(hot_list_changed, sender=model, dispatch_uid=f"hot_saved_{model.__name__}")
        post_delete.connect(hot_list_changed, sender=model, dispatch_uid=f"hot_deleted_{model.__name__}")
