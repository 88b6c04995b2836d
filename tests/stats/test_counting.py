"""The anonymous page-view beacon (POST /api/stats/view): counts, Do-Not-Track, Origin, no cookie, no personal data."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from content_models.pages import LibraryItemPage, NewsPage
from stats.models import DailySalt, DayTotal, ItemDay, VisitorMark

URL = "/api/stats/view"
ORIGIN = "http://testserver"
PHONE_UA = "Mozilla/5.0 (Linux; Android 10; HUAWEI) MicroMessenger/8.0.40 长者模式"


def beacon(client, page, path="/items/1/", address="203.0.113.7", agent=PHONE_UA, origin=ORIGIN, **extra):
    headers = {"HTTP_X_FORWARDED_FOR": address, "HTTP_USER_AGENT": agent, **extra}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return client.post(URL, json.dumps({"page": page, "path": path}), content_type="text/plain", **headers)


def views(item_id) -> int:
    row = ItemDay.objects.filter(day=timezone.localdate(), item_id=item_id).first()
    return row.views if row else 0


@pytest.fixture
def public_item(tiny_catalogue):
    from content_models.visibility import public_pages

    return public_pages(LibraryItemPage.objects.all()).first()


def test_a_page_view_is_counted_for_its_item(client, public_item):
    response = beacon(client, public_item.pk, public_item.site_path)
    assert response.status_code == 204
    assert views(public_item.pk) == 1
    beacon(client, public_item.pk, public_item.site_path)
    assert views(public_item.pk) == 2


def test_do_not_track_counts_nothing(client, public_item):
    response = beacon(client, public_item.pk, HTTP_DNT="1")
    assert response.status_code == 204
    assert views(public_item.pk) == 0
    assert not VisitorMark.objects.exists()


def test_another_origin_is_refused(client, public_item):
    assert beacon(client, public_item.pk, origin="https://evil.example.cn").status_code == 403
    assert beacon(client, public_item.pk, origin=None).status_code == 403
    assert views(public_item.pk) == 0


def test_bad_or_oversized_bodies_are_refused_in_chinese(client, db):
    too_long = json.dumps({"page": None, "path": "/" + "长" * 600})
    for body in ("不是 JSON", "[1, 2]", too_long):
        response = client.post(URL, body, content_type="text/plain", HTTP_ORIGIN=ORIGIN)
        assert response.status_code == 400
        assert "请求内容无效" in response.content.decode()
    assert not ItemDay.objects.exists()


def test_no_cookie_is_set(client, public_item):
    response = beacon(client, public_item.pk)
    assert "Set-Cookie" not in response.headers
    assert not response.cookies


def test_a_visitor_is_counted_once_a_day_and_another_apart(client, public_item):
    beacon(client, public_item.pk)
    beacon(client, None, "/columns/shizheng/")
    assert VisitorMark.objects.count() == 1
    beacon(client, public_item.pk, address="198.51.100.23")
    beacon(client, public_item.pk, agent="Mozilla/5.0 (iPhone) 另一部手机")
    assert VisitorMark.objects.filter(day=timezone.localdate()).count() == 3


def test_pages_that_are_not_public_items_count_as_visits_without_an_item(client, public_item):
    district_only = NewsPage.objects.filter(district_only=True).first()
    draft = LibraryItemPage.objects.filter(live=False).first()
    home = public_item.get_parent().get_parent()
    for page in (district_only.pk, draft.pk, home.pk, 999999, "1", True, None):
        assert beacon(client, page).status_code == 204
    assert views(0) == 7
    assert not ItemDay.objects.filter(day=timezone.localdate()).exclude(item_id=0).exists()


def test_nothing_personal_is_stored(client, public_item):
    address, path = "203.0.113.99", f"{public_item.site_path}?from=13900000001"
    beacon(client, public_item.pk, path, address=address)
    call_command("rollup_learning_stats", "--since", str(timezone.localdate() - timezone.timedelta(days=1)))
    from django.apps import apps

    stored = []
    for model in apps.get_app_config("stats").get_models():
        stored += [str(value) for row in model.objects.values() for value in row.values()]
    assert stored
    for secret in (address, "203.0.113", PHONE_UA, "MicroMessenger", "13900000001", "from=", path):
        assert not any(secret in value for value in stored), secret


def test_the_roll_up_forgets_the_days_digests_and_salt_and_keeps_their_count(client, public_item):
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    DayTotal.objects.filter(day=yesterday).delete()
    ItemDay.objects.filter(day=yesterday).delete()
    ItemDay.objects.create(day=yesterday, item_id=public_item.pk, views=3)
    VisitorMark.objects.bulk_create([VisitorMark(day=yesterday, digest=f"{n:064x}") for n in range(2)])
    DailySalt.objects.create(day=yesterday, salt="盐" * 8)
    call_command("rollup_learning_stats", "--since", str(yesterday))
    call_command("rollup_learning_stats", "--since", str(yesterday))
    total = DayTotal.objects.get(day=yesterday)
    assert (total.visitors, total.visits) == (2, 3)
    assert not VisitorMark.objects.filter(day=yesterday).exists()
    assert not DailySalt.objects.filter(day=yesterday).exists()
