"""District-only items reach their own district's logged-in members (/me/district/, /me/search/, their files) and
nobody else: other districts' members and anonymous visitors get 404 or the login form, the public site never."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from wagtail.images.models import Image
from wagtail.models import Collection

from content_models.models import Column, District, EBookPage, LibraryDocument, NewsPage, SectionPage
from content_models.seeding import cover_image_bytes
from members.models import Member
from site_builder.build import build_site
from site_builder.pages import SiteConfig

PDF = b"%PDF-1.4\n% \xe5\x85\x9a\xe5\x8f\xb2\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BANNER = "本内容仅供南关区社区党员学习"


@dataclass
class Nanguan:
    news: NewsPage
    book: EBookPage
    draft: NewsPage
    other: Member


def add(section: SectionPage, page, publish: bool = True):
    page.live = False
    section.add_child(instance=page)
    page.columns = [Column.objects.order_by("order").first()]
    page.tags.add("支部学习")
    revision = page.save_revision()
    if publish:
        revision.publish()
    return type(page).objects.get(pk=page.pk)  # as published (the instance in hand still says live=False)


def seed_nanguan() -> Nanguan:
    """On the tiny catalogue: 南关区's district-only news (with a cover) and e-book (with a PDF), a draft, and a
    member of 宽城区 beside the demo member of 南关区."""
    section = SectionPage.objects.get(district__slug="nanguan")
    cover = Image(title="南关区支部书记座谈会", collection=Collection.get_first_root_node())
    cover.file = ImageFile(io.BytesIO(cover_image_bytes(7)), name="nanguan-zuotanhui.png")
    cover.save()
    document = LibraryDocument(title="南关区党员学习手册", collection=Collection.get_first_root_node())
    document.file.save("nanguan-xuexi-shouce.pdf", ContentFile(PDF), save=False)
    document.save()
    news = add(section, NewsPage(
        title="南关区召开支部书记座谈会（内部通知）", slug="nanguan-zuotanhui", date=date(2026, 11, 20),
        source="南关区委组织部", district_only=True, cover=cover,
        summary="南关区各社区支部书记交流三会一课经验。",
        body="<p>会上，老党员们重读了抗联英雄的红色家书，大家深受教育。</p>",
    ))
    book = add(section, EBookPage(
        title="南关区党员学习手册", slug="nanguan-shouce", district_only=True, document=document,
        summary="供南关区社区党员学习使用的内部读本。",
    ))
    draft = add(section, NewsPage(
        title="南关区尚未发布的内部通知", slug="nanguan-draft", date=date(2026, 11, 25), source="南关区委组织部",
        district_only=True, summary="草稿。", body="<p>草稿正文。</p>",
    ), publish=False)
    other = Member(name="李卫东", phone="13900000002", district=District.objects.get(slug="kuancheng"))
    other.set_password("kuancheng-2021")
    other.save()
    return Nanguan(news, book, draft, other)


@pytest.fixture
def nanguan(tiny_catalogue) -> Nanguan:
    return seed_nanguan()


def log_in(client, phone: str = "13900000001", password: str = "dangshi-demo-2021"):
    response = client.post("/me/login/", {"phone": phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def media_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:src|href)="(/media/[^"]+)"', html)))


@pytest.mark.django_db
def test_nanguan_member_reads_the_item_with_a_banner_and_its_files(client, nanguan):
    assert Member.objects.get(phone="13900000001").district.name == "南关区"
    log_in(client)
    listing = client.get("/me/district/")
    text = listing.content.decode()
    assert listing.status_code == 200 and listing["Cache-Control"] == "private, no-store"
    assert nanguan.news.title in text and nanguan.book.title in text and nanguan.draft.title not in text
    assert text.index(nanguan.book.title) < text.index(nanguan.news.title)  # newest first
    assert f'href="/me/district/{nanguan.news.pk}/"' in text

    page = client.get(f"/me/district/{nanguan.news.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and nanguan.news.title in html and BANNER in html and "红色家书" in html
    assert page["Cache-Control"] == "private, no-store" and page["X-Robots-Tag"] == "noindex"
    assert f'<link rel="canonical" href="/me/district/{nanguan.news.pk}/">' in html  # its members' own address
    assert f"/news/{nanguan.news.pk}/" not in html
    covers = [url for url in media_urls(html) if url.startswith("/media/images/")]
    assert covers
    for url in covers:
        served = client.get(url)
        assert served.status_code == 200 and served["Cache-Control"].startswith("private"), url

    book = client.get(f"/me/district/{nanguan.book.pk}/").content.decode()
    assert nanguan.book.document.file.url in book and f"/books/{nanguan.book.pk}/" not in book
    download = client.get(nanguan.book.document.file.url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Cache-Control"].startswith("private")


@pytest.mark.django_db
def test_member_of_another_district_gets_404_and_finds_nothing(client, nanguan):
    log_in(client)
    html = client.get(f"/me/district/{nanguan.news.pk}/").content.decode()
    files = media_urls(html) + [nanguan.book.document.file.url]
    client.post("/me/logout/")
    log_in(client, phone="13900000002", password="kuancheng-2021")
    for item in (nanguan.news, nanguan.book):
        response = client.get(f"/me/district/{item.pk}/")
        assert response.status_code == 404 and "没有找到这个页面" in response.content.decode()
        assert item.title not in response.content.decode()
    assert nanguan.news.title not in client.get("/me/district/").content.decode()
    found = client.get("/me/search/", {"q": "红色家书"})
    assert found.status_code == 200 and nanguan.news.title not in found.content.decode()
    for url in files:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_form_and_get_no_files(client, nanguan):
    for path in (f"/me/district/{nanguan.news.pk}/", "/me/district/", "/me/search/?q=%E5%BA%A7%E8%B0%88"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/me/login/?next=") and "%2Fme%2F" in response["Location"]
    log_in(client)
    html = client.get(f"/me/district/{nanguan.news.pk}/").content.decode()
    files = media_urls(html) + [nanguan.book.document.file.url]
    client.post("/me/logout/")
    client.cookies.clear()
    for url in files:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_drafts_unpublished_and_restricted_items_404_and_public_items_redirect(client, nanguan):
    log_in(client)
    assert client.get(f"/me/district/{nanguan.draft.pk}/").status_code == 404
    nanguan.book.unpublish()
    assert client.get(f"/me/district/{nanguan.book.pk}/").status_code == 404
    assert nanguan.book.title not in client.get("/me/search/", {"q": "学习手册"}).content.decode()
    public = NewsPage.objects.live().public().filter(district_only=False).first()
    response = client.get(f"/me/district/{public.pk}/")
    assert response.status_code == 302 and response["Location"] == public.site_path
    assert client.get("/me/district/999999/").status_code == 404


@pytest.mark.django_db
def test_nanguan_member_finds_items_by_body_text_title_and_tag(client, nanguan):
    log_in(client)
    for q, title in (("红色家书", nanguan.news.title), ("党员学习手册", nanguan.book.title), ("支部学习", nanguan.news.title)):
        response = client.get("/me/search/", {"q": q})
        html = response.content.decode()
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store", q
        assert title in html, q
    html = client.get("/me/search/", {"q": "红色家书"}).content.decode()
    assert f'href="/me/district/{nanguan.news.pk}/"' in html and nanguan.book.title not in html
    assert "没有找到" in client.get("/me/search/", {"q": "井冈山会师" * 50}).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_items_stay_out_of_the_public_api_search_and_built_site(client, cms_api_url, settings, tmp_path):
    nanguan = seed_nanguan()
    for item in (nanguan.news, nanguan.book):
        assert client.get(f"/api/v2/pages/{item.pk}/").status_code == 404
        assert item.title not in client.get("/api/v2/pages/", {"limit": 500}).content.decode()
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    call_command("build_search_index", verbosity=0)
    public = client.get("/search/", {"q": "南关区"}).content.decode()
    assert "南关区" in public and nanguan.news.title not in public and nanguan.book.title not in public
    assert 'href="/me/search/?q=%E5%8D%97%E5%85%B3%E5%8C%BA"' in public and "党员登录后，还可搜索本县市区的专享内容" in public
    build_site(cms_api_url, tmp_path / "site", config=SiteConfig(site_url="https://dangshi.example.cn", hot_words_source=None))
    everything = b"".join(p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file())
    for item in (nanguan.news, nanguan.book):
        assert item.title.encode() not in everything and item.site_path.encode() not in everything
    assert b"/media/documents/nanguan" not in everything
