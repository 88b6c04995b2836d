"""Admin for editors: dictionary terms, pinned and blocked hot words (a 热词搜索 menu group)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import HotWordBlock, HotWordPin, SearchTerm


class SearchTermViewSet(SnippetViewSet):
    model = SearchTerm
    menu_label = "词典词语"
    icon = "doc-full"
    list_display = ["word", "created_at"]
    search_fields = ["word"]


class HotWordPinViewSet(SnippetViewSet):
    model = HotWordPin
    menu_label = "置顶热词"
    icon = "pick"
    list_display = ["word", "order"]
    search_fields = ["word"]


class HotWordBlockViewSet(SnippetViewSet):
    model = HotWordBlock
    menu_label = "屏蔽热词"
    icon = "cross"
    list_display = ["word"]
    search_fields = ["word"]


class SearchViewSetGroup(SnippetViewSetGroup):
    items = (SearchTermViewSet, HotWordPinViewSet, HotWordBlockViewSet)
    menu_label = "热词搜索"
    menu_icon = "search"
    menu_order = 500


register_snippet(SearchViewSetGroup)
