"""The headless API serves every content type the static pages need, and nothing that is not public."""

import json

import pytest
from django.test import Client, override_settings
from wagtail.images.models import Image
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from content_models.models import (
    Column,
    EBookPage,
    NewsPage,
    PeriodicalPage,
    VideoSeriesPage,
)

ITEM_TYPES = [
    "content_models.EBookPage",
    "content_models.PeriodicalPage",
    "content_models.VideoSeriesPage",
    "content_models.MapSitePage",
    "content_models.NewsPage",
]
SEVEN_COLUMNS = {"时政要闻", "领袖思想", "辉煌历程", "强国之路", "四个自信", "四史学习", "中国梦"}


def walk(client, url: str) -> list[dict]:
    """Every item of a listing, paging with the largest allowed limit."""
    items, offset = [], 0
    while True:
        page = client.get(f"{url}{'&' if '?' in url else '?'}limit=500&offset={offset}").json()
        items += page["items"]
        offset += 500
        if offset >= page["meta"]["total_count"]:
            return items


@pytest.mark.django_db
def test_every_type_is_listed_with_the_seven_columns(client, tiny_catalogue):
    seen_columns = set()
    for page_type in ITEM_TYPES:
        items = walk(client, f"/api/v2/pages/?type={page_type}&fields=*")
        assert items, f"no {page_type} in the API"
        for item in items:
            assert item["site_path"].startswith("/") and item["site_path"].endswith(f"/{item['id']}/")
            assert item["last_published_at"]
            seen_columns |= {c["name"] for c in item["columns"]}
    assert seen_columns == SEVEN_COLUMNS
    columns = client.get("/api/v2/columns/").json()["items"]
    assert [c["name"] for c in columns] == list(Column.objects.order_by("order").values_list("name", flat=True))
    assert {c["name"] for c in columns} == SEVEN_COLUMNS


@pytest.mark.django_db
def test_draft_and_district_only_items_are_absent_from_every_listing(client, tiny_catalogue):
    draft = EBookPage.objects.get(live=False)
    district_only = NewsPage.objects.get(district_only=True, live=True)
    hidden_ids = {draft.pk, district_only.pk}
    listings = ["/api/v2/pages/?fields=*"] + [f"/api/v2/pages/?type={t}&fields=*" for t in ITEM_TYPES]
    for url in listings:
        body = json.dumps(walk(client, url), ensure_ascii=False)
        ids = {item["id"] for item in json.loads(body)}
        assert not ids & hidden_ids, url
        assert draft.title not in body and district_only.title not in body
    for hidden in hidden_ids:
        assert client.get(f"/api/v2/pages/{hidden}/").status_code == 404
    # The same holds for a full-text search through the API.
    found = client.get("/api/v2/pages/", {"search": district_only.title, "fields": "title"}).json()["items"]
    assert district_only.pk not in {item["id"] for item in found}


@pytest.mark.django_db
def test_unpublishing_removes_an_item_from_the_api(client, tiny_catalogue):
    book = EBookPage.objects.live().first()
    assert client.get(f"/api/v2/pages/{book.pk}/").status_code == 200
    book.unpublish()
    assert client.get(f"/api/v2/pages/{book.pk}/").status_code == 404


@pytest.mark.django_db
def test_covers_come_as_small_webp_renditions(client, tiny_catalogue):
    item = walk(client, "/api/v2/pages/?type=content_models.EBookPage&fields=cover")[0]
    cover = item["cover"]
    assert set(cover) >= {"alt", "w160", "w320", "w640"}
    small = cover["w160"]
    assert small["url"].endswith(".webp") and small["width"] == 160 and small["height"] > 0
    response = client.get(small["url"])
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"


@pytest.mark.django_db
def test_episodes_and_issues_are_nested_in_order(client, tiny_catalogue):
    for series in walk(client, "/api/v2/pages/?type=content_models.VideoSeriesPage&fields=episodes"):
        numbers = [episode["number"] for episode in series["episodes"]]
        assert numbers == sorted(numbers) and numbers[0] == 1
        assert series["episodes"][0]["site_path"] == f"/videos/{series['id']}/1/"
    for periodical in walk(client, "/api/v2/pages/?type=content_models.PeriodicalPage&fields=issues"):
        keys = [(issue["year"], issue["number"]) for issue in periodical["issues"]]
        assert keys == sorted(keys, reverse=True) and keys


@pytest.mark.django_db
def test_columns_and_district_are_given_by_slug(client, tiny_catalogue):
    news = walk(client, "/api/v2/pages/?type=content_models.NewsPage&fields=columns,district")
    assert all(item["district"]["slug"] and item["district"]["name"].endswith(("区", "市", "县")) for item in news)
    assert all(column["slug"] for item in news for column in item["columns"])


@pytest.mark.django_db
def test_rich_text_links_resolve_to_the_static_site(client, tiny_catalogue):
    book = EBookPage.objects.live().first()
    news = NewsPage.objects.live().public().filter(district_only=False).first()
    news.body = f'<p>推荐阅读<a linktype="page" id="{book.pk}">《{book.title}》</a>。</p>'
    news.save_revision().publish()
    body = client.get(f"/api/v2/pages/{news.pk}/").json()["body"]
    assert f'href="/books/{book.pk}/"' in body and "linktype" not in body


@pytest.mark.django_db
def test_limit_allows_paging_the_catalogue_in_large_steps(client, tiny_catalogue):
    response = client.get("/api/v2/pages/", {"limit": 500})
    assert response.status_code == 200
    assert client.get("/api/v2/pages/", {"limit": 501}).status_code == 400


def cover_image(title: str, collection: Collection | None = None) -> Image:
    """A new image on an existing file, in `collection` (default: the root collection)."""
    some_file = Image.objects.exclude(file="").first().file.name
    return Image.objects.create(title=title, file=some_file, width=10, height=10,
                                collection=collection or Collection.get_first_root_node())


@pytest.mark.django_db
def test_private_images_are_not_listed(client, tiny_catalogue):
    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:3])
    internal = Collection.get_first_root_node().add_child(name="内部资料")
    CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    nanguan_internal = internal.add_child(name="南关区内部资料")  # restricted through its parent
    images = {
        "public": cover_image("公开封面：红色家书"),
        "restricted_page": cover_image("仅登录可见的书的封面"),
        "restricted_collection": cover_image("内部资料中的封面", nanguan_internal),
    }
    for book, image in zip(books, images.values(), strict=True):
        book.cover = image
        book.save_revision().publish()
    listed = {i["id"] for i in walk(client, "/api/v2/images/?fields=title")}
    assert {images["public"].pk, images["restricted_page"].pk} <= listed  # used by public pages: listed
    PageViewRestriction.objects.create(page=books[1], restriction_type=PageViewRestriction.LOGIN)

    listed = {i["id"]: i["title"] for i in walk(client, "/api/v2/images/?fields=title")}
    assert listed[images["public"].pk] == "公开封面：红色家书"
    for private in (images["restricted_page"], images["restricted_collection"]):
        assert private.pk not in listed and private.title not in listed.values()
        assert client.get(f"/api/v2/images/{private.pk}/").status_code == 404
    # Wagtail's own image listing hides restricted collections; a public page's cover must not name one either.
    assert client.get(f"/api/v2/pages/{books[0].pk}/").json()["cover"]["alt"]
    assert client.get(f"/api/v2/pages/{books[2].pk}/").json()["cover"] is None
    unused = cover_image("未使用的图片")
    assert unused.pk not in {i["id"] for i in walk(client, "/api/v2/images/?fields=title")}


@pytest.mark.django_db
def test_item_pages_report_their_static_site_url(tiny_catalogue):
    series = VideoSeriesPage.objects.live().first()
    periodical = PeriodicalPage.objects.live().first()
    with override_settings(PUBLIC_SITE_URL="https://dangshi.example.cn"):
        assert series.full_url == f"https://dangshi.example.cn/videos/{series.pk}/"
    issue = periodical.issues.first()
    assert issue.site_path == f"/periodicals/{periodical.pk}/{issue.year}-{issue.number:02d}/"
    episode = series.episodes.order_by("number").first()
    assert episode.site_path == f"/videos/{series.pk}/{episode.number}/"
    api = {i["id"]: i for i in walk(Client(), "/api/v2/pages/?type=content_models.PeriodicalPage&fields=issues")}
    assert api[periodical.pk]["issues"][0]["site_path"] == periodical.issues.order_by("-year", "-number").first().site_path
