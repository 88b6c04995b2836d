"""Admin of members and communities, scoped by district: who may do what (a permission policy derived from the
editor groups, so a new district's editors can manage its members at once), the views' district filter, the
organiser's password reset and the 「批量导入党员」 upload."""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.permission_policies.base import BasePermissionPolicy

from content_models.workspaces import editor_districts

from .accounts import phone_digest
from .enrolment import check_sheet, initial_password, result_sheet, write
from .forms import EnrolmentForm
from .models import LoginFailure, Member, MemberSession

# Each new member's password is hashed on the request (~0.2 s each with PBKDF2): larger sheets go in parts or
# through `manage.py import_members`, which has no proxy timeout.
WEB_MAX_NEW_MEMBERS = 150


def may_manage_members(user) -> bool:
    """Superusers, city editors, and editors of at least one district."""
    if not (user.is_authenticated and user.is_active):
        return False
    districts = editor_districts(user)
    return districts is None or districts.exists()


def in_user_districts(queryset: QuerySet, user) -> QuerySet:
    districts = editor_districts(user)
    return queryset if districts is None else queryset.filter(district__in=districts)


class DistrictPolicy(BasePermissionPolicy):
    """Members and communities: city editors do everything; a district's editors add, change and view their
    district's rows (deleting a member is the city's decision, or the member's own 注销账号)."""

    def user_has_permission(self, user, action) -> bool:
        if not may_manage_members(user):
            return False
        return action != "delete" or editor_districts(user) is None

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        return self.user_has_permission(user, action) and in_user_districts(
            self.model.objects.filter(pk=instance.pk), user
        ).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model.objects.none()
        return in_user_districts(self.model.objects.all(), user)

    def instances_user_has_permission_for(self, user, action) -> QuerySet:
        return self.instances_user_has_any_permission_for(user, [action])


class InUserDistricts:
    """Mixed into the viewsets' views: another district's row is not there (404), in lists, forms and history."""

    def get_base_queryset(self):  # listings
        return in_user_districts(super().get_base_queryset(), self.request.user)

    def get_queryset(self):  # edit and delete (Django's SingleObjectMixin)
        return in_user_districts(super().get_queryset(), self.request.user)

    def get_base_object_queryset(self):  # history and usage
        return in_user_districts(super().get_base_object_queryset(), self.request.user)


def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: confirm; POST: a new temporary password, shown this once. The member's sessions end and a lockout
    of the number is lifted."""
    if not may_manage_members(request.user):
        raise PermissionDenied
    member = in_user_districts(Member.objects.select_related("district"), request.user).filter(pk=pk).first()
    if member is None:
        raise Http404
    context = {"member": member, "password": ""}
    if request.method == "POST":
        context["password"] = initial_password()
        member.set_password(context["password"])
        member.save(update_fields=["password"])
        MemberSession.objects.filter(member=member).delete()
        LoginFailure.objects.filter(phone_digest=phone_digest(member.phone)).delete()
    response = render(request, "members/reset_password.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def enrol(request: HttpRequest) -> HttpResponse:
    """Upload a sheet; 「检查」 shows the row errors, 「导入」 checks again and, only when every row is right, writes
    and answers with the result sheet (the new members' initial passwords, never stored in clear)."""
    if not may_manage_members(request.user):
        raise PermissionDenied
    districts = editor_districts(request.user)
    form = EnrolmentForm(request.POST or None, request.FILES or None)
    context = {"form": form, "districts": districts}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["sheet"]
        enrolment = check_sheet(upload.read(), upload.name, districts)
        report = enrolment.report
        if not report.errors and enrolment.new_members > WEB_MAX_NEW_MEMBERS:
            context["too_many"] = WEB_MAX_NEW_MEMBERS
        elif request.POST.get("action") == "write" and not report.errors:
            response = HttpResponse(
                result_sheet(write(enrolment)),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('党员导入结果.xlsx')}"
            response["Cache-Control"] = "private, no-store"
            return response
        context.update(report=report, errors=report.errors[:200], more_errors=max(0, len(report.errors) - 200))
    return render(request, "members/enrol.html", context)
