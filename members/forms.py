"""Forms of the members' accounts: login and self-registration on the public site, member and community editing
and the enrolment upload in the admin (district editors offered only their own districts)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminModelForm

from content_models.taxonomy import District
from content_models.workspaces import editor_districts

from .models import Community, Member, normalise_phone

# No 0/O or 1/I/L: organisers read invitation codes aloud and members type them on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def clean_phone_field(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def password_message(error: ValidationError) -> str:
    """Django's password validators' message in plain Chinese (Django 5.2's zh-Hans lacks the length one)."""
    if error.code == "password_too_short":
        return f"密码太短了，至少要 {error.params['min_length']} 位。"
    if error.code == "password_too_similar":
        return "密码和姓名或手机号太像了，请换一个。"
    return " ".join(error.messages)


class LoginForm(forms.Form):
    phone = forms.CharField(label="手机号", max_length=20)
    password = forms.CharField(label="密码", max_length=128, strip=False)

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["phone"])


class RegisterForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=30)
    phone = forms.CharField(label="手机号", max_length=20)
    code = forms.CharField(label="邀请码", max_length=16)
    password1 = forms.CharField(label="密码", max_length=128, strip=False)
    password2 = forms.CharField(label="再输一次密码", max_length=128, strip=False)

    def clean_phone(self) -> str:
        phone = clean_phone_field(self.cleaned_data["phone"])
        if Member.objects.filter(phone=phone).exists():
            raise ValidationError("这个手机号已经注册过了，请直接登录；忘记密码请联系社区。")
        return phone

    def clean_code(self) -> Community:
        code = self.cleaned_data["code"].strip().upper()
        community = Community.objects.select_related("district").filter(invitation_code=code).first()
        if community is None:
            raise ValidationError("邀请码不正确，请向所在社区索取。")
        return community

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一样。")
        elif first:
            try:
                validate_password(first, Member(name=data.get("name", ""), phone=data.get("phone", "")))
            except ValidationError as error:
                self.add_error("password1", [password_message(e) for e in error.error_list])
        return data

    def save(self) -> Member:
        community = self.cleaned_data["code"]
        member = Member(name=self.cleaned_data["name"].strip(), phone=self.cleaned_data["phone"],
                        district=community.district, community=community)
        member.set_password(self.cleaned_data["password1"])
        member.save()
        return member


def limit_to_user_districts(form: forms.ModelForm, user) -> None:
    """Offer a district editor only their districts (and those districts' communities)."""
    districts = editor_districts(user) if user is not None else None
    if districts is None:
        return
    form.fields["district"].queryset = District.objects.filter(pk__in=districts)
    if "community" in form.fields:
        form.fields["community"].queryset = Community.objects.filter(district__in=districts)


class MemberAdminForm(WagtailAdminModelForm):
    class Meta:
        model = Member
        fields = ["name", "phone", "district", "community", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_to_user_districts(self, self.for_user)
        # Typed as people write it ('139 0000 0001', '+86…'): normalised to its 11 digits in clean_phone.
        self.fields["phone"] = forms.CharField(label="手机号", max_length=20, help_text="11 位手机号，列表中只显示前三后四位。")

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["phone"])

    def clean(self) -> dict:
        data = super().clean()
        community, district = data.get("community"), data.get("district")
        if community and district and community.district_id != district.pk:
            self.add_error("community", f"「{community.name}」不属于{district.name}。")
        return data


class CommunityAdminForm(WagtailAdminModelForm):
    class Meta:
        model = Community
        fields = ["district", "name", "invitation_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_to_user_districts(self, self.for_user)
        self.fields["invitation_code"].help_text += "留空保存时自动生成一个。"

    def clean_invitation_code(self) -> str:
        code = (self.cleaned_data.get("invitation_code") or "").strip().upper()
        while not code or Community.objects.exclude(pk=self.instance.pk).filter(invitation_code=code).exists():
            if code and self.data.get(self.add_prefix("invitation_code")):
                raise ValidationError("这个邀请码已被其他社区使用，请换一个。")
            code = random_code()
        return code


class EnrolmentForm(forms.Form):
    sheet = forms.FileField(label="党员名单（.xlsx 或 .csv）", help_text="表头：姓名、手机号、县市区、社区。")
