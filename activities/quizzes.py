"""Quizzes: drawing the daily set and an activity's questions, checking answers, scores and points.

A quiz is one QuizAttempt per member and key ("daily:2026-11-30", "activity:12"); its questions are drawn once,
deterministically from the member and the key, and kept in the attempt, so a reload or another phone shows the
same set. Each question is answered once (QuizAnswer is unique per attempt and question). When the last one is
answered the attempt is finished and scored, and the quiz rule's points are granted: the rule's points for each
correct answer (PointRule.QUIZ, key "quiz:<quiz key>", so granting again changes nothing).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from members.models import Member, PointRule
from members.points import grant, rule_on

from .models import ActivityPage, Question, QuizAnswer, QuizAttempt
from .progress import complete_if_done


def daily_key(day: date) -> str:
    return f"daily:{day.isoformat()}"


def activity_key(activity: ActivityPage) -> str:
    return f"activity:{activity.pk}"


def daily_pool(member: Member) -> QuerySet[Question]:
    """Active questions of the daily banks: the city's, and the member's own district's."""
    return Question.objects.filter(active=True, bank__daily=True).filter(
        Q(bank__district__isnull=True) | Q(bank__district_id=member.district_id)
    )


def draw(pool: QuerySet[Question], size: int, seed: str) -> list[int]:
    """`size` question ids from `pool` (all of them when fewer), the same for the same seed and pool."""
    ids = sorted(pool.values_list("pk", flat=True))
    return random.Random(seed).sample(ids, min(size, len(ids)))


def start(member: Member, quiz_key: str, pool: QuerySet[Question], size: int,
          activity: ActivityPage | None = None) -> QuizAttempt | None:
    """The member's attempt at `quiz_key`, drawn now if it is the first visit; None when the pool is empty."""
    attempt = QuizAttempt.objects.filter(member=member, quiz_key=quiz_key).first()
    if attempt is not None:
        return attempt
    question_ids = draw(pool, size, f"{member.pk}:{quiz_key}")
    if not question_ids:
        return None
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                member=member, district_id=member.district_id, quiz_key=quiz_key, activity=activity,
                question_ids=question_ids,
            )
    except IntegrityError:  # the same member's other request drew it a moment ago
        return QuizAttempt.objects.get(member=member, quiz_key=quiz_key)


def start_daily(member: Member, day: date | None = None) -> QuizAttempt | None:
    day = day or timezone.localdate()
    return start(member, daily_key(day), daily_pool(member), settings.DAILY_QUIZ_SIZE)


def start_activity(member: Member, activity: ActivityPage) -> QuizAttempt | None:
    pool = Question.objects.filter(active=True, bank_id=activity.quiz_bank_id)
    return start(member, activity_key(activity), pool, activity.quiz_size, activity)


def questions_of(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in the order drawn (a question deleted since is left out)."""
    by_id = Question.objects.select_related("bank").in_bulk(attempt.question_ids)
    return [by_id[pk] for pk in attempt.question_ids if pk in by_id]


def next_question(attempt: QuizAttempt) -> Question | None:
    answered = set(attempt.answers.values_list("question_id", flat=True))
    return next((q for q in questions_of(attempt) if q.pk not in answered), None)


def letters_of(question: Question, chosen: list[str]) -> str:
    """The chosen letters, checked against the question's choices; ValueError with the message for the member."""
    allowed = "ABCDEFGHIJ"[: len(question.choice_list())]
    letters = "".join(sorted({c.strip().upper() for c in chosen if c.strip()}))
    if not letters:
        raise ValueError("请先选择答案，再点「提交答案」。" if question.kind != Question.MULTIPLE else "请至少选择一项，再点「提交答案」。")
    if any(letter not in allowed for letter in letters) or (question.kind != Question.MULTIPLE and len(letters) > 1):
        raise ValueError("这个答案不在选项里，请重新选择。")
    return letters


@dataclass
class Outcome:
    """What answering did: the answer (the earlier one if the question was answered already) and, when the quiz is
    now finished, the score and the points it earned."""

    answer: QuizAnswer
    finished: bool
    score: int
    total: int
    points: int


def answer(member: Member, attempt: QuizAttempt, question: Question, letters: str) -> Outcome:
    """Record `letters` for `question` once; the second answer to the same question changes nothing."""
    try:
        with transaction.atomic():
            recorded = QuizAnswer.objects.create(
                attempt=attempt, question=question, chosen=letters, correct=letters == question.answer
            )
    except IntegrityError:
        recorded = QuizAnswer.objects.get(attempt=attempt, question=question)
    return Outcome(recorded, *finish_if_done(member, attempt))


def finish_if_done(member: Member, attempt: QuizAttempt) -> tuple[bool, int, int, int]:
    """(finished, score, number of questions, points) — scoring and granting once when every question is answered."""
    # A question deleted since it was drawn (its answers went with it) no longer counts: the attempt can still finish.
    remaining = [question.pk for question in questions_of(attempt)]
    total = len(remaining)
    answers = attempt.answers.all()
    if answers.count() < total:
        return False, 0, total, 0
    score = answers.filter(correct=True).count()
    now = timezone.now()
    finished = QuizAttempt.objects.filter(pk=attempt.pk, finished_at__isnull=True)
    if finished.update(finished_at=now, score=score, question_ids=remaining):
        attempt.finished_at, attempt.score, attempt.question_ids = now, score, remaining
        if attempt.activity_id:
            complete_if_done(member, attempt.activity)
    return True, score, total, points_for(member, attempt, score)


def points_for(member: Member, attempt: QuizAttempt, score: int) -> int:
    """The quiz rule's points for each correct answer (granted once per attempt; a repeat returns what is held)."""
    day = timezone.localdate(attempt.started_at)
    rule = rule_on(PointRule.QUIZ, day)
    return grant(member, PointRule.QUIZ, f"quiz:{attempt.quiz_key}", day, points=(rule.points if rule else 0) * score)


def percent(score: int, total: int) -> int:
    return round(100 * score / total) if total else 0
