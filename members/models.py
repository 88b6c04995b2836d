"""Members (not editors: no admin access), their sessions, recorded study, points and commendations.

Study is kept per member, per item, per day (StudyRecord); deleting an account keeps those rows with the member
cleared, so the city's figures stay while nothing points at a person any more.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, make_password
from django.db import models

from content_models.taxonomy import District

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(raw: str) -> str:
    """A mainland mobile number as its 11 digits ('+86 139-0000-0001' → '13900000001'); ValueError when it is not one."""
    digits = re.sub(r"[\s\-()（）]", "", str(raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE_PATTERN.match(digits):
        raise ValueError(f"「{raw}」不是有效的手机号（应为 11 位数字，以 1 开头）。")
    return digits


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


class Community(models.Model):
    """A community (社区) or party branch of a district; members self-register with its invitation code."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="communities", verbose_name="县市区")
    name = models.CharField("名称", max_length=60)
    invitation_code = models.CharField(
        "邀请码", max_length=16, unique=True, null=True, blank=True,
        help_text="党员凭此码在网站上自行注册到本社区；留空则不能自行注册。",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="community_unique_name")]
        ordering = ["district__order", "name"]
        verbose_name = "社区"
        verbose_name_plural = "社区"

    def __str__(self) -> str:
        return f"{self.district.name} · {self.name}"


class Member(models.Model):
    """A community party member with a login on the public site and a lifelong learning archive."""

    name = models.CharField("姓名", max_length=30)
    phone = models.CharField("手机号", max_length=11, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="members", verbose_name="县市区")
    community = models.ForeignKey(
        Community, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name="社区/支部"
    )
    password = models.CharField("密码", max_length=128)
    is_active = models.BooleanField("可以登录", default=True)
    joined_at = models.DateTimeField("加入时间", auto_now_add=True)
    last_login = models.DateTimeField("上次登录", null=True, blank=True)
    # The beat endpoint's per-member state, read and written under the member's row lock (members.learning).
    last_beat_at = models.DateTimeField(null=True, blank=True, editable=False)
    credited_day = models.DateField(null=True, blank=True, editable=False)
    credited_day_seconds = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["district__order", "name", "pk"]
        verbose_name = "党员"
        verbose_name_plural = "党员"

    def __str__(self) -> str:
        return f"{self.name}（{self.phone_masked}）"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class MemberSession(models.Model):
    """A logged-in browser: the cookie carries a random token, the table only its SHA-256."""

    key_digest = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.member_id}: {self.expires_at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """A wrong password for a phone number (kept as a keyed digest, never the number): counted for the lockout."""

    phone_digest = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"


class StudyRecord(models.Model):
    """Seconds of study credited to one member, on one item, on one day (Asia/Shanghai), and where they stopped."""

    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="study")
    district = models.ForeignKey(District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    item_id = models.PositiveIntegerField("资源编号")  # a page id; not a foreign key, so history outlives the page
    day = models.DateField("日期")
    seconds = models.PositiveIntegerField("学习秒数", default=0)
    position = models.PositiveIntegerField("位置", null=True, blank=True)  # reader page or video second
    updated_at = models.DateTimeField("最近学习")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "item_id", "day"], name="study_record_unique_day")]
        indexes = [models.Index(fields=["day"]), models.Index(fields=["member", "-updated_at"])]
        verbose_name = "学习记录"
        verbose_name_plural = "学习记录"

    def __str__(self) -> str:
        return f"{self.item_id} {self.day}: {self.seconds}s"


class BeatReceipt(models.Model):
    """A beat id already received, so a replay is not credited twice (pruned after BEAT_RECEIPT_DAYS)."""

    beat = models.UUIDField(unique=True)
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return str(self.beat)


class PointRule(models.Model):
    """How many points an action earns, from a start date on; the rule of a kind in force on a day is the latest started."""

    STUDY = "study"
    FINISHED = "finished"
    CHECKIN = "checkin"
    REFLECTION = "reflection"
    QUIZ = "quiz"
    ACTIVITY = "activity"
    KINDS = [
        (STUDY, "学习时长"),
        (FINISHED, "学完一本书或一个系列"),
        (CHECKIN, "每日打卡"),
        (REFLECTION, "心得被采纳"),
        (QUIZ, "答题"),
        (ACTIVITY, "完成学习活动"),
    ]

    kind = models.CharField("积分项目", max_length=20, choices=KINDS)
    points = models.PositiveSmallIntegerField("积分")
    per_minutes = models.PositiveSmallIntegerField(
        "每多少分钟", default=10, help_text="仅对“学习时长”有效：每学满这么多分钟得上面的积分。"
    )
    yearly_cap = models.PositiveIntegerField("每年上限", default=0, help_text="这一项每人每年最多得多少分；0 表示不设上限。")
    valid_from = models.DateField("生效日期")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "valid_from"], name="point_rule_unique_start")]
        ordering = ["kind", "-valid_from"]
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.valid_from:%Y年%-m月%-d日}起）"


class PointAward(models.Model):
    """Points one member earned for one thing; `key` names the thing, so earning it again changes nothing."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="points")
    kind = models.CharField("积分项目", max_length=20, choices=PointRule.KINDS)
    key = models.CharField(max_length=80)  # "study:2026-11-30", "finished:123", "checkin:2026-11-30" …
    day = models.DateField("日期")
    points = models.PositiveIntegerField("积分")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "key"], name="point_award_unique_key")]
        indexes = [models.Index(fields=["member", "day"])]
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"

    def __str__(self) -> str:
        return f"{self.key}: {self.points}"


class Commendation(models.Model):
    """A year-end commendation (表彰) of a member, shown in their archive."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="commendations", verbose_name="党员")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("称号", max_length=40, default="学习标兵")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "year", "title"], name="commendation_unique")]
        ordering = ["-year", "member__name"]
        verbose_name = "表彰"
        verbose_name_plural = "表彰"

    def __str__(self) -> str:
        return f"{self.year}年度{self.title}：{self.member.name}"
