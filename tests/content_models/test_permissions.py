"""District editors work only inside their own district, through the admin's HTTP views."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.models import Column, District, NewsPage, SectionPage


@pytest.fixture
def district_editor(client, tiny_catalogue):
    client.force_login(get_user_model().objects.get(username="nanguan"))
    return client


def news_form(title: str, columns: list[int]) -> dict:
    form = nested_form_data({
        "title": title, "slug": "news-form-test", "date": "2024-07-01", "source": "南关区委组织部",
        "body": '{"blocks":[{"key":"a","type":"unstyled","text":"学习党史。","depth":0,"inlineStyleRanges":[],"entityRanges":[]}],"entityMap":{}}',
        "summary": "", "tags": "",
        "comments": inline_formset([]),
    })
    form["columns"] = [str(pk) for pk in columns]
    return form


def denied(response) -> bool:
    """Wagtail refuses with 403 or by redirecting to the dashboard with an error."""
    return response.status_code == 403 or (response.status_code == 302 and "/admin/" in response["Location"]
                                           and "/edit/" not in response["Location"])


@pytest.mark.django_db
def test_district_editor_cannot_edit_another_districts_page(district_editor):
    other = NewsPage.objects.exclude(district__slug="nanguan").filter(district__isnull=False).first()
    response = district_editor.get(f"/admin/pages/{other.pk}/edit/")
    assert denied(response)
    title = other.title
    response = district_editor.post(f"/admin/pages/{other.pk}/edit/", news_form("越权修改的标题", [Column.objects.first().pk]))
    assert denied(response)
    other.refresh_from_db()
    assert other.title == title


@pytest.mark.django_db
def test_district_editor_cannot_add_into_another_district(district_editor):
    other_section = SectionPage.objects.get(district__slug="kuancheng")
    url = f"/admin/pages/add/content_models/newspage/{other_section.pk}/"
    assert denied(district_editor.get(url))
    assert denied(district_editor.post(url, news_form("越权新建的新闻", [Column.objects.first().pk])))
    assert not NewsPage.objects.filter(title="越权新建的新闻").exists()


@pytest.mark.django_db
def test_district_editor_cannot_touch_city_content(district_editor):
    city_section = SectionPage.objects.get(district__isnull=True)
    city_item = Page.objects.child_of(city_section).first()
    assert denied(district_editor.get(f"/admin/pages/{city_item.pk}/edit/"))
    assert denied(district_editor.get(f"/admin/pages/add/content_models/newspage/{city_section.pk}/"))


@pytest.mark.django_db
def test_district_editor_works_in_own_district(district_editor):
    own_section = SectionPage.objects.get(district__slug="nanguan")
    own_item = NewsPage.objects.filter(district__slug="nanguan").first()
    assert district_editor.get(f"/admin/pages/{own_item.pk}/edit/").status_code == 200
    url = f"/admin/pages/add/content_models/newspage/{own_section.pk}/"
    response = district_editor.post(url, news_form("南关区开展主题党日活动", [Column.objects.first().pk]))
    assert response.status_code == 302, response.context["form"].errors
    created = NewsPage.objects.get(title="南关区开展主题党日活动")
    assert created.district == District.objects.get(slug="nanguan")


@pytest.mark.django_db
def test_district_editor_may_upload_and_choose_documents_in_own_collection(district_editor):
    # Wagtail checks wagtaildocs.Document's permissions, not the custom LibraryDocument's.
    assert district_editor.get("/admin/documents/add/").status_code == 200
    assert district_editor.get("/admin/documents/chooser/").status_code == 200
    assert district_editor.get("/admin/images/add/").status_code == 200


@pytest.mark.django_db
def test_a_new_district_gets_its_own_section_collection_and_group(admin_client_zh):
    response = admin_client_zh.post(
        "/admin/snippets/content_models/district/add/",
        {"name": "莲花山度假区", "slug": "lianhuashan", "order": 20, "latitude": "43.9", "longitude": "125.6"},
    )
    assert response.status_code == 302
    district = District.objects.get(slug="lianhuashan")
    section = SectionPage.objects.get(district=district)
    assert section.title == "莲花山度假区" and section.live
    group = district.section.group_permissions.first().group
    assert group.name == "莲花山度假区编辑"
    assert group.collection_permissions.filter(collection__name="莲花山度假区").exists()
