"""Wagtail events that change what the public sees, each asking for a site rebuild."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

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
def on_taxonomy_change(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        request_rebuild(f"栏目或县市区变更：{instance}")
