"""Admin for editors under 「热词搜索」: dictionary terms and the hot-word lists (待审, 已批准, 置顶, 屏蔽), with
bulk actions that approve, pin or block the selected words and refresh the public list."""

from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import ApprovedHotWord, HotWord, HotWordBlock, HotWordPin, PendingHotWord, SearchTerm
from .tasks import refresh_shown_hot_words


class SearchTermViewSet(SnippetViewSet):
    model = SearchTerm
    menu_label = "词典词语"
    icon = "doc-full"
    list_display = ["word", "created_at"]
    search_fields = ["word"]


class PendingHotWordViewSet(SnippetViewSet):
    model = PendingHotWord
    menu_label = "待审热词"
    icon = "help"
    list_display = ["word", "visitors", "updated_at"]
    search_fields = ["word"]
    panels = [FieldPanel("word")]


class ApprovedHotWordViewSet(SnippetViewSet):
    model = ApprovedHotWord
    menu_label = "已批准热词"
    icon = "tick"
    list_display = ["word", "visitors", "updated_at"]
    search_fields = ["word"]
    panels = [FieldPanel("word")]


class HotWordPinViewSet(SnippetViewSet):
    model = HotWordPin
    menu_label = "置顶热词"
    icon = "pick"
    list_display = ["word", "order"]
    search_fields = ["word"]
    panels = [FieldPanel("word"), FieldPanel("order")]


class HotWordBlockViewSet(SnippetViewSet):
    model = HotWordBlock
    menu_label = "屏蔽热词"
    icon = "cross"
    list_display = ["word"]
    search_fields = ["word"]
    panels = [FieldPanel("word")]


class SearchViewSetGroup(SnippetViewSetGroup):
    items = (SearchTermViewSet, PendingHotWordViewSet, ApprovedHotWordViewSet, HotWordPinViewSet, HotWordBlockViewSet)
    menu_label = "热词搜索"
    menu_icon = "search"
    menu_order = 500


register_snippet(SearchViewSetGroup)


class HotWordStatusAction(SnippetBulkAction):
    """Move the selected words to one list; the public list and, if it changed, the site follow at once."""

    status: str
    template_name = "search_index/confirm_hot_word_status.html"

    def check_perm(self, snippet) -> bool:
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "change", snippet)

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "action_label": self.display_name}

    @classmethod
    def execute_action(cls, objects, **kwargs) -> tuple[int, int]:
        words = [snippet.word for snippet in objects]
        HotWord.objects.filter(pk__in=[snippet.pk for snippet in objects]).update(status=cls.status)
        refresh_shown_hot_words(f"{cls.display_name}：{'、'.join(words)}")
        return len(objects), 0

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        return f"已{self.display_name} {num_parent_objects} 个热词，公开的热词列表已更新。"


@hooks.register("register_bulk_action")
class ApproveHotWords(HotWordStatusAction):
    display_name = "批准"
    action_type = "approve"
    aria_label = "批准所选热词"
    status = HotWord.Status.APPROVED
    models = (PendingHotWord, HotWordPin, HotWordBlock)
    action_priority = 10


@hooks.register("register_bulk_action")
class PinHotWords(HotWordStatusAction):
    display_name = "置顶"
    action_type = "pin"
    aria_label = "置顶所选热词"
    status = HotWord.Status.PINNED
    models = (PendingHotWord, ApprovedHotWord, HotWordBlock)
    action_priority = 20


@hooks.register("register_bulk_action")
class BlockHotWords(HotWordStatusAction):
    display_name = "屏蔽"
    action_type = "block"
    aria_label = "屏蔽所选热词"
    status = HotWord.Status.BLOCKED
    models = (PendingHotWord, ApprovedHotWord, HotWordPin)
    action_priority = 25
    classes = {"serious"}
