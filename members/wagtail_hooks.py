"""Admin of the members' archive: the point rules (city editors only), the year's learning ranking, and the 党员
menu (members, communities with invitation codes, enrolment by spreadsheet, password reset) scoped by district."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ActionMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from content_models.workspaces import editor_districts

from .admin_views import DistrictPolicy, InUserDistricts, enrol, may_manage_members, reset_password
from .forms import CommunityAdminForm, MemberAdminForm
from .models import Community, Member, PointRule
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


# ---- 党员 menu: members, communities, enrolment, password reset (district editors: their district only) ----


class MemberIndexView(InUserDistricts, generic.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        url = reverse("member_reset_password", args=[instance.pk])
        return [*buttons, ActionMenuItem("重置密码", url=url, icon_name="key", priority=30)]


class ScopedEditView(InUserDistricts, generic.EditView):
    pass


class ScopedDeleteView(InUserDistricts, generic.DeleteView):
    pass


class ScopedHistoryView(InUserDistricts, history.HistoryView):
    pass


class ScopedUsageView(InUserDistricts, usage.UsageView):
    pass


class ScopedIndexView(InUserDistricts, generic.IndexView):
    pass


class DistrictScopedViewSet(ModelViewSet):
    search_backend_name = None  # the ORM's icontains: these models are not in a search index
    copy_view_enabled = False
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView


class MemberViewSet(DistrictScopedViewSet):
    model = Member
    name = "members_member"
    url_prefix = "members/people"
    icon = "user"
    menu_label = "党员名单"
    menu_name = "members"
    index_view_class = MemberIndexView
    list_display = ["name", Column("phone_masked", label="手机号"), "district", "community", "is_active", "last_login"]
    list_filter = ["district", "is_active"]
    search_fields = ["name", "phone"]
    edit_handler = ObjectList([
        HelpPanel(content="<p>新增的党员还没有密码：保存后在党员名单里点「重置密码」，把临时密码告诉本人。</p>"),
        FieldPanel("name"), FieldPanel("phone"), FieldPanel("district"), FieldPanel("community"), FieldPanel("is_active"),
    ], base_form_class=MemberAdminForm)


class CommunityViewSet(DistrictScopedViewSet):
    model = Community
    name = "members_community"
    url_prefix = "members/communities"
    icon = "home"
    menu_label = "社区与邀请码"
    menu_name = "communities"
    index_view_class = ScopedIndexView
    list_display = ["name", "district", "invitation_code"]
    list_filter = ["district"]
    search_fields = ["name", "invitation_code"]
    edit_handler = ObjectList(
        [FieldPanel("district"), FieldPanel("name"), FieldPanel("invitation_code")], base_form_class=CommunityAdminForm
    )


class MembersMenu(ViewSetGroup):
    menu_label = "党员"
    menu_name = "members-menu"
    menu_icon = "group"
    menu_order = 225
    items = (MemberViewSet, CommunityViewSet)
    submenu_hook = "register_members_menu_item"


for scoped_model in (Member, Community):
    register_permission_policy(scoped_model, DistrictPolicy(scoped_model))


@hooks.register("register_admin_viewset")
def register_members_menu():
    return MembersMenu()


@hooks.register("register_admin_urls")
def register_member_admin_urls():
    return [
        path("members/reset-password/<int:pk>/", reset_password, name="member_reset_password"),
        path("members/enrol/", enrol, name="member_enrol"),
    ]


class EnrolmentMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return may_manage_members(request.user)


@hooks.register("register_members_menu_item")
def register_enrolment_menu_item():
    return EnrolmentMenuItem("批量导入党员", reverse("member_enrol"), icon_name="table", order=30)
