"""The one visibility rule on every path the CMS serves: relations, moves, privacy changes and the page chooser."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tasks_db.models import DBTaskResult
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from content_models.models import EBookPage, MapSitePage, NewsPage, SectionPage, SiteRelatedLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_with_relations(tiny_catalogue):
    """A public map site whose 相关资源 point at a public book, a password-protected book, a login-only book,
    a district-only news item and an unpublished book, in that order."""
    site = MapSitePage.objects.live().public().filter(district_only=False).order_by("pk").first()
    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:4])
    public, password, login, unpublished = books
    PageViewRestriction.objects.create(page=password, restriction_type=PageViewRestriction.PASSWORD, password="dangshi")
    PageViewRestriction.objects.create(page=login, restriction_type=PageViewRestriction.LOGIN)
    unpublished.unpublish()
    SiteRelatedLink.objects.filter(page=site).delete()  # only this test's relations
    district_only = NewsPage.objects.get(district_only=True, live=True)
    for order, page in enumerate([public, password, login, district_only, unpublished]):
        SiteRelatedLink.objects.create(page=site, related=page, sort_order=order)
    return site, public, [password, login, district_only, unpublished]


def test_related_resources_name_only_public_items(client, site_with_relations):
    site, public, private = site_with_relations
    detail = client.get(f"/api/v2/pages/{site.pk}/")
    assert detail.status_code == 200
    data = detail.json()
    assert [r["id"] for r in data["related_items"]] == [public.pk]
    assert data["related_items"][0]["title"] == public.title
    assert data["related_ids"] == [public.pk]
    text = detail.content.decode()
    for page in private:
        assert page.title not in text, f"{page.title} leaked through 相关资源"
    # The listing a builder uses carries the same rule.
    listing = client.get("/api/v2/pages/?type=content_models.MapSitePage&fields=_,id,related_ids").json()
    assert {row["id"]: row["related_ids"] for row in listing["items"]}[site.pk] == [public.pk]


def test_a_related_item_that_becomes_public_again_is_named(client, site_with_relations):
    site, public, (password, *_rest) = site_with_relations
    PageViewRestriction.objects.filter(page=password).delete()
    data = client.get(f"/api/v2/pages/{site.pk}/").json()
    assert [r["id"] for r in data["related_items"]] == [public.pk, password.pk]


def test_a_restriction_on_an_ancestor_hides_the_item_everywhere(client, tiny_catalogue):
    section = EBookPage.objects.live().public().filter(district__isnull=False, district_only=False).first().get_parent()
    items = list(EBookPage.objects.live().child_of(section).values_list("pk", "title"))
    PageViewRestriction.objects.create(page=section, restriction_type=PageViewRestriction.LOGIN)
    listing = client.get("/api/v2/pages/?type=content_models.EBookPage&fields=*&limit=500").content.decode()
    for pk, title in items:
        assert title not in listing
        assert client.get(f"/api/v2/pages/{pk}/").status_code == 404


def queued(task_name: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=task_name, status="READY"))


def test_privacy_changes_in_the_admin_queue_a_rebuild_and_a_reindex(admin_client_zh, tiny_catalogue, django_capture_on_commit_callbacks):
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_zh.post(f"/admin/pages/{book.pk}/privacy/", {"restriction_type": "login", "password": "", "groups": []})
    assert response.status_code == 200 and PageViewRestriction.objects.filter(page=book).exists()
    assert queued("rebuild_site")
    assert [r.args_kwargs["args"] for r in queued("index_item")] == [[book.pk]]

    DBTaskResult.objects.all().delete()
    collection = Collection.get_first_root_node().add_child(name="内部资料")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_zh.post(
            f"/admin/collections/{collection.pk}/privacy/", {"restriction_type": "login", "password": "", "groups": []}
        )
    assert response.status_code == 200 and CollectionViewRestriction.objects.filter(collection=collection).exists()
    assert queued("rebuild_site") and queued("rebuild_index")


def test_an_item_moved_in_the_admin_belongs_to_its_new_district(admin_client_zh, tiny_catalogue, django_capture_on_commit_callbacks):
    book = EBookPage.objects.live().public().filter(district__isnull=False, district_only=False).order_by("pk").first()
    kuancheng = SectionPage.objects.get(district__slug="kuancheng")
    assert book.district.slug != "kuancheng"
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_zh.post(f"/admin/pages/{book.pk}/move/{kuancheng.pk}/confirm/")
    assert response.status_code == 302
    book.refresh_from_db()
    assert book.get_parent().pk == kuancheng.pk
    assert book.district.slug == "kuancheng"
    assert Client().get(f"/api/v2/pages/{book.pk}/").json()["district"]["name"] == "宽城区"  # as anyone sees it
    assert queued("rebuild_site") and [r.args_kwargs["args"] for r in queued("index_item")] == [[book.pk]]


@pytest.fixture
def nanguan_editor(client, tiny_catalogue):
    client.force_login(get_user_model().objects.get(username="nanguan"))
    return client


def chooser_text(client, **params) -> str:
    response = client.get("/admin/choose-page/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def add_book(section, title: str, slug: str, *, publish: bool = True) -> EBookPage:
    book = section.add_child(instance=EBookPage(title=title, slug=slug, live=False, reader_url="https://example.cn/reader"))
    if publish:
        book.save_revision().publish()
    return book


def test_page_chooser_hides_other_districts_private_items_from_a_district_editor(nanguan_editor, tiny_catalogue):
    kuancheng = SectionPage.objects.get(district__slug="kuancheng")
    restricted = add_book(kuancheng, "宽城区受限图书甲", "restricted-kc")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    draft = add_book(kuancheng, "宽城区未发布图书乙", "draft-kc", publish=False)
    only = kuancheng.add_child(instance=NewsPage(
        title="宽城区内部通知丙", slug="only-kc", date="2024-06-01", body="<p>仅供宽城区党员学习。</p>", district_only=True,
    ))
    only.save_revision().publish()
    public = add_book(kuancheng, "宽城区公开图书戊", "public-kc")
    own_draft = add_book(SectionPage.objects.get(district__slug="nanguan"), "南关区未发布图书丁", "draft-ng", publish=False)

    for query in ("宽城区", "图书", "通知"):
        text = chooser_text(nanguan_editor, q=query)
        for hidden in (restricted, draft, only):
            assert hidden.title not in text
    assert public.title in chooser_text(nanguan_editor, q="宽城区公开")
    assert own_draft.title in chooser_text(nanguan_editor, q="南关区未发布")  # their own work stays choosable
    browse = nanguan_editor.get(f"/admin/choose-page/{kuancheng.pk}/").json()["html"]
    assert public.title in browse
    for hidden in (restricted, draft, only):
        assert hidden.title not in browse


def test_superuser_chooser_still_offers_everything(admin_client_zh, tiny_catalogue):
    draft = EBookPage.objects.filter(live=False).first()
    assert draft.title in chooser_text(admin_client_zh, q=draft.title[:4])


def test_a_draft_moved_to_another_district_leaves_its_old_editors_chooser(nanguan_editor, tiny_catalogue):
    nanguan, kuancheng = SectionPage.objects.get(district__slug="nanguan"), SectionPage.objects.get(district__slug="kuancheng")
    draft = add_book(nanguan, "南关区待审图书己", "draft-moved", publish=False)
    assert draft.title in chooser_text(nanguan_editor, q="南关区待审")
    draft.move(kuancheng, pos="last-child", user=get_user_model().objects.get(username="admin"))  # a city editor moves it
    assert draft.title not in chooser_text(nanguan_editor, q="南关区待审")


def test_a_news_body_names_no_private_file(client, tiny_catalogue):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    internal = Collection.get_first_root_node().add_child(name="内部附件")
    CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    document = get_document_model().objects.create(
        title="内部讲话稿", collection=internal, file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="neibu-jianghua.pdf")
    )
    image = get_image_model().objects.filter(collection__name="内部资料").first()  # the seeded login-only cover
    news = NewsPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    news.body = (
        f'<p>请下载<a linktype="document" id="{document.pk}">讲话稿</a>。</p>'
        f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="内部插图"/>'
    )
    news.save_revision().publish()
    body = client.get(f"/api/v2/pages/{news.pk}/").json()["body"]
    assert "讲话稿" in body and "neibu-jianghua" not in body and "href" not in body
    assert "internal-cover" not in body and Path(image.file.name).stem not in body

    internal_restriction = CollectionViewRestriction.objects.get(collection=internal)
    internal_restriction.delete()
    body = client.get(f"/api/v2/pages/{news.pk}/").json()["body"]
    assert "neibu-jianghua" in body  # public once the collection is open


def test_deleting_a_cover_asks_for_a_full_rebuild_and_reindexes_its_pages(tiny_catalogue, django_capture_on_commit_callbacks):
    book = EBookPage.objects.live().public().filter(district_only=False, cover__isnull=False).order_by("pk").first()
    users = set(EBookPage.objects.filter(cover=book.cover).values_list("pk", flat=True))
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        book.cover.delete()
    assert [r.args_kwargs["kwargs"]["full"] for r in queued("rebuild_site")] == [True]
    assert users <= {r.args_kwargs["args"][0] for r in queued("index_item")}


def test_moving_a_collection_queues_a_rebuild_and_a_reindex(tiny_catalogue, django_capture_on_commit_callbacks):
    parent = Collection.get_first_root_node().add_child(name="内部资料库")
    CollectionViewRestriction.objects.create(collection=parent, restriction_type=CollectionViewRestriction.LOGIN)
    covers = Collection.objects.get(name="演示封面")
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        covers.move(parent, pos="sorted-child")
        Collection.objects.get(pk=covers.pk).save()  # what the admin's collection edit form does after a move
    assert queued("rebuild_site") and queued("rebuild_index")


def test_a_section_given_another_district_moves_its_items_with_it(client, tiny_catalogue):
    section = SectionPage.objects.get(district__slug="kuancheng")
    book = add_book(section, "宽城区图书庚", "book-geng")
    assert Client().get(f"/api/v2/pages/{book.pk}/").json()["district"]["slug"] == "kuancheng"
    section.district = None  # the section becomes city-wide content
    section.save_revision().publish()
    assert Client().get(f"/api/v2/pages/{book.pk}/").json()["district"] is None


def test_an_expiry_that_has_passed_hides_the_page_before_the_scheduler_runs(tiny_catalogue):
    from django.utils import timezone

    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    EBookPage.objects.filter(pk=book.pk).update(expire_at=timezone.now() - timezone.timedelta(minutes=1))
    assert Client().get(f"/api/v2/pages/{book.pk}/").status_code == 404
