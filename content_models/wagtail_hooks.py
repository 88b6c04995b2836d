"""Admin registration: columns and districts as snippets editors manage; the bulk import/export views."""

from django.urls import include, path, reverse
from django.utils.text import capfirst
from wagtail import hooks
from wagtail.admin.forms.workflows import WorkflowPageForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.pages.search import SearchView
from wagtail.models import Page, Site
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.sites.views import IndexView as SiteIndexView
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_urls
from .pages import LibraryItemPage
from .public_rich_text import PublicDocumentLinkHandler, PublicImageEmbedHandler
from .taxonomy import Column, District
from .views import user_can_import
from .visibility import public_pages


class ColumnViewSet(SnippetViewSet):
    model = Column
    icon = "list-ul"
    menu_label = "栏目"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["name", "slug", "order"]


class DistrictViewSet(SnippetViewSet):
    model = District
    icon = "site"
    menu_label = "县市区"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "slug", "order"]


register_snippet(ColumnViewSet)
register_snippet(DistrictViewSet)

# Where Wagtail 8 shows English no translation reaches, because it names a thing from code:
# the page search names no model, so its results read 「共 2 个None」 (they are pages);
SearchView.verbose_name = Page._meta.verbose_name
SearchView.verbose_name_plural = Page._meta.verbose_name_plural
# the sites list titles three columns from field names (「Port」「Site name」「Root page」), not their verbose names;
for column in SiteIndexView.columns:
    if column.name in ("port", "site_name", "root_page"):
        column.label = capfirst(Site._meta.get_field(column.name).verbose_name)
# the workflow form's page field has no label (「Page」).
WorkflowPageForm.base_fields["page"].label = capfirst(Page._meta.verbose_name)


@hooks.register("register_admin_urls")
def register_catalogue_import_urls():
    return [path("catalogue/", include(admin_urls, namespace="catalogue_import"))]


class CatalogueImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_can_import(request.user)


@hooks.register("register_admin_menu_item")
def register_catalogue_import_menu_item():
    return CatalogueImportMenuItem("批量导入导出", reverse("catalogue_import:index"), icon_name="table", order=220)


@hooks.register("construct_page_chooser_queryset")
def hide_other_districts_private_items(pages, request):
    """A district editor's page chooser (browse and search) offers only items that are public or theirs to edit:
    never another district's drafts, restricted or district-only items."""
    if request.user.is_superuser:
        return pages
    editable = PagePermissionPolicy().instances_user_has_any_permission_for(request.user, {"change", "publish"})
    hidden = LibraryItemPage.objects.exclude(pk__in=public_pages().values("pk")).exclude(pk__in=editable.values("pk"))
    return pages.exclude(pk__in=hidden.values("pk"))


@hooks.register("register_rich_text_features", order=100)  # after wagtail.documents and wagtail.images
def expand_only_public_files(features):
    features.register_link_type(PublicDocumentLinkHandler)
    features.register_embed_type(PublicImageEmbedHandler)
