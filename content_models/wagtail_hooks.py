"""Admin registration: columns and districts as snippets editors manage."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .taxonomy import Column, District


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
