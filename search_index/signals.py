"""Wire editors' actions to the queue: publish/unpublish/delete of an item, dictionary and hot-word edits."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from .tasks import enqueue_index_item, enqueue_rebuild, request_site_rebuild


def _is_item(instance) -> bool:
    from content_models.models import LibraryItemPage

    return isinstance(instance, LibraryItemPage)


def item_changed(sender, instance, **kwargs) -> None:
    if _is_item(instance):
        enqueue_index_item(instance.pk)


def terms_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        enqueue_rebuild(f"dictionary term {instance.word!r} changed")


def hot_list_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        request_site_rebuild("hot-word list changed")


def connect() -> None:
    from content_models.models import LibraryItemPage

    from .models import HotWordBlock, HotWordPin, SearchTerm

    page_published.connect(item_changed, dispatch_uid="search_index_published")
    page_unpublished.connect(item_changed, dispatch_uid="search_index_unpublished")
    for model in LibraryItemPage.__subclasses__():
        post_delete.connect(item_changed, sender=model, dispatch_uid=f"search_index_deleted_{model.__name__}")

    post_save.connect(terms_changed, sender=SearchTerm, dispatch_uid="search_term_saved")
    post_delete.connect(terms_changed, sender=SearchTerm, dispatch_uid="search_term_deleted")
    for model in (HotWordPin, HotWordBlock):
        post_save.connect(hot_list_changed, sender=model, dispatch_uid=f"hot_saved_{model.__name__}")
        post_delete.connect(hot_list_changed, sender=model, dispatch_uid=f"hot_deleted_{model.__name__}")
