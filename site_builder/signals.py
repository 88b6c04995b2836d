"""Wagtail events that change what the public sees, each asking for a site rebuild."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from activities.models import Reflection
from content_models.models import Column, District

from .tasks import request_rebuild


@receiver(page_published, dispatch_uid="rebuild_on_publish")
def on_publish(sender, instance, **kwargs) -> None:
    request_rebuild(f"发布：{instance.title}")


@receiver(page_unpublished, dispatch_uid="rebuild_on_unpublish")
def on_unpublish(sender, instance, **kwargs) -> None:
    request_rebuild(f"取消发布：{instance.title}")


@receiver(post_page_move, dispatch_uid="rebuild_on_move")
def on_move(sender, instance, **kwargs) -> None:
    request_rebuild(f"移动：{instance.title}")


@receiver(post_delete, dispatch_uid="rebuild_on_delete")
def on_delete(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page) and instance.live:
        request_rebuild(f"删除：{instance.title}")


@receiver(post_save, sender=Column, dispatch_uid="rebuild_on_column")
@receiver(post_save, sender=District, dispatch_uid="rebuild_on_district")
@receiver(post_delete, sender=Column, dispatch_uid="rebuild_on_column_delete")
@receiver(post_delete, sender=District, dispatch_uid="rebuild_on_district_delete")
def on_taxonomy_change(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        request_rebuild(f"栏目或县市区变更：{instance}")


@receiver(post_save, sender=PageViewRestriction, dispatch_uid="rebuild_on_page_privacy")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="rebuild_on_page_privacy_removed")
@receiver(post_save, sender=CollectionViewRestriction, dispatch_uid="rebuild_on_collection_privacy")
@receiver(post_delete, sender=CollectionViewRestriction, dispatch_uid="rebuild_on_collection_privacy_removed")
def on_privacy_change(sender, instance, raw: bool = False, **kwargs) -> None:
    """A page or collection gained or lost a view restriction: what is public changed."""
    if not raw:
        request_rebuild(f"访问权限变更：{instance}")


@receiver(post_save, sender=Collection, dispatch_uid="rebuild_on_collection")
def on_collection_change(sender, instance, raw: bool = False, **kwargs) -> None:
    """A collection saved, e.g. moved under a restricted one: its files may have become private."""
    if not raw:
        request_rebuild(f"文件夹变更：{instance}")


def on_media_change(sender, instance, raw: bool = False, **kwargs) -> None:
    """An image or document was changed: moved to another collection, its file replaced."""
    if not raw:
        request_rebuild(f"图片或文档变更：{instance}")


def on_media_delete(sender, instance, **kwargs) -> None:
    """A deleted file leaves the pages that showed it without a new publish: only a full build sees that."""
    request_rebuild(f"图片或文档删除：{instance}", full=True)


@receiver(post_save, sender=Reflection, dispatch_uid="rebuild_on_reflection")
@receiver(post_delete, sender=Reflection, dispatch_uid="rebuild_on_reflection_delete")
def on_reflection_change(sender, instance: Reflection, raw: bool = False, **kwargs) -> None:
    """A reviewed 心得 may have been published on (or taken off) its activity's page, which no page publish tells.
    A member's new, unreviewed one is never shown, so it asks for nothing."""
    if not raw and (instance.published or instance.reviewed_at):
        request_rebuild(f"学习心得变更：活动 {instance.activity_id}")


def connect_media() -> None:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    for model in (get_image_model(), get_document_model()):
        post_save.connect(on_media_change, sender=model, dispatch_uid=f"rebuild_on_media_{model.__name__}")
        post_delete.connect(on_media_delete, sender=model, dispatch_uid=f"rebuild_on_media_deleted_{model.__name__}")


connect_media()
