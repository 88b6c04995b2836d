"""Question banks (题库) and questions in the Wagtail admin, and their spreadsheet import.

Organisers are the members' organisers (members.admin_views.may_manage_members): city editors see and edit every
bank; a district's editors only their district's banks and those banks' questions — the city's banks are not
shown to them at all (they are the city's to keep), and a bank they create belongs to their district. Deleting is
the city's decision (as with members); a district editor retires a question by unticking 「启用」.

The import reads a sheet (题库, 题型, 题目, 选项A…选项F or 选项 with one choice per line, 答案, 解析, 出处编号) with
the catalogue import's reader, checks every row, and writes all or nothing. A row whose bank already has a
question with the same 题目 updates it, so importing a sheet twice changes nothing; a bank named in the sheet that
does not exist yet is created (for the importer's district, or the city's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList, PageChooserPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from content_models.importing.formats import header_key, text_of
from content_models.importing.reading import SheetError, open_sheet
from content_models.importing.report import ImportReport, RowError
from content_models.models import LibraryItemPage
from content_models.taxonomy import District
from content_models.workspaces import editor_districts
from members.admin_views import DistrictPolicy, in_user_districts, may_manage_members
from members.forms import limit_to_user_districts
from members.wagtail_hooks import DistrictScopedViewSet, ScopedIndexView

from .models import Question, QuestionBank

KINDS = {"单选": Question.SINGLE, "单选题": Question.SINGLE, "多选": Question.MULTIPLE, "多选题": Question.MULTIPLE,
         "判断": Question.TRUE_FALSE, "判断题": Question.TRUE_FALSE}
TRUE_FALSE_ANSWERS = {"正确": "A", "对": "A", "√": "A", "是": "A", "错误": "B", "错": "B", "×": "B", "否": "B"}
CHOICE_LETTERS = "ABCDEF"
REQUIRED = ["题库", "题型", "题目", "答案"]
UPDATED_FIELDS = ["kind", "choices", "answer", "explanation", "source_id"]
FIELD_COLUMNS = {"choices": "选项", "answer": "答案", "text": "题目", "kind": "题型"}


def in_user_banks(queryset: QuerySet[Question], user) -> QuerySet[Question]:
    """Questions of the banks `user` may manage (a district editor: their districts' banks)."""
    if editor_districts(user) is None:
        return queryset
    return queryset.filter(bank__in=in_user_districts(QuestionBank.objects.all(), user))


# ---- banks and questions -------------------------------------------------------------------------------------


class BankForm(WagtailAdminModelForm):
    class Meta:
        model = QuestionBank
        fields = ["name", "district", "daily", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_to_user_districts(self, self.for_user)
        if self.for_user is not None and editor_districts(self.for_user) is not None:
            self.fields["district"].required = True  # a district's editors keep banks for their district only
            self.fields["district"].help_text = "本县市区的题库只给本县市区的党员出题。"


class QuestionForm(WagtailAdminModelForm):
    class Meta:
        model = Question
        fields = ["bank", "kind", "active", "text", "choices", "answer", "explanation", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None:
            self.fields["bank"].queryset = in_user_districts(QuestionBank.objects.all(), self.for_user)


class QuestionPolicy(DistrictPolicy):
    """Questions follow their bank's district (DistrictPolicy's rules, scoped through the bank)."""

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        return self.user_has_permission(user, action) and in_user_banks(
            Question.objects.filter(pk=instance.pk), user
        ).exists()

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return Question.objects.none()
        return in_user_banks(Question.objects.all(), user)


class InUserBanks:
    """Mixed into the question views: a question of another district's (or the city's) bank is not there (404)."""

    def get_base_queryset(self):
        return in_user_banks(super().get_base_queryset(), self.request.user)

    def get_queryset(self):
        return in_user_banks(super().get_queryset(), self.request.user)

    def get_base_object_queryset(self):
        return in_user_banks(super().get_base_object_queryset(), self.request.user)


class QuestionIndexView(InUserBanks, generic.IndexView):
    pass


class QuestionEditView(InUserBanks, generic.EditView):
    pass


class QuestionDeleteView(InUserBanks, generic.DeleteView):
    pass


class QuestionHistoryView(InUserBanks, history.HistoryView):
    pass


class QuestionUsageView(InUserBanks, usage.UsageView):
    pass


class QuestionBankViewSet(DistrictScopedViewSet):
    model = QuestionBank
    name = "activities_questionbank"
    url_prefix = "quiz/banks"
    icon = "folder-open-inverse"
    menu_label = "题库"
    menu_name = "question-banks"
    index_view_class = ScopedIndexView
    list_display = ["name", Column("district", label="县市区（空为全市）"), "daily", "description"]
    list_filter = ["daily"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldRowPanel([FieldPanel("district"), FieldPanel("daily")]), FieldPanel("description")],
        base_form_class=BankForm,
    )


class QuestionViewSet(DistrictScopedViewSet):
    model = Question
    name = "activities_question"
    url_prefix = "quiz/questions"
    icon = "help"
    menu_label = "题目"
    menu_name = "questions"
    index_view_class = QuestionIndexView
    edit_view_class = QuestionEditView
    delete_view_class = QuestionDeleteView
    history_view_class = QuestionHistoryView
    usage_view_class = QuestionUsageView
    list_display = ["text", "bank", "kind", "answer", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["text"]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("bank"), FieldPanel("kind"), FieldPanel("active")]),
        FieldPanel("text"),
        FieldPanel("choices"),
        FieldPanel("answer"),
        FieldPanel("explanation"),
        PageChooserPanel("source"),
    ], base_form_class=QuestionForm)


class QuizMenu(ViewSetGroup):
    menu_label = "答题"
    menu_name = "quiz-menu"
    menu_icon = "help"
    menu_order = 228
    items = (QuestionBankViewSet, QuestionViewSet)
    submenu_hook = "register_quiz_menu_item"


register_permission_policy(QuestionBank, DistrictPolicy(QuestionBank))
register_permission_policy(Question, QuestionPolicy(Question))


@hooks.register("register_admin_viewset")
def register_quiz_menu():
    return QuizMenu()


# ---- spreadsheet import ----------------------------------------------------------------------------------------


@dataclass
class QuestionImport:
    report: ImportReport
    # (row, checked question (unsaved), the question of the same bank and 题目 it updates or None)
    rows: list[tuple[int, Question, Question | None]] = field(default_factory=list)
    new_banks: dict[str, QuestionBank] = field(default_factory=dict)  # by name, not saved yet
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (bank name, 题目) → first row


def _bank(name: str, banks: QuerySet[QuestionBank], districts: QuerySet[District] | None,
          plan: QuestionImport) -> QuestionBank | str:
    """The bank named `name` the importer may fill (the city's first), a new one, or the error message."""
    bank = banks.filter(name=name).order_by(F("district").asc(nulls_first=True), "pk").first() or plan.new_banks.get(name)
    if bank is not None:
        return bank
    if len(name) > 60:
        return "题库名称不能超过 60 个字。"
    own = None if districts is None else list(districts)
    if own is not None and len(own) != 1:
        return f"没有叫「{name}」的题库，请先在「答题 › 题库」里新建。"
    plan.new_banks[name] = QuestionBank(name=name, district=own[0] if own else None, daily=True)
    return plan.new_banks[name]


def _choices(cells: dict[str, str]) -> str:
    lettered = [cells[f"选项{letter}"] for letter in CHOICE_LETTERS if cells.get(f"选项{letter}")]
    return "\n".join(lettered) if lettered else cells.get("选项", "")


def _check_row(number: int, cells: dict[str, str], banks: QuerySet[QuestionBank], districts, plan: QuestionImport) -> None:
    report = plan.report
    before = len(report.errors)

    def error(column: str, message: str) -> None:
        report.errors.append(RowError(number, column, message))

    for column in REQUIRED:
        if not cells.get(column):
            error(column, "必须填写。")
    kind = KINDS.get(cells.get("题型", ""))
    if cells.get("题型") and kind is None:
        error("题型", "应为 单选、多选 或 判断。")
    bank = _bank(cells["题库"], banks, districts, plan) if cells.get("题库") else None
    if isinstance(bank, str):
        error("题库", bank)
    source_id = None
    if cells.get("出处编号"):
        if not cells["出处编号"].isdigit() or not LibraryItemPage.objects.filter(pk=int(cells["出处编号"])).exists():
            error("出处编号", f"资源库中没有编号为 {cells['出处编号']} 的资源（编号见资源编辑页的网址）。")
        else:
            source_id = int(cells["出处编号"])
    if len(report.errors) > before:
        return
    answer = cells["答案"]
    if kind == Question.TRUE_FALSE:
        answer = TRUE_FALSE_ANSWERS.get(answer, answer)
    question = Question(bank=bank, kind=kind, text=cells["题目"], choices="" if kind == Question.TRUE_FALSE else _choices(cells),
                        answer=answer, explanation=cells.get("解析", ""), source_id=source_id)
    try:
        question.clean()
    except ValidationError as problem:
        for name, messages in problem.message_dict.items():
            for message in messages:
                error(FIELD_COLUMNS.get(name, ""), message)
        return
    first = plan.seen.setdefault((cells["题库"], question.text), number)
    if first != number:
        error("题目", f"与第 {first} 行是同一题库的同一道题。")
        return
    existing = Question.objects.filter(bank=bank, text=question.text).first() if bank.pk else None
    if existing is None:
        report.created += 1
    elif _changed(existing, question):
        report.updated += 1
    else:
        report.unchanged += 1
    plan.rows.append((number, question, existing))


def check_sheet(data: bytes, filename: str, districts: QuerySet[District] | None = None) -> QuestionImport:
    """Read and check a sheet; `districts` (None: the city) are those whose banks the importer may fill."""
    plan = QuestionImport(ImportReport(type_label="题目"))
    report = plan.report
    try:
        sheet = open_sheet(data, filename)
    except SheetError as problem:
        report.errors.append(RowError(0, "", str(problem)))
        return plan
    try:
        by_key = {header_key(h): h for h in sheet.headers if h}
        missing = [title for title in REQUIRED if header_key(title) not in by_key]
        if not any(header_key(t) in by_key for t in ["选项", *(f"选项{letter}" for letter in CHOICE_LETTERS)]):
            missing.append("选项")
        for title in missing:
            report.errors.append(RowError(0, title, "表头缺少这一列（需要：题库、题型、题目、选项A…选项F 或 选项、答案；可选：解析、出处编号）。"))
        if missing:
            return plan
        titles = [*REQUIRED, "解析", "出处编号", "选项", *(f"选项{letter}" for letter in CHOICE_LETTERS)]
        banks = QuestionBank.objects.all() if districts is None else QuestionBank.objects.filter(district__in=districts)
        for number, values in sheet.rows():
            report.total += 1
            cells = {t: text_of(values.get(by_key[header_key(t)])) for t in titles if header_key(t) in by_key}
            _check_row(number, cells, banks, districts, plan)
    except SheetError as problem:
        report.errors.append(RowError(0, "", str(problem)))
    finally:
        sheet.close()
    return plan


@transaction.atomic
def write(plan: QuestionImport) -> ImportReport:
    """Save the checked questions (only when no row had an error): new banks first, then each question created or
    updated as the check found."""
    report = plan.report
    if report.errors:
        return report
    for bank in plan.new_banks.values():
        bank.save()
    for _number, question, existing in plan.rows:
        if existing is None:
            question.save()
        elif _changed(existing, question):
            for name in UPDATED_FIELDS:
                setattr(existing, name, getattr(question, name))
            existing.save()
    report.written = True
    return report


def _changed(existing: Question, question: Question) -> bool:
    return any(getattr(existing, name) != getattr(question, name) for name in UPDATED_FIELDS)


class ImportForm(forms.Form):
    sheet = forms.FileField(label="题目表格（.xlsx 或 .csv）",
                            help_text="表头：题库、题型、题目、选项A…选项F（或一列「选项」，每行一个）、答案、解析、出处编号。")


def import_questions(request: HttpRequest) -> HttpResponse:
    """「检查」 shows the row errors; 「导入」 checks again and writes only when every row is right."""
    if not may_manage_members(request.user):
        raise PermissionDenied
    districts = editor_districts(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "districts": districts}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["sheet"]
        plan = check_sheet(upload.read(), upload.name, districts)
        report = plan.report
        if request.POST.get("action") == "write":
            write(plan)
        context.update(report=report, errors=report.errors[:200], more_errors=max(0, len(report.errors) - 200))
    return render(request, "activities/admin/question_import.html", context)


@hooks.register("register_admin_urls")
def register_question_import_url():
    return [path("quiz/import/", import_questions, name="question_import")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return may_manage_members(request.user)


@hooks.register("register_quiz_menu_item")
def register_import_menu_item():
    return ImportMenuItem("导入题目", reverse("question_import"), icon_name="table", order=30)
