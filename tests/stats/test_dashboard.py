"""The 「学习统计」 admin view on a known history: figures by time, district, column and item, the district
editor's share, the CSV export, the charts, and the roll-up command run twice."""

import csv
import io
import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from content_models.pages import LibraryItemPage
from content_models.taxonomy import District
from members.models import Member, StudyRecord
from stats.models import ColumnDay, DayTotal, DistrictDay, ItemDay, ItemMonth, VisitorMark

URL = "/admin/stats/"


@pytest.fixture
def history(tiny_catalogue):
    """2024-03-05/06: a 南关区 news item (10 views) and a city-wide book (4 views), 6 other visits, 3 visitors;
    a 南关区 member studies 10 + 20 minutes, a 宽城区 member 30 minutes of the book."""
    nanguan, kuancheng = District.objects.get(slug="nanguan"), District.objects.get(slug="kuancheng")
    news, book = LibraryItemPage.objects.get(slug="news-0001"), LibraryItemPage.objects.get(slug="ebook-0005")
    wang = Member.objects.create(name="王建国", phone="13900000101", district=nanguan, password="x")
    li = Member.objects.create(name="李秀英", phone="13900000102", district=kuancheng, password="x")
    first, second = date(2024, 3, 5), date(2024, 3, 6)
    for member, item, day, seconds in ((wang, news, first, 600), (wang, book, second, 1200), (li, book, first, 1800)):
        StudyRecord.objects.create(member=member, district=member.district, item_id=item.pk, day=day, seconds=seconds,
                                   updated_at="2024-03-06T20:00:00+08:00")
    ItemDay.objects.bulk_create([ItemDay(day=first, item_id=news.pk, views=10), ItemDay(day=first, item_id=book.pk, views=4),
                                 ItemDay(day=first, item_id=0, views=6)])
    VisitorMark.objects.bulk_create([VisitorMark(day=first, digest=f"{n:064x}") for n in range(3)])
    call_command("rollup_learning_stats", "--since", "2024-03-05", "--until", "2024-03-06")


def table(client, name: str, period: str = "2024", grain: str = "month") -> list[list[str]]:
    response = client.get(URL, {"period": period, "grain": grain, "csv": name})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_city_figures_by_time_district_column_and_item(admin_client_zh, history):
    series = table(admin_client_zh, "series")
    assert series[0] == ["时间", "访问量", "访客（每日去重）", "学习分钟", "日均活跃党员"]
    assert series[3] == ["2024年3月", "20", "3", "60", "0.1"]  # 3 member-days over 31 days
    assert len(series) == 13 and all(row[1] == "0" for row in series[1:] if row[0] != "2024年3月")
    assert table(admin_client_zh, "series", grain="day")[65:67] == [
        ["3月5日", "20", "3", "40", "2.0"], ["3月6日", "0", "0", "20", "1.0"]]
    districts = table(admin_client_zh, "districts")
    assert districts[1:4] == [["南关区", "10", "30", "0.0"], ["宽城区", "0", "30", "0.0"], ["全市（栏目页、首页等）", "10", "0", "0.0"]]
    assert table(admin_client_zh, "columns")[1:] == [
        ["中国梦", "4", "50", "0.0"], ["四个自信", "4", "50", "0.0"], ["时政要闻", "10", "10", "0.0"]]
    items = table(admin_client_zh, "items")
    assert items[1:] == [[LibraryItemPage.objects.get(slug="ebook-0005").title, "4", "50"],
                         [LibraryItemPage.objects.get(slug="news-0001").title, "10", "10"]]


def test_the_page_shows_totals_charts_and_tables_in_chinese(admin_client_zh, history):
    html = admin_client_zh.get(URL, {"period": "2024", "grain": "week"}).content.decode()
    assert "学习统计" in html and "2024年" in html
    assert "访客（每日去重后相加）" in html
    assert html.count('class="stats-chart"') == 5 and html.count('role="img" aria-label="按时间：学习分钟"') == 1
    assert "3月4日起一周" in html  # the week of 5 March 2024 starts on Monday the 4th
    assert "南关区" in html and "宽城区" in html


def test_a_district_editor_sees_only_their_districts_figures(client, history):
    client.force_login(get_user_model().objects.get(username="nanguan"))
    html = client.get(URL, {"period": "2024"}).content.decode()
    assert "只显示南关区的数据" in html and "访客" not in html.split("<h2>")[1]
    assert table(client, "series")[3] == ["2024年3月", "10", "30", "0.1"]
    assert table(client, "districts")[1:] == [["南关区", "10", "30", "0.0"]]
    assert table(client, "columns")[1:] == [["中国梦", "0", "20", "0.0"], ["四个自信", "0", "20", "0.0"], ["时政要闻", "10", "10", "0.0"]]
    assert table(client, "items")[1:] == [[LibraryItemPage.objects.get(slug="news-0001").title, "10", "10"]]


def test_editors_without_a_district_and_members_of_the_public_see_nothing(client, history):
    assert client.get(URL).status_code == 302  # to the admin login
    nobody = get_user_model().objects.create_user("visitor", password="pw", is_staff=True)
    client.force_login(nobody)
    assert client.get(URL).status_code in (302, 403, 404)


def test_the_roll_up_run_again_changes_nothing(history):
    def snapshot():
        return [sorted(repr(sorted((k, v) for k, v in row.items() if k != "id"))
                       for row in model.objects.filter(**{key: value}).values())
                for model, key, value in ((DayTotal, "day__year", 2024), (DistrictDay, "day__year", 2024),
                                          (ColumnDay, "day__year", 2024), (ItemDay, "day__year", 2024),
                                          (ItemMonth, "month__year", 2024))]

    before = snapshot()
    call_command("rollup_learning_stats", "--since", "2024-03-05", "--until", "2024-03-06")
    assert snapshot() == before
    assert before[0] and DayTotal.objects.get(day="2024-03-05").visitors == 3


def test_today_is_counted_live_before_any_roll_up(admin_client_zh, tiny_catalogue):
    from django.utils import timezone

    today = timezone.localdate()
    news = LibraryItemPage.objects.get(slug="news-0001")

    def today_row():
        rows = table(admin_client_zh, "series", period="month", grain="day")
        assert rows[-1][0] == f"{today.month}月{today.day}日"
        return [int(float(cell)) for cell in rows[-1][1:4]]

    visits, visitors, minutes = today_row()
    for agent in ("华为手机", "小米手机"):
        admin_client_zh.post("/api/stats/view", json.dumps({"page": news.pk, "path": "/news/1/"}), content_type="text/plain",
                             HTTP_ORIGIN="http://testserver", HTTP_USER_AGENT=agent, HTTP_X_FORWARDED_FOR="203.0.113.5")
    zhao = Member.objects.create(name="赵淑珍", phone="13900000103", district=news.district, password="x")
    StudyRecord.objects.create(member=zhao, district=zhao.district, item_id=news.pk, day=today, seconds=600,
                               updated_at=timezone.now())
    assert today_row() == [visits + 2, visitors + 2, minutes + 10]
    assert not DayTotal.objects.filter(day=today).exists()
    items = {row[0]: row[1:] for row in table(admin_client_zh, "items", period="month")[1:]}
    assert int(items[news.title][1]) >= 10


@pytest.fixture
def quiz_answers(tiny_catalogue):
    """Quizzes of 5 March 2024: two 南关区 members answer three questions (3 of 6 right), a 宽城区 member two (both
    wrong); an unfinished attempt and one from 2023 must not count."""
    from datetime import datetime

    from django.utils import timezone

    from activities.models import Question, QuestionBank, QuizAnswer, QuizAttempt

    nanguan, kuancheng = District.objects.get(slug="nanguan"), District.objects.get(slug="kuancheng")
    first = Question.objects.get(text__startswith="中国共产党第一次全国代表大会")
    zunyi = Question.objects.get(text__startswith="遵义会议")
    local = Question.objects.create(bank=QuestionBank.objects.create(name="南关区红色地标", district=nanguan),
                                    kind=Question.TRUE_FALSE, text="南关区有抗联英雄纪念馆。", answer="A")
    at = timezone.make_aware(datetime(2024, 3, 5, 20, 0))

    def attempt(phone: str, district: District, answers: dict, started=at, finished=True):
        member = Member.objects.create(name="党员", phone=phone, district=district, password="x")
        row = QuizAttempt.objects.create(member=member, district=district, quiz_key="daily:2024-03-05", started_at=started,
                                         finished_at=started if finished else None, question_ids=[q.pk for q in answers])
        for question, correct in answers.items():
            QuizAnswer.objects.create(attempt=row, question=question, chosen="A", correct=correct)

    attempt("13900000201", nanguan, {first: True, zunyi: False, local: False})
    attempt("13900000202", nanguan, {first: True, zunyi: False, local: True})
    attempt("13900000203", kuancheng, {first: False, zunyi: False})
    attempt("13900000204", kuancheng, {first: False}, finished=False)
    attempt("13900000205", kuancheng, {first: False}, started=at.replace(year=2023))
    return first, zunyi, local


def test_quiz_results_per_district_and_the_most_missed_questions(admin_client_zh, quiz_answers):
    first, zunyi, local = quiz_answers
    assert table(admin_client_zh, "quiz_districts") == [
        ["县市区", "完成答题次数", "答题党员", "平均正确率（%）"], ["南关区", "2", "2", "50.0"], ["宽城区", "1", "1", "0.0"]]
    assert table(admin_client_zh, "quiz_questions") == [
        ["题目", "题库", "作答次数", "答错次数", "正确率（%）"],
        [zunyi.text, "党史知识每日一练", "3", "3", "0.0"],
        [local.text, "南关区红色地标", "2", "1", "50.0"],
        [first.text, "党史知识每日一练", "3", "1", "66.7"],
    ]
    assert table(admin_client_zh, "quiz_districts", period="2023")[1:] == [["宽城区", "1", "1", "0.0"]]
    html = admin_client_zh.get(URL, {"period": "2024"}).content.decode()
    assert "答题：按县市区" in html and "答题：答错最多的题目（前 20）" in html and zunyi.text in html


def test_a_district_editor_sees_only_their_members_quiz_results(client, quiz_answers):
    first, zunyi, local = quiz_answers
    client.force_login(get_user_model().objects.get(username="nanguan"))
    assert table(client, "quiz_districts")[1:] == [["南关区", "2", "2", "50.0"]]
    assert [row[0] for row in table(client, "quiz_questions")[1:]] == [zunyi.text, local.text, first.text]
    assert table(client, "quiz_questions")[3][2:] == ["2", "0", "100.0"]
