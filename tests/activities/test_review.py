"""心得审核 in the admin through HTTP: the list and its filters, district editors limited to their district, accept
(points once, the essay activity completed), return with a required comment, publish only with consent (a rebuild
queued, the files then public), and the files reachable by the right organisers only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from activities.models import ActivityCompletion, Reflection, ReflectionFile
from content_models.models import District
from members.models import Member, PointAward
from site_builder.tasks import pending_rebuilds

from .test_reflections import logged_in, make_activity, photo, submit

DEMO_PASSWORD = "dangshi-demo-2021"


def editor(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def setup(tiny_catalogue):
    """A city-wide essay and a 南关区 and a 宽城区 one, each with a photo 心得 of a member of that district."""
    city, nanguan, kuancheng = make_activity(), make_activity("nanguan", title="南关区红色家书征文"), make_activity("kuancheng", title="宽城区读书心得")
    kc_member = Member(name="李卫东", phone="13900000002", district=District.objects.get(slug="kuancheng"))
    kc_member.set_password(DEMO_PASSWORD)
    kc_member.save()
    wang, li = logged_in(), logged_in("13900000002")
    assert submit(wang, city, text="重温入党誓词，心潮澎湃。", consent="1").status_code == 303
    assert submit(wang, nanguan, photos=[photo()], consent="1").status_code == 303
    assert submit(li, kuancheng, photos=[photo()]).status_code == 303
    return {"city": city, "nanguan": nanguan, "kuancheng": kuancheng, "wang": wang}


def row(activity) -> Reflection:
    return Reflection.objects.get(activity=activity)


def test_the_list_shows_waiting_ones_and_filters(setup, admin_client_zh):
    assert "/admin/reflections/" in admin_client_zh.get("/admin/").content.decode()  # the menu item
    response = admin_client_zh.get("/admin/reflections/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "王建国" in text and "李卫东" in text and "139****0002" in text and "13900000002" not in text
    text = admin_client_zh.get(f"/admin/reflections/?activity={setup['kuancheng'].pk}&status=submitted").content.decode()
    assert "李卫东" in text and "王建国" not in text
    assert "没有符合条件的心得" in admin_client_zh.get("/admin/reflections/?status=accepted").content.decode()


def test_a_district_editor_sees_and_reviews_only_their_districts(setup):
    nanguan = editor("nanguan")
    text = nanguan.get("/admin/reflections/?status=all").content.decode()
    assert "南关区红色家书征文" in text and "宽城区读书心得" not in text and "书香社区·全民爱阅读征文" not in text
    for activity in ("kuancheng", "city"):
        assert nanguan.get(f"/admin/reflections/{row(setup[activity]).pk}/").status_code == 404
        assert nanguan.post(f"/admin/reflections/{row(setup[activity]).pk}/", {"action": "accept"}).status_code == 404
    assert Reflection.objects.filter(status=Reflection.ACCEPTED).count() == 0
    own = row(setup["nanguan"])
    page = nanguan.get(f"/admin/reflections/{own.pk}/").content.decode()
    file_url = f"/me/reflection-files/{own.files.get().pk}/"
    assert f'<img src="{file_url}"' in page
    assert nanguan.get(file_url).status_code == 200
    other_file = row(setup["kuancheng"]).files.get()
    assert nanguan.get(f"/me/reflection-files/{other_file.pk}/").status_code == 404


def test_another_districts_editor_cannot_fetch_the_files(setup):
    group = Group.objects.get(name=District.objects.get(slug="kuancheng").editor_group_name)
    get_user_model().objects.create_user("kuancheng", password=DEMO_PASSWORD).groups.add(group)
    kuancheng = editor("kuancheng")
    assert kuancheng.get(f"/me/reflection-files/{row(setup['kuancheng']).files.get().pk}/").status_code == 200
    assert kuancheng.get(f"/me/reflection-files/{row(setup['nanguan']).files.get().pk}/").status_code == 404


def test_accepting_grants_points_once_and_completes_the_essay(setup, admin_client_zh):
    reflection = row(setup["city"])
    response = admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "accept"}, follow=True)
    assert "已采纳王建国的心得，积分 +5。" in response.content.decode()
    reflection.refresh_from_db()
    assert reflection.status == Reflection.ACCEPTED and reflection.reviewed_by.username == "chief" and reflection.reviewed_at
    member = reflection.member
    assert PointAward.objects.get(member=member, key=f"reflection:{setup['city'].pk}").points == 5
    assert ActivityCompletion.objects.filter(member=member, activity=setup["city"]).exists()
    assert PointAward.objects.get(member=member, key=f"activity:{setup['city'].pk}").points == 20
    again = admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "accept"}, follow=True)
    assert "状态已经变了" in again.content.decode()
    assert PointAward.objects.filter(member=member, key__startswith="reflection:").count() == 1
    page = setup["wang"].get(f"/me/activities/{setup['city'].pk}/reflection/").content.decode()
    assert "已采纳 +5 分" in page and 'id="reflection-form"' not in page


def test_returning_needs_a_comment_which_the_member_then_sees(setup, admin_client_zh):
    reflection = row(setup["city"])
    response = admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "return", "comment": "  "}, follow=True)
    assert "退回时请写明意见" in response.content.decode()
    assert row(setup["city"]).status == Reflection.SUBMITTED
    admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "return", "comment": "请结合身边的变化再谈谈体会。"})
    reflection.refresh_from_db()
    assert reflection.status == Reflection.RETURNED and reflection.comment == "请结合身边的变化再谈谈体会。"
    assert not PointAward.objects.filter(key__startswith="reflection:").exists()
    page = setup["wang"].get(f"/me/activities/{setup['city'].pk}/reflection/").content.decode()
    assert "已退回" in page and "请结合身边的变化再谈谈体会。" in page and 'id="reflection-form"' in page


def test_publishing_needs_consent_queues_a_rebuild_and_opens_the_files(setup, admin_client_zh, django_capture_on_commit_callbacks):
    client = Client()  # anonymous (admin_client_zh is the `client` fixture, signed in)
    without = row(setup["kuancheng"])  # 李卫东 did not agree to show it
    admin_client_zh.post(f"/admin/reflections/{without.pk}/", {"action": "accept"})
    page = admin_client_zh.get(f"/admin/reflections/{without.pk}/").content.decode()
    assert "党员不同意公开展示" in page and 'value="publish"' not in page
    admin_client_zh.post(f"/admin/reflections/{without.pk}/", {"action": "publish"})
    assert not row(setup["kuancheng"]).published

    shown = row(setup["nanguan"])
    file_url = f"/me/reflection-files/{shown.files.get().pk}/"
    admin_client_zh.post(f"/admin/reflections/{shown.pk}/", {"action": "publish"})  # not accepted yet
    assert not row(setup["nanguan"]).published
    admin_client_zh.post(f"/admin/reflections/{shown.pk}/", {"action": "accept"})
    assert client.get(file_url).status_code == 404  # accepted, not published
    pending_rebuilds().delete()  # the seeding's own, which a new request would join
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_zh.post(f"/admin/reflections/{shown.pk}/", {"action": "publish"}, follow=True)
    assert "已在活动页展示" in response.content.decode() and row(setup["nanguan"]).published
    assert [task.args_kwargs["kwargs"]["reason"] for task in pending_rebuilds()] == [f"学习心得变更：活动 {setup['nanguan'].pk}"]
    public = client.get(file_url)
    assert public.status_code == 200 and public["Cache-Control"] == "public, max-age=600"
    api = client.get(f"/api/v2/pages/{setup['nanguan'].pk}/").json()["published_reflections"]
    assert [(r["author"], [f["url"] for f in r["files"]]) for r in api] == [("王同志", [file_url])]
    admin_client_zh.post(f"/admin/reflections/{shown.pk}/", {"action": "unpublish"})
    assert not row(setup["nanguan"]).published and client.get(file_url).status_code == 404
    assert client.get(f"/api/v2/pages/{setup['nanguan'].pk}/").json()["published_reflections"] == []


def test_a_published_reflection_of_a_district_only_activity_stays_private(setup, admin_client_zh):
    inner = make_activity("nanguan", district_only=True, title="南关区内部征文")
    submit(setup["wang"], inner, photos=[photo()], consent="1")
    reflection = row(inner)
    admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "accept"})
    admin_client_zh.post(f"/admin/reflections/{reflection.pk}/", {"action": "publish"})
    assert row(inner).published
    assert Client().get(f"/me/reflection-files/{ReflectionFile.objects.get(reflection=reflection).pk}/").status_code == 404
