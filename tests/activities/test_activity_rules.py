"""Rules an activity keeps for members and organisers: only tasks a member may read are named and asked for; a
district's editors attach only their own question banks; points need something to complete; a pinned activity leaves
the banner when it ends; a quiz whose question was deleted still finishes."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from activities.models import ActivityPage, ActivityTask, Question, QuestionBank
from content_models.models import District, EBookPage, NewsPage, SectionPage
from content_models.tasks import rebuild_for_ended_banner
from members.models import Member
from site_builder.tasks import pending_rebuilds
from tests.activities.helpers import as_member, enrol, make_activity


def test_only_tasks_the_member_may_read_are_named_and_asked_for(client, tiny_catalogue):
    public_book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    draft = EBookPage.objects.filter(live=False).first()
    own_news = NewsPage.objects.live().filter(district_only=True).order_by("pk").first()
    home, away = own_news.district.slug, District.objects.exclude(pk=own_news.district_id).order_by("order").first().slug
    other = make_activity("另一县市区内部材料", district=away, district_only=True)  # another district's item
    campaign = make_activity("冬季红色历史学习", kind=ActivityPage.CAMPAIGN)
    for item in (public_book, draft, own_news, other):
        ActivityTask.objects.create(page=campaign, item=item)
    assert draft is not None and draft.title not in (public_book.title, own_news.title)

    page = as_member(client, enrol(40, home)).get(f"/me/activities/{campaign.pk}/").content.decode()
    assert f'href="{public_book.site_path}"' in page and f'href="/me/district/{own_news.pk}/"' in page
    assert draft.title not in page and "另一县市区内部材料" not in page
    assert "已完成 0/2 项" in client.get("/me/").content.decode()  # two tasks this member can do, not four

    elsewhere = as_member(Client(), enrol(41, away)).get(f"/me/activities/{campaign.pk}/").content.decode()
    assert own_news.title not in elsewhere and f'href="{public_book.site_path}"' in elsewhere


def _form(activity: ActivityPage, user, **changes):
    """The admin's edit form for `activity` as `user` sees it, bound to its current values plus `changes`."""
    form_class = ActivityPage.get_edit_handler().get_form_class()
    unbound = form_class(instance=activity, parent_page=activity.get_parent(), for_user=user)
    data = {name: unbound[name].value() for name in unbound.fields if unbound[name].value() is not None}
    data["columns"] = [column.pk for column in activity.columns.all()]
    data["tags"] = ""
    for prefix in unbound.formsets:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    data.update(changes)
    return form_class(data, instance=activity, parent_page=activity.get_parent(), for_user=user), unbound


def test_a_districts_editors_attach_only_their_districts_question_banks(tiny_catalogue):
    city_bank = QuestionBank.objects.create(name="全市党史题库")
    own_bank = QuestionBank.objects.create(name="南关区冬训题库", district_id=SectionPage.objects.get(district__slug="nanguan").district_id)
    activity = make_activity("南关区冬训测评", district="nanguan")
    _, unbound = _form(activity, get_user_model().objects.get(username="nanguan"))
    assert list(unbound.fields["quiz_bank"].queryset) == [own_bank]
    _, unbound = _form(activity, get_user_model().objects.get(username="admin"))
    assert {city_bank, own_bank} <= set(unbound.fields["quiz_bank"].queryset)


def test_points_need_something_to_complete(tiny_catalogue):
    admin = get_user_model().objects.get(username="admin")
    activity = make_activity("每日打卡", kind=ActivityPage.CHECKIN)
    form, _ = _form(activity, admin, points=10)
    assert not form.is_valid() and "积分无法发放" in str(form.errors["points"])
    form, _ = _form(activity, admin, points=10, checkin_days=7)
    assert form.is_valid(), form.errors


def test_a_pinned_activity_leaves_the_banner_when_it_ends(client, tiny_catalogue, django_capture_on_commit_callbacks):
    ActivityPage.objects.update(pinned=False)
    now = timezone.now()
    ending = make_activity("七一主题党日", kind=ActivityPage.ESSAY, pinned=True, starts_at=now - timedelta(days=3),
                           ends_at=now + timedelta(seconds=30))
    assert client.get("/api/v2/frontpage/").json()["items"][0]["page_id"] == ending.pk
    ActivityPage.objects.filter(pk=ending.pk).update(ends_at=now - timedelta(seconds=20))
    items = client.get("/api/v2/frontpage/").json()["items"]
    assert all(item.get("page_id") != ending.pk for item in items)

    pending_rebuilds().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert rebuild_for_ended_banner() is True
    assert pending_rebuilds().count() == 1
    assert rebuild_for_ended_banner(now + timedelta(hours=1)) is False  # long over: asked for once, not every minute


def test_a_quiz_whose_question_was_deleted_still_finishes(client, tiny_catalogue):
    member = Member.objects.get(phone="13900000001")
    as_member(client, member)
    client.get("/me/quiz/")
    attempt = member.quiz_attempts.get()
    Question.objects.filter(pk=attempt.question_ids[0]).delete()
    for _ in range(len(attempt.question_ids) - 1):
        html = client.get("/me/quiz/daily/").content.decode()
        question = Question.objects.get(pk=re.search(r'name="question" value="(\d+)"', html)[1])
        client.post("/me/quiz/daily/", {"question": question.pk, "choice": list(question.answer)})
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == 4 and len(attempt.question_ids) == 4
    assert "答对 4 题" in client.get("/me/quiz/daily/").content.decode()
