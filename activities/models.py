"""Activities as catalogue items, and what members do with them: check-ins, sign-ups, 心得, completions, quizzes.

An ActivityPage is a LibraryItemPage, so the one visibility rule, the API, the builder, the search index and the
district-only handling treat it like every other item. Members' actions are plain rows keyed by member and activity.
"""

from __future__ import annotations

import hashlib
import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from rest_framework.fields import ReadOnlyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.models import Orderable, Page

from content_models.forms import LibraryItemForm
from content_models.models import LibraryItemPage, MapSitePage
from content_models.taxonomy import District
from content_models.visibility import public_page_ids
from members.models import Member

from .storage import private_storage

IMAGE_MODEL = "wagtailimages.Image"


def new_attendance_code() -> str:
    """Six digits an organiser reads out (or shows as a QR code) at an offline event."""
    return f"{secrets.randbelow(10**6):06d}"


class ActivityForm(LibraryItemForm):
    """An activity need not sit in a column: the 「学习活动」 listing shows every one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].required = False
        if self.for_user is not None and "quiz_bank" in self.fields:
            from members.admin_views import in_user_districts  # admin code: not imported while models load

            # A district's editors choose among their district's banks only, as the 答题 admin shows them.
            self.fields["quiz_bank"].queryset = in_user_districts(QuestionBank.objects.all(), self.for_user)

    def clean(self):
        cleaned = super().clean()
        tasks = [
            form for form in self.formsets["tasks"].forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("item") and not form.cleaned_data.get("DELETE")
        ]
        asks = (
            tasks or cleaned.get("checkin_days") or cleaned.get("requires_reflection") or cleaned.get("quiz_bank")
            or cleaned.get("kind") in (ActivityPage.ESSAY, ActivityPage.LECTURE, ActivityPage.LIVE)
        )
        if cleaned.get("points") and not asks:  # activities.progress completes only an activity that asks something
            self.add_error("points", "这个活动没有完成条件（学习任务、打卡天数、心得、测评，或讲座签到、观看直播），积分无法发放。")
        return cleaned


class ActivityPage(LibraryItemPage):
    """学习活动: a check-in campaign, essay call, offline lecture, live lecture or study campaign, with its rules."""

    item_type = "activity"
    url_prefix = "activities"
    base_form_class = ActivityForm

    CHECKIN, ESSAY, LECTURE, LIVE, CAMPAIGN = "checkin", "essay", "lecture", "live", "campaign"
    KINDS = [
        (CHECKIN, "打卡活动"),
        (ESSAY, "征文/心得"),
        (LECTURE, "线下讲座"),
        (LIVE, "直播"),
        (CAMPAIGN, "学习任务"),
    ]

    kind = models.CharField("活动类型", max_length=12, choices=KINDS)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    place = models.ForeignKey(
        MapSitePage, verbose_name="活动地点", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="线下活动选择地图上的红色地标。",
    )
    place_note = models.CharField("地点说明", max_length=120, blank=True, help_text="如：三楼会议室。")
    pinned = models.BooleanField("置顶为首页横幅", default=False, help_text="最新置顶的公开活动显示在首页顶部。")

    signup_required = models.BooleanField("需要报名", default=False)
    capacity = models.PositiveIntegerField("名额", null=True, blank=True, help_text="留空表示不限人数；报满后进入候补。")
    signup_deadline = models.DateTimeField("报名截止", null=True, blank=True, help_text="留空则到活动开始为止。")
    attendance_code = models.CharField(
        "签到码", max_length=12, blank=True, default=new_attendance_code,
        help_text="线下活动现场告诉党员（或出示二维码），党员输入后记为到场。",
    )

    requires_reflection = models.BooleanField("需要提交心得", default=False, help_text="心得被采纳才算完成活动。")
    checkin_days = models.PositiveSmallIntegerField("需打卡天数", default=0, help_text="活动期间打卡满这么多天；0 表示不要求。")
    quiz_bank = models.ForeignKey(
        "activities.QuestionBank", verbose_name="专项测评题库", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="activities",
    )
    quiz_size = models.PositiveSmallIntegerField("测评题数", default=10)
    quiz_pass_percent = models.PositiveSmallIntegerField("及格分数（百分制）", default=60)
    points = models.PositiveSmallIntegerField("完成活动积分", default=0)

    live_url = models.URLField("直播地址（HLS）", blank=True, help_text="直播服务商提供的 .m3u8 地址，须为 https。")
    replay_page = models.ForeignKey(
        LibraryItemPage, verbose_name="回放（资源库中的视频或音频）", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    replay_episode = models.PositiveSmallIntegerField("回放集数", null=True, blank=True, help_text="留空则指向整个系列。")

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("pinned")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([PageChooserPanel("place", "content_models.MapSitePage"), FieldPanel("place_note")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("signup_required"), FieldPanel("capacity"), FieldPanel("signup_deadline")]),
                FieldPanel("attendance_code"),
            ],
            heading="报名与签到",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("requires_reflection"), FieldPanel("checkin_days"), FieldPanel("points")]),
                FieldRowPanel([FieldPanel("quiz_bank"), FieldPanel("quiz_size"), FieldPanel("quiz_pass_percent")]),
            ],
            heading="完成条件与积分",
        ),
        MultiFieldPanel(
            [
                FieldPanel("live_url"),
                FieldRowPanel([
                    PageChooserPanel("replay_page", ["content_models.VideoSeriesPage", "content_models.AudioSeriesPage"]),
                    FieldPanel("replay_episode"),
                ]),
            ],
            heading="直播与回放",
        ),
        InlinePanel("tasks", label="学习任务", heading="学习任务（要学习的资源）"),
        FieldPanel("summary"),
        FieldPanel("cover", heading="横幅图片"),
        FieldPanel("columns", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
        FieldPanel("district_only"),
    ]

    class Meta:
        verbose_name = "学习活动"
        verbose_name_plural = "学习活动"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "结束时间应晚于开始时间。"
        if self.signup_deadline and self.ends_at and self.signup_deadline > self.ends_at:
            errors["signup_deadline"] = "报名截止应早于活动结束。"
        if self.live_url and not self.live_url.startswith("https://"):
            errors["live_url"] = "直播地址须以 https:// 开头。"
        if self.kind == self.LIVE and not self.live_url and not self.replay_page_id:
            errors["live_url"] = "直播活动请填写直播地址或选择回放。"
        if self.replay_episode and not self.replay_page_id:
            errors["replay_episode"] = "请先选择回放的视频或音频系列。"
        if errors:
            raise ValidationError(errors)

    # What the static site shows. Everything that names another item names it only while that item is public, and
    # its id is in related_ids, so a builder refetches the activity when that changes. Never the attendance code.
    api_prefetch = ("tasks", "reflections__files", "reflections__member__community")
    listing_prefetch = ("tasks", "reflections__files")  # related_ids and media_revision in the cheap listing
    api_fields = LibraryItemPage.api_fields + [
        APIField("kind"),
        APIField("kind_label", serializer=ReadOnlyField(source="get_kind_display")),
        APIField("starts_at"),
        APIField("ends_at"),
        APIField("place", serializer=ReadOnlyField(source="public_place")),
        APIField("place_note"),
        APIField("signup_required"),
        APIField("capacity"),
        APIField("signup_deadline"),
        APIField("requires_reflection"),
        APIField("checkin_days"),
        APIField("points"),
        APIField("quiz", serializer=ReadOnlyField(source="has_quiz")),
        APIField("live_url"),
        APIField("replay", serializer=ReadOnlyField(source="public_replay")),
        APIField("tasks", serializer=ReadOnlyField(source="public_tasks")),
        APIField("published_reflections"),
    ]

    @property
    def has_quiz(self) -> bool:
        return self.quiz_bank_id is not None

    def _task_rows(self) -> list[ActivityTask]:
        # Prefetched (api_prefetch) rows sorted here, so a listing of activities asks no query per activity for them.
        return sorted(self.tasks.all(), key=lambda task: (task.sort_order is None, task.sort_order or 0, task.pk or 0))

    def _linked_ids(self) -> list[int]:
        ids = [self.place_id, self.replay_page_id, *(task.item_id for task in self._task_rows())]
        return list(dict.fromkeys(pk for pk in ids if pk))

    @cached_property
    def _public_linked(self) -> dict[int, LibraryItemPage]:
        """The place, replay and task items that are public now, by id (specific pages)."""
        linked = self._linked_ids()
        public = public_page_ids(linked) if linked else set()
        return LibraryItemPage.objects.filter(pk__in=public).specific().in_bulk() if public else {}

    @property
    def related_ids(self) -> list[int]:
        """Place, replay and tasks that are public, in that order: a builder refetches the activity when they change."""
        return [pk for pk in self._linked_ids() if pk in self._public_linked]

    @property
    def public_place(self) -> dict | None:
        place = self._public_linked.get(self.place_id) if self.place_id else None
        if place is None:
            return None
        return {"id": place.pk, "title": place.title, "site_path": place.site_path, "address": place.address}

    @property
    def public_replay(self) -> dict | None:
        """The replay's series, or its episode when one is chosen (and exists), while the series is public."""
        series = self._public_linked.get(self.replay_page_id) if self.replay_page_id else None
        if series is None:
            return None
        if self.replay_episode:
            episode = series.episodes.filter(number=self.replay_episode).first() if hasattr(series, "episodes") else None
            if episode is not None:
                return {"id": series.pk, "title": f"{series.title} {episode.title}", "site_path": episode.site_path}
        return {"id": series.pk, "title": series.title, "site_path": series.site_path}

    @property
    def public_tasks(self) -> list[dict]:
        rows = []
        for task in self._task_rows():
            item = self._public_linked.get(task.item_id)
            if item is not None:
                rows.append({"id": item.pk, "title": item.title, "item_type": item.item_type, "site_path": item.site_path, "note": task.note})
        return rows

    def _published_reflections(self) -> list[Reflection]:
        rows = [
            r for r in self.reflections.all()
            if r.published and r.consent_to_publish and r.status == Reflection.ACCEPTED
        ]
        return sorted(rows, key=lambda r: (r.reviewed_at or r.submitted_at, r.pk))

    @property
    def published_reflections(self) -> list[dict]:
        """心得 the organisers published with the member's consent: a surname and community, never the full name."""
        return [
            {
                "id": r.pk,
                "author": f"{r.member.name[:1]}同志",
                "community": r.member.community.name if r.member.community else "",
                "form": r.form,
                "form_label": r.get_form_display(),
                "text": r.text,
                "files": [{"url": f"/me/reflection-files/{f.pk}/", "content_type": f.content_type} for f in r.files.all()],
            }
            for r in self._published_reflections()
        ]

    @property
    def media_revision(self) -> str:
        """Changes when the published 心得 change or a public item the page names is republished (a new title, address
        or episode), though the activity itself was not: a builder refetches the activity then ("" for neither)."""
        rows = self._published_reflections()
        linked = [self._public_linked[pk] for pk in self.related_ids]
        if not rows and not linked:
            return ""
        seed = ";".join(
            [f"{r.pk}:{r.reviewed_at.isoformat() if r.reviewed_at else ''}:{len(r.files.all())}" for r in rows]
            + [f"p{page.pk}:{page.last_published_at.isoformat() if page.last_published_at else ''}" for page in linked]
        )
        return hashlib.sha256(seed.encode()).hexdigest()[:16]


class ActivityTask(Orderable):
    """One library item a campaign asks its members to study."""

    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(LibraryItemPage, verbose_name="资源", on_delete=models.CASCADE, related_name="+")
    note = models.CharField("说明", max_length=100, blank=True, help_text="如：读完第一章。")

    panels = [
        PageChooserPanel("item", [
            "content_models.EBookPage", "content_models.PeriodicalPage", "content_models.VideoSeriesPage",
            "content_models.AudioSeriesPage", "content_models.MapSitePage", "content_models.NewsPage",
        ]),
        FieldPanel("note"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = verbose_name_plural = "学习任务"


class CheckIn(models.Model):
    """A member's daily check-in (打卡): one per day (Asia/Shanghai)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="checkins")
    day = models.DateField("日期")
    activity = models.ForeignKey(ActivityPage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField("打卡时间", default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="checkin_once_a_day")]
        verbose_name = verbose_name_plural = "打卡"

    def __str__(self) -> str:
        return f"{self.member_id} {self.day}"


class SignUp(models.Model):
    """A member's sign-up (报名) for an event: confirmed, waiting (in order of signing up) or cancelled."""

    CONFIRMED, WAITING, CANCELLED = "confirmed", "waiting", "cancelled"
    STATUSES = [(CONFIRMED, "已报名"), (WAITING, "候补"), (CANCELLED, "已取消")]

    activity = models.ForeignKey(ActivityPage, on_delete=models.CASCADE, related_name="signups", verbose_name="活动")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="signups", verbose_name="党员")
    status = models.CharField("状态", max_length=10, choices=STATUSES)
    signed_up_at = models.DateTimeField("报名时间", default=timezone.now)  # the waiting list's order; reset on signing up again
    attended_at = models.DateTimeField("到场时间", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="signup_once_per_member")]
        indexes = [models.Index(fields=["activity", "status", "signed_up_at"])]
        verbose_name = verbose_name_plural = "报名"

    def __str__(self) -> str:
        return f"{self.activity_id} {self.member_id} {self.status}"


class Reflection(models.Model):
    """A 学习心得 for an activity: typed text, photos of a handwritten page, or a voice recording."""

    TEXT, PHOTO, VOICE = "text", "photo", "voice"
    FORMS = [(TEXT, "文字"), (PHOTO, "照片"), (VOICE, "语音")]
    SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"
    STATUSES = [(SUBMITTED, "待审核"), (ACCEPTED, "已采纳"), (RETURNED, "已退回")]

    activity = models.ForeignKey(ActivityPage, on_delete=models.CASCADE, related_name="reflections", verbose_name="活动")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reflections", verbose_name="党员")
    form = models.CharField("形式", max_length=8, choices=FORMS)
    text = models.TextField("内容", blank=True)
    status = models.CharField("状态", max_length=10, choices=STATUSES, default=SUBMITTED)
    comment = models.CharField("审核意见", max_length=300, blank=True)
    consent_to_publish = models.BooleanField("同意公开展示", default=False)
    published = models.BooleanField("在活动页展示", default=False)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="审核人"
    )

    class Meta:
        indexes = [models.Index(fields=["activity", "status"]), models.Index(fields=["member", "-submitted_at"])]
        ordering = ["-submitted_at"]
        verbose_name = verbose_name_plural = "学习心得"

    def __str__(self) -> str:
        return f"{self.activity_id} {self.member_id} {self.get_form_display()}"


def reflection_upload_path(instance: ReflectionFile, filename: str) -> str:
    return f"reflections/{instance.reflection.activity_id}/{secrets.token_hex(16)}{filename[filename.rfind('.'):] if '.' in filename else ''}"


class ReflectionFile(models.Model):
    """A photo (re-encoded, without EXIF) or a voice recording of a 心得, in the private upload storage."""

    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=private_storage, upload_to=reflection_upload_path, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.file.name


class ActivityCompletion(models.Model):
    """An activity a member completed (its tasks, 心得, attendance, check-ins and quiz as it asks); points once."""

    activity = models.ForeignKey(ActivityPage, on_delete=models.CASCADE, related_name="completions")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="completed_activities")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="activity_completed_once")]
        verbose_name = verbose_name_plural = "完成活动"

    def __str__(self) -> str:
        return f"{self.activity_id} {self.member_id}"


class QuestionBank(models.Model):
    """A bank of questions (题库): for the daily set, or an activity's 专项测评; a district's own or the city's."""

    name = models.CharField("题库名称", max_length=60)
    district = models.ForeignKey(
        District, verbose_name="县市区", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="留空表示全市题库。",
    )
    daily = models.BooleanField("用于每日答题", default=True)
    description = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "题库"

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """One question: single or multiple choice, or true/false; its answer letters, explanation and source item."""

    SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "truefalse"
    KINDS = [(SINGLE, "单选题"), (MULTIPLE, "多选题"), (TRUE_FALSE, "判断题")]
    TRUE_FALSE_CHOICES = ["正确", "错误"]

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions", verbose_name="题库")
    kind = models.CharField("题型", max_length=10, choices=KINDS, default=SINGLE)
    text = models.TextField("题目")
    choices = models.TextField("选项", blank=True, help_text="每行一个选项，依次为 A、B、C…；判断题不用填。")
    answer = models.CharField("答案", max_length=10, help_text="选项字母，如 B；多选题如 ACD；判断题填 A（正确）或 B（错误）。")
    explanation = models.TextField("解析", blank=True)
    source = models.ForeignKey(
        LibraryItemPage, verbose_name="出处（资源库中的资源）", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField("启用", default=True)

    panels = [
        FieldRowPanel([FieldPanel("bank"), FieldPanel("kind"), FieldPanel("active")]),
        FieldPanel("text"),
        FieldPanel("choices"),
        FieldRowPanel([FieldPanel("answer")]),
        FieldPanel("explanation"),
        PageChooserPanel("source"),
    ]

    class Meta:
        ordering = ["bank", "pk"]
        verbose_name = verbose_name_plural = "题目"

    def __str__(self) -> str:
        return self.text[:40]

    def choice_list(self) -> list[str]:
        if self.kind == self.TRUE_FALSE:
            return list(self.TRUE_FALSE_CHOICES)
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        letters = "".join(sorted(set(self.answer.strip().upper().replace(",", "").replace("，", "").replace(" ", ""))))
        choices = self.choice_list()
        if self.kind != self.TRUE_FALSE and len(choices) < 2:
            raise ValidationError({"choices": "请至少填写两个选项，每行一个。"})
        allowed = "ABCDEFGHIJ"[: len(choices)]
        if not letters or any(letter not in allowed for letter in letters):
            raise ValidationError({"answer": f"答案应为选项字母（{allowed[0]}–{allowed[-1]}）。"})
        if self.kind != self.MULTIPLE and len(letters) != 1:
            raise ValidationError({"answer": "单选题和判断题只有一个答案。"})
        self.answer = letters


class QuizAttempt(models.Model):
    """One member's go at a quiz: the daily set ("daily:2026-11-30") or an activity's ("activity:12")."""

    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="quiz_attempts")
    district = models.ForeignKey(District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    quiz_key = models.CharField(max_length=40)
    activity = models.ForeignKey(ActivityPage, on_delete=models.CASCADE, null=True, blank=True, related_name="quiz_attempts")
    question_ids = models.JSONField(default=list)  # the questions drawn, in the order shown
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(default=0)  # correct answers

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "quiz_key"], name="quiz_attempt_once")]
        indexes = [models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"{self.quiz_key} {self.member_id}"


class QuizAnswer(models.Model):
    """An answer to one question of an attempt (kept after the member leaves, for the per-question figures)."""

    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    chosen = models.CharField(max_length=10)
    correct = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="quiz_answer_once")]
        indexes = [models.Index(fields=["question", "correct"])]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.chosen}"
