"""The Chinese admin offers every content type, and view-restricted pages stay out of the API."""

import pytest
from wagtail.models import PageViewRestriction

from content_models.models import MapSitePage, SectionPage

ITEM_MODELS = ["ebookpage", "periodicalpage", "videoseriespage", "mapsitepage", "newspage"]


@pytest.mark.django_db
def test_admin_is_chinese_and_offers_every_item_type(admin_client_zh, tiny_catalogue):
    section = SectionPage.objects.get(district__slug="nanguan")
    choose = admin_client_zh.get(f"/admin/pages/{section.pk}/add_subpage/")
    html = choose.content.decode()
    assert choose.status_code == 200 and 'lang="zh-hans"' in html
    for label in ("电子图书", "党刊", "专题视频", "地图标注", "新闻"):
        assert label in html
    for model in ITEM_MODELS:
        form = admin_client_zh.get(f"/admin/pages/add/content_models/{model}/{section.pk}/")
        assert form.status_code == 200, model
        assert "仅限本县市区" in form.content.decode()
    for snippet, label in (("column", "栏目"), ("district", "县市区")):
        listing = admin_client_zh.get(f"/admin/snippets/content_models/{snippet}/")
        assert listing.status_code == 200 and label in listing.content.decode()


@pytest.mark.django_db
def test_view_restricted_pages_are_not_in_the_api(client, tiny_catalogue):
    site = MapSitePage.objects.live().first()
    assert client.get(f"/api/v2/pages/{site.pk}/").status_code == 200
    PageViewRestriction.objects.create(page=site, restriction_type=PageViewRestriction.PASSWORD, password="内部")
    assert client.get(f"/api/v2/pages/{site.pk}/").status_code == 404
    listed = client.get("/api/v2/pages/?type=content_models.MapSitePage&limit=500").json()["items"]
    assert site.pk not in {item["id"] for item in listed}
