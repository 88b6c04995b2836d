"""Files under /media/ and /documents/ reach only those allowed to see them, over HTTP; private ones answer 404."""

from __future__ import annotations

import http.client
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client
from wagtail.images.models import Image
from wagtail.models import Collection, CollectionViewRestriction, GroupCollectionPermission

from content_models.models import EBookPage, LibraryDocument, VideoSeriesPage
from content_models.seeding import cover_image_bytes
from content_models.serializers import COVER_WIDTHS

COVER_SPEC = f"width-{COVER_WIDTHS[0]}|format-webp|webpquality-70"
PDF = b"%PDF-1.4\n% \xe5\x85\x9a\xe5\x8f\xb2\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


@dataclass
class Library:
    """A live public e-book showing files of a login-only collection, and the public and district-only files."""

    private_book: EBookPage
    private_image: Image
    private_document: LibraryDocument
    private_video: LibraryDocument
    series: VideoSeriesPage
    public_book: EBookPage
    public_document: LibraryDocument
    district_only_document: LibraryDocument

    @property
    def private_urls(self) -> list[str]:
        return [self.private_image.file.url, self.private_image.get_rendition(COVER_SPEC).url,
                self.private_document.file.url, self.private_video.file.url]


def document(title: str, name: str, collection: Collection, content: bytes = PDF) -> LibraryDocument:
    doc = LibraryDocument(title=title, collection=collection)
    doc.file.save(name, ContentFile(content), save=False)
    doc.save()
    return doc


def publish(page) -> None:
    page.save_revision().publish()


def build_library() -> Library:
    """On top of the tiny demo catalogue: a login-only collection whose files live public pages use."""
    root = Collection.get_first_root_node()
    internal = root.add_child(name="党员内部资料")
    CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    private_image = Image(title="内部学习座谈会照片", collection=internal)
    private_image.file = ImageFile(io.BytesIO(cover_image_bytes(3)), name="neibu-zuotanhui.png")
    private_image.save()
    private_document = document("党员内部学习材料", "neibu-xuexi-cailiao.pdf", internal)
    private_video = document("内部辅导视频", "neibu-fudao.mp4", internal, MP4)

    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:3])
    private_book, public_book, district_only_book = books
    private_book.cover, private_book.document = private_image, private_document
    publish(private_book)
    public_document = document("中国共产党简史（公开版）", "zhonggong-jianshi.pdf", root)
    # The demo gives only every third item an image (the builder draws the rest): this book needs a real one.
    public_book.cover = public_book.cover or Image.objects.exclude(collection=internal).order_by("pk").first()
    public_book.document = public_document
    publish(public_book)
    district_only_document = document("南关区内部通知", "nanguan-neibu-tongzhi.pdf", root)
    district_only_book.document, district_only_book.district_only = district_only_document, True
    publish(district_only_book)

    series = VideoSeriesPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    episode = series.episodes.order_by("number").first()
    episode.video_file, episode.poster = private_video, private_image
    episode.save()
    publish(series)
    return Library(private_book, private_image, private_document, private_video, series,
                   public_book, public_document, district_only_document)


@pytest.fixture
def library(tiny_catalogue) -> Library:
    return build_library()


@pytest.fixture
def superuser_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw"))
    return client


@pytest.mark.django_db
def test_restricted_collection_files_are_404_for_anonymous_visitors(client, library):
    for url in library.private_urls:
        assert url.startswith("/media/")
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_members_editors_without_admin_access_and_other_districts_editors_get_404(client, library):
    users = get_user_model().objects
    member = users.create_user("dangyuan", password="pw")
    # Still in a group with rights on every collection, but the admin was taken away from it.
    former_editor = users.create_user("yuan-bianji", password="pw")
    group = Group.objects.create(name="原编辑（已停用后台）")
    former_editor.groups.add(group)
    for codename in ("choose_image", "change_image", "change_document"):
        GroupCollectionPermission.objects.create(group=group, collection=Collection.get_first_root_node(),
                                                 permission=Permission.objects.get(codename=codename))
    for user in (member, former_editor, users.get(username="nanguan")):
        client.force_login(user)
        for url in library.private_urls:
            assert client.get(url).status_code == 404, (user.username, url)


@pytest.mark.django_db
def test_superuser_fetches_restricted_files_uncached(superuser_client, library):
    expected = {
        library.private_image.file.url: ("image/png", cover_image_bytes(3)),
        library.private_document.file.url: ("application/pdf", PDF),
        library.private_video.file.url: ("video/mp4", MP4),
    }
    for url, (content_type, content) in expected.items():
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == content
    rendition = superuser_client.get(library.private_image.get_rendition(COVER_SPEC).url)
    assert (rendition.status_code, rendition["Content-Type"]) == (200, "image/webp")
    assert rendition["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_public_cover_rendition_is_served_and_cacheable_but_its_original_is_not(client, library):
    cover = library.public_book.cover
    response = client.get(cover.get_rendition(COVER_SPEC).url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"].startswith("public, max-age=")
    assert b"".join(response.streaming_content)[8:12] == b"WEBP"
    assert client.get(cover.file.url).status_code == 404


@pytest.mark.django_db
def test_public_document_is_served_and_district_only_items_document_is_not(client, library):
    response = client.get(library.public_document.file.url)
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert b"".join(response.streaming_content) == PDF
    assert client.get(library.district_only_document.file.url).status_code == 404


@pytest.mark.django_db
def test_files_no_row_owns_are_404(client, library, settings):
    stray = Path(settings.MEDIA_ROOT) / "original_images" / "beifen-mingdan.png"
    stray.write_bytes(cover_image_bytes(1))
    (Path(settings.MEDIA_ROOT) / "beifen.txt").write_text("党员名单备份", encoding="utf-8")
    assert client.get("/media/original_images/beifen-mingdan.png").status_code == 404
    assert client.get("/media/beifen.txt").status_code == 404


@pytest.mark.django_db
def test_a_public_document_whose_file_is_gone_is_404_not_500(client, library):
    Path(library.public_document.file.path).unlink()
    assert client.get(library.public_document.file.url).status_code == 404


@pytest.mark.django_db
def test_wagtail_document_links_redirect_when_public_and_404_when_private(client, library):
    public = library.public_document
    response = client.get(f"/documents/{public.pk}/{public.filename}")
    assert (response.status_code, response["Location"]) == (302, public.file.url)
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/documents/{public.pk}/other-name.pdf").status_code == 404
    for doc in (library.private_document, library.district_only_document):
        assert client.get(f"/documents/{doc.pk}/{doc.filename}").status_code == 404


@pytest.mark.django_db
def test_wagtail_document_link_of_a_private_document_works_for_its_editor(superuser_client, library):
    doc = library.private_document
    response = superuser_client.get(f"/documents/{doc.pk}/{doc.filename}", follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


TRAVERSALS = [
    "/media/../cms/settings/base.py",
    "/media/%2e%2e/cms/settings/base.py",
    "/media/..%2fcms%2fsettings%2fbase.py",
    "/media/images/..%2F..%2F..%2Fcms/settings/base.py",
    "/media/images/..%5c..%5c..%5ccms%5csettings%5cbase.py",
    "/media/%2fetc/passwd",
    "/media//etc/passwd",
]


@pytest.mark.django_db
def test_path_traversal_is_404(superuser_client, library):
    """Even an editor gets nothing outside the media folder, nor an original by a detour through images/."""
    detour = f"/media/images/../{library.public_book.cover.file.name}"
    for url in [*TRAVERSALS, detour]:
        assert superuser_client.get(url).status_code == 404, url
    assert superuser_client.get(f"/media/{library.public_book.cover.file.name}").status_code == 200


@pytest.mark.django_db
def test_api_serialises_restricted_files_as_null(client, library):
    book = client.get(f"/api/v2/pages/{library.private_book.pk}/").json()
    assert book["title"] == library.private_book.title
    assert (book["cover"], book["document"]) == (None, None)
    episode = client.get(f"/api/v2/pages/{library.series.pk}/").json()["episodes"][0]
    assert (episode["video_file"], episode["poster"]) == (None, None)
    listing = client.get("/api/v2/pages/", {"type": "content_models.EBookPage", "fields": "*", "limit": 500})
    assert b"neibu-" not in listing.content
    public = client.get(f"/api/v2/pages/{library.public_book.pk}/").json()
    assert public["document"]["url"] == library.public_document.file.url
    assert public["cover"]["w160"]["url"].startswith("/media/images/")


@pytest.mark.django_db
def test_editors_see_restricted_files_in_a_preview_but_the_public_api_is_the_same_for_everyone(superuser_client, library):
    book = library.private_book.specific
    # The public answer does not depend on who asks, so any cache may keep it.
    assert superuser_client.get(f"/api/v2/pages/{book.pk}/").json()["document"] is None
    preview = book.create_page_preview()
    query = {"content_type": "content_models.ebookpage", "token": preview.token}
    draft = superuser_client.get("/api/v2/page_preview/", query).json()
    assert draft["document"]["url"] == library.private_document.file.url
    assert superuser_client.get(draft["cover"]["w160"]["url"]).status_code == 200
    assert Client().get("/api/v2/page_preview/", query).json()["document"] is None  # the token alone shows no private file


@pytest.mark.django_db
def test_nginx_sends_the_bytes_after_the_view_decides(superuser_client, library, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/_protected_media/"
    anonymous = Client()
    rendition = library.public_book.cover.get_rendition(COVER_SPEC)
    response = anonymous.get(rendition.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected_media/" + rendition.file.name
    assert (response["Content-Type"], response.content) == ("image/webp", b"")
    assert response["Cache-Control"].startswith("public")
    private = library.private_document.file
    assert anonymous.get(private.url).status_code == 404
    response = superuser_client.get(private.url)
    assert response["X-Accel-Redirect"] == "/_protected_media/" + private.name
    assert response["Cache-Control"] == "private, no-store"


def test_media_over_a_real_http_server(cms_api_url, live_server):
    """Through a real server: anonymous fetches of private files 404, public renditions 200, raw traversal 404."""
    library = build_library()

    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(live_server.url + url, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert [status(url) for url in library.private_urls] == [404] * 4
    assert status(library.public_book.cover.get_rendition(COVER_SPEC).url) == 200
    assert status(library.public_document.file.url) == 200
    assert status(library.district_only_document.file.url) == 404
    doc = library.private_document
    assert status(f"/documents/{doc.pk}/{doc.filename}") == 404
    host = urlparse(live_server.url)
    for raw in TRAVERSALS:  # http.client sends the path as written: no client-side normalisation
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        connection.request("GET", raw)
        assert connection.getresponse().status == 404, raw
        connection.close()
