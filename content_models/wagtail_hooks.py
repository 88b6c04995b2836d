"""Admin registration: columns and districts as snippets editors manage; the bulk import/export views."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_urls
from .taxonomy import Column, District
from .views import user_can_import


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


@hooks.register("register_admin_urls")
def register_catalogue_import_urls():
    return [path("catalogue/", include(admin_urls, namespace="catalogue_import"))]


class CatalogueImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_can_import(request.user)


@hooks.register("register_admin_menu_item")
def register_catalogue_import_menu_item():
    return CatalogueImportMenuItem("批量导入导出", reverse("catalogue_import:index"), icon_name="table", order=220)
