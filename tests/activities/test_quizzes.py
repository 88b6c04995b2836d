"""Quizzes through HTTP as a member's phone uses them: the daily set (deterministic, one question per screen, each
answered once, explanation and source link, score and points), a campaign's 专项测评 (pass → the activity is
completed with its points), district banks kept to their district, and the login and CSRF rules."""

from __future__ import annotations

import gzip
import re

import pytest
from django.test import Client
from django.utils import timezone

from activities.models import ActivityCompletion, ActivityPage, Question, QuestionBank, QuizAnswer, QuizAttempt
from activities.quiz_demo import BANK_NAME
from content_models.models import LibraryItemPage
from content_models.taxonomy import District
from members.models import Member, PointAward
from tests.activities.helpers import as_member, enrol, make_activity

DAILY = "/me/quiz/daily/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(tiny_catalogue, client) -> Member:
    """The demo member (南关区), logged in on `client`; the demo bank of twelve questions is the daily pool."""
    member = Member.objects.get(phone="13900000001")
    as_member(client, member)
    return member


def shown_question(html: str) -> Question:
    ids = re.findall(r'name="question" value="(\d+)"', html)
    assert len(ids) == 1, "one question per screen"
    return Question.objects.get(pk=ids[0])


def wrong_answer(question: Question) -> str:
    return next(letter for letter in "ABCDE" if letter != question.answer[0])


def answer(client, path: str, question: Question, right: bool):
    letters = list(question.answer) if right else [wrong_answer(question)]
    return client.post(path, {"question": question.pk, "choice": letters})


def only_active(*texts_containing: str) -> None:
    """Leave just the demo questions whose text contains one of these words in the daily pool."""
    for question in Question.objects.all():
        question.active = any(word in question.text for word in texts_containing)
        question.save()


def test_anonymous_visitors_are_sent_to_the_login_form(tiny_catalogue, client):
    for path in ("/me/quiz/", DAILY, "/me/quiz/activity/1/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == f"/me/login/?next={path.replace('/', '%2F')}"
    assert client.post(DAILY, {"question": 1, "choice": "A"})["Location"].startswith("/me/login/")
    assert not QuizAttempt.objects.exists() and not QuizAnswer.objects.exists()


def test_the_daily_set_is_drawn_once_per_member_and_day_and_shown_one_question_a_screen(client, wang):
    home = client.get("/me/quiz/")
    assert home.status_code == 200 and home["Cache-Control"] == "private, no-store"
    assert "共 5 道题，已答 0 道" in home.content.decode() and 'href="/me/quiz/daily/">开始答题' in home.content.decode()
    attempt = QuizAttempt.objects.get(member=wang)
    key = f"daily:{timezone.localdate().isoformat()}"
    assert attempt.quiz_key == key and attempt.district == wang.district and len(attempt.question_ids) == 5
    bank = set(Question.objects.filter(bank__name=BANK_NAME).values_list("pk", flat=True))
    assert set(attempt.question_ids) <= bank and len(set(attempt.question_ids)) == 5

    page = client.get(DAILY)
    html = page.content.decode()
    first = shown_question(html)
    assert first.pk == attempt.question_ids[0] and first.text in html and "第 1 题 / 共 5 题" in html
    assert 'method="post"' in html and 'name="csrfmiddlewaretoken"' in html and "提交答案" in html
    assert "<script" not in html.split("</head>")[1]  # works without JavaScript
    assert len(gzip.compress(page.content)) < 14 * 1024  # the first round trip on a slow phone
    kind = 'type="checkbox"' if first.kind == Question.MULTIPLE else 'type="radio"'
    assert html.count(kind) == len(first.choice_list())

    drawn = list(attempt.question_ids)
    attempt.delete()  # drawn again from the same member, day and pool: the same set
    client.get(DAILY)
    assert QuizAttempt.objects.get(member=wang, quiz_key=key).question_ids == drawn


def test_each_answer_once_with_explanation_and_source_then_the_score_and_points(client, wang):
    client.get(DAILY)
    attempt = QuizAttempt.objects.get(member=wang)
    for number in range(1, 6):
        question = shown_question(client.get(DAILY).content.decode())
        assert question.pk == attempt.question_ids[number - 1]
        response = answer(client, DAILY, question, right=number <= 3)
        html = response.content.decode()
        assert response.status_code == 200 and f"第 {number} 题 / 共 5 题" in html
        assert ("回答正确！" if number <= 3 else "回答错误。") in html
        assert f"<dt>正确答案</dt><dd>{question.answer[0]}．" in html and question.explanation in html
        if number == 1:
            again = answer(client, DAILY, question, right=False)  # a second POST for the same question
            assert "回答正确！" in again.content.decode()
            assert QuizAnswer.objects.get(attempt=attempt, question=question).correct
        if number < 5:
            assert 'href="/me/quiz/daily/">下一题' in html and "答题结束" not in html
    assert "答题结束" in html and "共 5 题，答对 3 题（60 分），得 3 积分" in html
    assert QuizAnswer.objects.filter(attempt=attempt).count() == 5
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == 3
    award = PointAward.objects.get(member=wang, key=f"quiz:{attempt.quiz_key}")
    assert (award.kind, award.points) == ("quiz", 3)  # the rule's 1 point for each correct answer
    assert "已经答完：答对 3 题，得 3 积分" in client.get("/me/quiz/").content.decode()
    assert "共 5 题，答对 3 题" in client.get(DAILY).content.decode()
    assert PointAward.objects.filter(member=wang, kind="quiz").count() == 1


def test_the_source_link_leads_where_the_member_may_read_and_nowhere_else(tiny_catalogue, client):
    only_active("三会一课", "红旗渠", "第一次全国代表大会")
    internal = LibraryItemPage.objects.get(slug="news-0002")  # district-only news of its district
    book = LibraryItemPage.objects.get(slug="ebook-0001").specific
    own = enrol(101, internal.district.slug)
    other = enrol(102, "nanguan" if internal.district.slug != "nanguan" else "kuancheng")
    for member, expect_internal in ((own, True), (other, False)):
        member_client = as_member(Client(), member)
        links = {}
        for _ in range(3):
            question = shown_question(member_client.get(DAILY).content.decode())
            html = answer(member_client, DAILY, question, right=True).content.decode()
            links[question.text[:3]] = re.findall(r"<dt>出处</dt><dd><a href=\"([^\"]+)\">", html)
        assert links["中国共"] == [book.site_path]
        assert links["“三会"] == ([f"/me/district/{internal.pk}/"] if expect_internal else [])
        assert links["红旗渠"] == []  # a draft book: no link, no title
        assert "红旗渠精神读本" not in html


def test_a_districts_bank_is_drawn_for_its_members_only(tiny_catalogue, client):
    only_active()  # no demo question
    nanguan = District.objects.get(slug="nanguan")
    bank = QuestionBank.objects.create(name="南关区红色地标知识", district=nanguan)
    own_question = Question.objects.create(bank=bank, kind=Question.TRUE_FALSE, text="南关区有抗联英雄纪念馆。", answer="A")
    member = enrol(103, "nanguan")
    assert shown_question(as_member(Client(), member).get(DAILY).content.decode()) == own_question
    stranger = as_member(Client(), enrol(104, "kuancheng"))
    assert "这里暂时还没有题目" in stranger.get(DAILY).content.decode()
    assert "今天还没有题目" in stranger.get("/me/quiz/").content.decode()
    assert not QuizAttempt.objects.filter(member__district__slug="kuancheng").exists()


def test_bad_answers_get_a_clear_message_and_record_nothing(client, wang):
    question = shown_question(client.get(DAILY).content.decode())
    empty = client.post(DAILY, {"question": question.pk})
    assert empty.status_code == 400 and "再点「提交答案」" in empty.content.decode()
    assert shown_question(empty.content.decode()) == question
    outside = client.post(DAILY, {"question": 999999, "choice": "A"})
    assert outside.status_code == 400 and "这道题不在本次答题中" in outside.content.decode()
    bogus = client.post(DAILY, {"question": question.pk, "choice": "Z"})
    assert bogus.status_code == 400 and "这个答案不在选项里" in bogus.content.decode()
    assert not QuizAnswer.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(wang):
    strict = as_member(Client(enforce_csrf_checks=True), wang)
    question = shown_question(strict.get(DAILY).content.decode())
    assert strict.post(DAILY, {"question": question.pk, "choice": question.answer[0]}).status_code == 403
    assert not QuizAnswer.objects.exists()


@pytest.fixture
def campaign(tiny_catalogue) -> ActivityPage:
    """A 学习任务 campaign whose only requirement is its quiz: 2 questions of a non-daily bank, pass mark 50."""
    bank = QuestionBank.objects.create(name="冬季红色历史专项测评", daily=False)
    for text, correct in (("长春于1948年10月和平解放。", "A"), ("东北抗日联军第一路军总司令是赵尚志。", "B")):
        Question.objects.create(bank=bank, kind=Question.TRUE_FALSE, text=text, answer=correct,
                                explanation="长春1948年10月解放；抗联第一路军总司令是杨靖宇。")
    return make_activity("冬季红色历史学习", kind=ActivityPage.CAMPAIGN, quiz_bank=bank, quiz_size=2,
                         quiz_pass_percent=50, points=20)


def test_passing_a_campaign_quiz_completes_the_activity_with_its_points(client, wang, campaign):
    path = f"/me/quiz/activity/{campaign.pk}/"
    assert 'href="/me/quiz/activity/' in client.get("/me/quiz/").content.decode()
    for right in (True, False):
        question = shown_question(client.get(path).content.decode())
        html = answer(client, path, question, right).content.decode()
    assert "共 2 题，答对 1 题（50 分），得 1 积分" in html and "及格线 50 分，测评通过" in html
    assert "这个学习活动已全部完成，获得 20 积分" in html
    assert ActivityCompletion.objects.filter(activity=campaign, member=wang).exists()
    assert PointAward.objects.get(member=wang, key=f"activity:{campaign.pk}").points == 20
    assert PointAward.objects.get(member=wang, key=f"quiz:activity:{campaign.pk}").points == 1
    again = client.get(path).content.decode()  # once per member: the score, not a new set
    assert 'name="question"' not in again and "测评通过" in again
    assert QuizAttempt.objects.filter(member=wang, quiz_key=f"activity:{campaign.pk}").count() == 1


def test_failing_the_campaign_quiz_leaves_the_activity_open(campaign):
    member_client = as_member(Client(), enrol(105))
    path = f"/me/quiz/activity/{campaign.pk}/"
    for _ in range(2):
        question = shown_question(member_client.get(path).content.decode())
        html = answer(member_client, path, question, right=False).content.decode()
    assert "答对 0 题（0 分）" in html and "这次没有通过" in html and "已全部完成" not in html
    assert not ActivityCompletion.objects.exists() and not PointAward.objects.filter(kind="activity").exists()


def test_another_districts_activity_quiz_is_not_there(tiny_catalogue, campaign):
    private = make_activity("南关区专项测评", district="nanguan", district_only=True, kind=ActivityPage.CAMPAIGN,
                            quiz_bank=campaign.quiz_bank, quiz_size=2)
    stranger = as_member(Client(), enrol(106, "kuancheng"))
    response = stranger.get(f"/me/quiz/activity/{private.pk}/")
    assert response.status_code == 404 and "南关区专项测评" not in response.content.decode()
    assert as_member(Client(), enrol(107, "nanguan")).get(f"/me/quiz/activity/{private.pk}/").status_code == 200
    no_quiz = make_activity("红色经典诵读会")
    assert stranger.get(f"/me/quiz/activity/{no_quiz.pk}/").status_code == 404
    assert not QuizAttempt.objects.filter(member__district__slug="kuancheng").exists()
