"""The members' quiz pages: the daily set and an activity's 专项测评, one question per screen, without JavaScript.

GET shows the next unanswered question (or, when all are answered, the score); POST answers it (a form with the
CSRF token: these are dynamic pages) and shows whether it was right, the correct answer, the explanation and the
source item, then 「下一题」. Answering is once per question, so a repeated POST only shows the first answer again.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from members.accounts import login_redirect, member_page, theme_not_found
from members.archive import item_link, visible_items
from members.models import Member
from members.sessions import current_member

from . import quizzes
from .access import visible_activities
from .models import ActivityCompletion, Question, QuizAttempt
from .signups import find_activity

DAILY_PATH = "/me/quiz/daily/"
ACTIVITY_QUIZZES_LISTED = 10


def source_link(member: Member, question: Question) -> dict | None:
    """The question's source item as the member may open it: its public page, their own district's members' page,
    or nothing (a draft, another district's item, a deleted one)."""
    if not question.source_id:
        return None
    page = visible_items(member, [question.source_id]).get(question.source_id)
    return {"title": page.title, "url": item_link(page, None)} if page else None


def _choices(question: Question) -> list[dict]:
    return [{"letter": "ABCDEFGHIJ"[i], "text": text} for i, text in enumerate(question.choice_list())]


def _answer_text(question: Question, letters: str) -> str:
    """「B．1921年」, several joined with 「；」."""
    choices = {c["letter"]: c["text"] for c in _choices(question)}
    return "；".join(f"{letter}．{choices.get(letter, '')}" for letter in letters)


def _summary(member: Member, attempt: QuizAttempt) -> dict:
    finished, score, total, points = quizzes.finish_if_done(member, attempt)
    summary = {"finished": finished, "score": score, "total": total, "points": points,
               "percent": quizzes.percent(score, total)}
    if finished and attempt.activity_id:  # the campaign's pass mark, and whether the activity is now complete
        activity = attempt.activity
        summary.update(passed=summary["percent"] >= activity.quiz_pass_percent, activity_points=activity.points,
                       completed=ActivityCompletion.objects.filter(activity=activity, member=member).exists())
    return summary


def _run(request: HttpRequest, member: Member, attempt: QuizAttempt, base: dict) -> HttpResponse:
    """The question screen (GET), the answer's result (POST), or the score once every question is answered."""
    questions = quizzes.questions_of(attempt)
    total = len(attempt.question_ids)
    if request.method == "POST":
        try:
            question_id = int(request.POST.get("question", ""))
        except ValueError:
            question_id = 0
        question = next((q for q in questions if q.pk == question_id), None)
        if question is None:
            return member_page(request, "me_quiz.html", {**base, "error": "这道题不在本次答题中，请点「继续答题」。",
                                                           "summary": _summary(member, attempt)}, status=400)
        try:
            letters = quizzes.letters_of(question, request.POST.getlist("choice"))
        except ValueError as problem:
            return _question_page(request, base, question, questions, total, str(problem), 400)
        outcome = quizzes.answer(member, attempt, question, letters)
        recorded = outcome.answer
        return member_page(request, "me_quiz.html", {
            **base, "result": True, "question": question, "number": questions.index(question) + 1, "count": total,
            "correct": recorded.correct, "chosen": _answer_text(question, recorded.chosen),
            "right_answer": _answer_text(question, question.answer), "source": source_link(member, question),
            "summary": _summary(member, attempt) if outcome.finished else None,
        })
    question = quizzes.next_question(attempt)
    if question is None:
        return member_page(request, "me_quiz.html", {**base, "summary": _summary(member, attempt)})
    return _question_page(request, base, question, questions, total)


def _question_page(request: HttpRequest, base: dict, question: Question, questions: list[Question], total: int,
                   error: str = "", status: int = 200) -> HttpResponse:
    return member_page(request, "me_quiz.html", {
        **base, "question": question, "number": questions.index(question) + 1, "count": total,
        "choices": _choices(question), "multiple": question.kind == Question.MULTIPLE,
        "kind": question.get_kind_display(), "error": error,
    }, status=status)


@require_GET
def quiz_home(request: HttpRequest) -> HttpResponse:
    """/me/quiz/: today's set (how far the member is) and the campaign quizzes of the activities they may join."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.get_full_path())
    attempt = quizzes.start_daily(member)
    today = timezone.localdate()
    activities = list(visible_activities(member).filter(quiz_bank__isnull=False)[:ACTIVITY_QUIZZES_LISTED])
    done = set(QuizAttempt.objects.filter(member=member, activity__in=activities, finished_at__isnull=False)
               .values_list("activity_id", flat=True))
    return member_page(request, "me_quiz.html", {
        "title": "每日答题", "home": True, "day": f"{today.month}月{today.day}日",
        "attempt": attempt, "answered": attempt.answers.count() if attempt else 0,
        "summary": _summary(member, attempt) if attempt else None,
        "activities": [{"title": a.title, "url": f"/me/quiz/activity/{a.pk}/", "done": a.pk in done} for a in activities],
    })


@require_http_methods(["GET", "HEAD", "POST"])
def daily_quiz(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    if member is None:
        return login_redirect(request.path)
    attempt = quizzes.start_daily(member)
    today = timezone.localdate()
    base = {"title": f"每日答题 · {today.month}月{today.day}日", "action": DAILY_PATH, "back": "/me/quiz/"}
    if attempt is None:
        return member_page(request, "me_quiz.html", {**base, "empty": True})
    return _run(request, member, attempt, base)


@require_http_methods(["GET", "HEAD", "POST"])
def activity_quiz(request: HttpRequest, activity_id: int) -> HttpResponse:
    """/me/quiz/activity/<id>/: the activity's 专项测评, once per member, with its pass mark."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.path)
    activity = find_activity(member, activity_id)
    if activity is None or not activity.quiz_bank_id:  # not visible to the member, or with no 专项测评
        return theme_not_found()
    base = {
        "title": f"{activity.title} · 专项测评", "action": f"/me/quiz/activity/{activity.pk}/",
        "back": f"/me/activities/{activity.pk}/", "pass_percent": activity.quiz_pass_percent,
    }
    attempt = quizzes.start_activity(member, activity)
    if attempt is None:
        return member_page(request, "me_quiz.html", {**base, "empty": True})
    return _run(request, member, attempt, base)


urlpatterns: list = [
    path("me/quiz/", quiz_home, name="member_quiz"),
    path("me/quiz/daily/", daily_quiz, name="member_quiz_daily"),
    path("me/quiz/activity/<int:activity_id>/", activity_quiz, name="member_quiz_activity"),
]
