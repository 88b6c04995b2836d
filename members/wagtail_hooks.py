"""Admin of the members' archive: the point rules (city editors only) and the year's learning ranking."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from content_models.workspaces import editor_districts

from .models import PointRule
from .report import ranking_view

RULE_HELP = (
    "规则从“生效日期”起适用：生效日期之前的学习仍按原来的规则计分，之后按新规则计分，已经得到的积分不会改变。"
    "要调整积分，请新增一条同一积分项目的规则并填写新的生效日期，不要改动已经生效的旧规则。"
)


def is_city_editor(user) -> bool:
    return user.is_authenticated and user.is_active and editor_districts(user) is None


class CityEditorsOnly(BasePermissionPolicy):
    """Superusers and city editors may do everything with the model; nobody else anything (district editors neither)."""

    def user_has_permission(self, user, action) -> bool:
        return is_city_editor(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return is_city_editor(user)


class PointRuleViewSet(SnippetViewSet):
    model = PointRule
    icon = "pick"
    menu_label = "积分规则"
    menu_order = 230
    add_to_admin_menu = True
    list_display = ["kind", "points", "per_minutes", "yearly_cap", "valid_from"]
    list_filter = ["kind"]
    panels = [
        HelpPanel(content=f"<p>{RULE_HELP}</p>"),
        FieldPanel("kind"),
        FieldRowPanel([FieldPanel("points"), FieldPanel("per_minutes")]),
        FieldPanel("yearly_cap"),
        FieldPanel("valid_from", help_text="从这一天（含）起按本规则计分。"),
    ]


register_permission_policy(PointRule, CityEditorsOnly(PointRule))
register_snippet(PointRuleViewSet)


@hooks.register("register_admin_urls")
def register_ranking_url():
    return [path("members/ranking/", ranking_view, name="member_ranking")]


class RankingMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        districts = editor_districts(request.user)
        return districts is None or districts.exists()


@hooks.register("register_admin_menu_item")
def register_ranking_menu_item():
    return RankingMenuItem("年度学习排行", reverse("member_ranking"), icon_name="list-ol", order=240)
