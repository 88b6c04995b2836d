"""Editor workspaces: the page tree, collections and groups that keep district editors in their district.

Layout: 资源库首页 → one 全市 section (city editors) + one section per district. A district's editor
group holds page permissions on its own section and image/document permissions on its own collection;
the city editors' group holds them on the home page and the root collection, so it can do everything.
District editors may not publish: their section carries the 市级审核 workflow, whose one task is approved
by the 市级审核 group — approval publishes.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
    Task,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from .column_list import ensure_columns
from .pages import HomePage, SectionPage
from .taxonomy import Column, District

CITY_EDITORS = "市级编辑"
CITY_REVIEWERS = "市级审核"
REVIEW_WORKFLOW = "市级审核"
CITY_SECTION_TITLE = "全市"
PAGE_ACTIONS = ("add", "change", "publish", "lock", "unlock")
# District editors submit for review instead of publishing; the city reviewers approve (and so publish).
DISTRICT_PAGE_ACTIONS = tuple(a for a in PAGE_ACTIONS if a != "publish")
REVIEWER_PAGE_ACTIONS = ("change", "publish", "lock", "unlock")
# Wagtail checks document rights against wagtaildocs.Document's permissions even with a custom document model.
MEDIA_ACTIONS = {"wagtailimages": ("add", "change", "choose"), "wagtaildocs": ("add", "change", "choose")}
# What Wagtail's own migrations name in English and editors then read in the admin (「Root」 in every breadcrumb,
# 「提交给Moderators approval」 on city pages, the groups list): English name → Chinese name.
WAGTAIL_DEFAULT_NAMES = {
    Page: ("title", {"Root": "根目录"}),
    Workflow: ("name", {"Moderators approval": "默认审核"}),
    Task: ("name", {"Moderators approval": "默认审核"}),
    Group: ("name", {"Moderators": "审核员", "Editors": "编辑"}),
}


def page_permissions(actions: tuple[str, ...] = PAGE_ACTIONS) -> list[Permission]:
    page_type = ContentType.objects.get_for_model(Page)
    return list(Permission.objects.filter(content_type=page_type, codename__in=[f"{a}_page" for a in actions]))


def media_permissions() -> list[Permission]:
    codenames = [f"{action}_image" for action in MEDIA_ACTIONS["wagtailimages"]]
    codenames += [f"{action}_document" for action in MEDIA_ACTIONS["wagtaildocs"]]
    return list(Permission.objects.filter(codename__in=codenames, content_type__app_label__in=list(MEDIA_ACTIONS)))


def ensure_home_page() -> HomePage:
    """The library's home page, made the default site's root (replacing Wagtail's welcome page)."""
    home = HomePage.objects.first()
    if home:
        return home
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="党史学习资源库", slug="library"))
    site = Site.objects.filter(is_default_site=True).first()
    if site:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "党史学习资源库"
        site.save()
        if old_root.specific_class is Page and not old_root.get_children().exists():
            old_root.delete()
    else:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="党史学习资源库")
    return home


def grant(group: Group, page: Page, collection: Collection, actions: tuple[str, ...] = PAGE_ACTIONS) -> None:
    """Exactly `actions` on the page (anything else the group had there is taken away), media on the collection."""
    wanted = page_permissions(actions)
    GroupPagePermission.objects.filter(group=group, page=page).exclude(permission__in=wanted).delete()
    for permission in wanted:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)
    for permission in media_permissions():
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))


def name_wagtail_defaults_in_chinese() -> None:
    """Rename WAGTAIL_DEFAULT_NAMES while they still carry Wagtail's English name (a name an editor chose stays)."""
    for model, (field, names) in WAGTAIL_DEFAULT_NAMES.items():
        for english, chinese in names.items():
            if not model.objects.filter(**{field: chinese}).exists():
                changes = {field: chinese, "draft_title": chinese} if model is Page else {field: chinese}
                model.objects.filter(**{field: english}).update(**changes)


@transaction.atomic
def ensure_city_workspace() -> SectionPage:
    """The columns, home page, city-wide section and city editors' group; returns the city section."""
    name_wagtail_defaults_in_chinese()
    ensure_columns(Column)
    home = ensure_home_page()
    section = SectionPage.objects.child_of(home).filter(district__isnull=True).first()
    if section is None:
        section = home.add_child(instance=SectionPage(title=CITY_SECTION_TITLE, slug="city"))
        section.save_revision().publish()
    group, _ = Group.objects.get_or_create(name=CITY_EDITORS)
    grant(group, home, Collection.get_first_root_node())
    snippet_codenames = [f"{a}_{m}" for a in ("add", "change") for m in ("column", "district")]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="content_models", codename__in=snippet_codenames))
    workflow = ensure_review_workflow()
    # Existing district sections (databases from before the review step) are brought in line on every migrate.
    district_sections = SectionPage.objects.filter(district__isnull=False)
    GroupPagePermission.objects.filter(page__in=district_sections, permission__codename="publish_page").exclude(
        group__name=CITY_EDITORS
    ).delete()
    for district_section in district_sections:
        WorkflowPage.objects.get_or_create(page=district_section, defaults={"workflow": workflow})
    return section


def ensure_review_workflow() -> Workflow:
    """The 市级审核 group and the one-step workflow in which it approves district editors' submissions."""
    reviewers, _ = Group.objects.get_or_create(name=CITY_REVIEWERS)
    # Wagtail's page views (the workflow actions among them) need a page permission; reviewers may also mend
    # and publish what they review, but not create.
    grant(reviewers, ensure_home_page(), Collection.get_first_root_node(), REVIEWER_PAGE_ACTIONS)
    task = GroupApprovalTask.objects.filter(name=REVIEW_WORKFLOW).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=REVIEW_WORKFLOW)
    task.groups.add(reviewers)
    workflow, _ = Workflow.objects.get_or_create(name=REVIEW_WORKFLOW)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    return workflow


@transaction.atomic
def ensure_district_workspace(district: District) -> SectionPage:
    """A district's section page, collection and editor group, created or renamed to match it."""
    ensure_city_workspace()
    home = HomePage.objects.get()
    section = SectionPage.objects.filter(district=district).first()
    if section is None:
        section = home.add_child(instance=SectionPage(title=district.name, slug=district.slug, district=district))
        section.save_revision().publish()
    elif section.title != district.name:
        section.title = district.name
        section.save_revision().publish()

    root_collection = Collection.get_first_root_node()
    collection = find_district_collection(district)
    if collection is None:
        collection = root_collection.add_child(name=district.name)
    elif collection.name != district.name:
        collection.name = district.name
        collection.save()

    group = Group.objects.filter(name=district.editor_group_name).first() or Group.objects.filter(
        page_permissions__page=section
    ).exclude(name=CITY_EDITORS).first()
    if group is None:
        group = Group.objects.create(name=district.editor_group_name)
    elif group.name != district.editor_group_name:
        group.name = district.editor_group_name
        group.save()
    grant(group, section, collection, DISTRICT_PAGE_ACTIONS)
    WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": ensure_review_workflow()})
    return section


def find_district_collection(district: District) -> Collection | None:
    """The collection the district's editors already have rights on, else the one named after it."""
    owned = (
        Collection.objects.filter(group_permissions__group__page_permissions__page__sectionpage__district=district)
        .exclude(depth=1)
        .first()
    )
    return owned or Collection.objects.filter(name=district.name, depth=2).first()


def editor_districts(user) -> QuerySet[District] | None:
    """The districts whose members and figures `user` may see in the admin: None for all (superusers, city
    editors), else the districts of the editor groups the user belongs to (possibly none)."""
    if user.is_superuser or user.groups.filter(name=CITY_EDITORS).exists():
        return None
    names = set(user.groups.values_list("name", flat=True))
    return District.objects.filter(pk__in=[d.pk for d in District.objects.all() if d.editor_group_name in names])
