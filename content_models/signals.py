"""Keep each district's workspace (section page, collection, editor group) in step with the district."""

from django.db import transaction
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver
from wagtail.models import Page, Revision
from wagtail.signals import page_published, post_page_move

from .taxonomy import District


@receiver(post_save, sender=District, dispatch_uid="district_workspace")
def create_district_workspace(sender, instance: District, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from .workspaces import ensure_district_workspace

    ensure_district_workspace(instance)


@receiver(post_migrate, dispatch_uid="city_workspace")
def create_city_workspace(sender, app_config=None, **kwargs) -> None:
    """After migrating, make sure the home page, the 全市 section, the city editors and every district's workspace
    exist with the permissions this version grants (an upgrade corrects groups made by an older one)."""
    if app_config is None or app_config.name != "content_models":
        return
    from .taxonomy import District
    from .workspaces import ensure_city_workspace, ensure_district_workspace

    ensure_city_workspace()
    for district in District.objects.all():
        ensure_district_workspace(district)


@receiver(post_save, dispatch_uid="schedule_check")
def schedule_check_needed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Something was scheduled (a revision to go live, a page to expire): make sure the minute-by-minute
    check is waiting in the queue, so it happens with nobody at the keyboard."""
    if raw or not isinstance(instance, Page | Revision):
        return
    if getattr(instance, "approved_go_live_at", None) or getattr(instance, "expire_at", None):
        from .tasks import ensure_publish_scheduler

        transaction.on_commit(ensure_publish_scheduler)


@receiver(post_page_move, dispatch_uid="district_follows_move")
@receiver(page_published, dispatch_uid="district_follows_section")
def district_follows_tree(sender, instance: Page, **kwargs) -> None:
    """Wagtail's move does not call save(), and a section's new district does not save its items:
    re-derive the district of the moved or republished page's items from the tree."""
    from .pages import LibraryItemPage, SectionPage

    if kwargs.get("signal") is page_published and not isinstance(instance, SectionPage):
        return

    moved_path = Page.objects.filter(pk=instance.pk).values_list("path", flat=True).first() or instance.path
    for item in LibraryItemPage.objects.filter(path__startswith=moved_path):
        district_id = item.district_from_tree()
        if item.district_id != district_id:
            LibraryItemPage.objects.filter(pk=item.pk).update(district_id=district_id)
