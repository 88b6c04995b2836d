"""Bad input in the admin gets a clear Chinese message and nothing is saved half-way."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.models import Column, EBookPage, LibraryDocument, MapSitePage, SectionPage, VideoSeriesPage
from content_models.validators import isbn_is_valid, issn_is_valid, normalize_isbn, normalize_issn


def page_form(fields: dict, **formsets) -> dict:
    form = nested_form_data({"slug": "validation-test", "summary": "", "tags": "", "comments": inline_formset([]),
                             **fields, **formsets})
    form["columns"] = [str(Column.objects.get(slug="sige-zixin").pk)]
    return form


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should have been shown again with errors"
    return str(response.context["form"].errors) + response.content.decode()


@pytest.fixture
def city_section(tiny_catalogue):
    return SectionPage.objects.get(district__isnull=True)


@pytest.mark.django_db
def test_invalid_isbn_is_refused_with_a_clear_message(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/ebookpage/{city_section.pk}/"
    response = admin_client_zh.post(url, page_form({
        "title": "四个自信学习读本", "isbn": "978-7-01-017800-3", "reader_url": "https://reader.example.cn/1",
    }))
    assert "ISBN 校验位不正确" in errors_of(response)
    assert not EBookPage.objects.filter(title="四个自信学习读本").exists()


@pytest.mark.django_db
def test_ebook_needs_a_file_or_a_reader_url(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/ebookpage/{city_section.pk}/"
    response = admin_client_zh.post(url, page_form({"title": "无文件的图书", "isbn": "9787010178004"}))
    assert "请上传电子书文件或填写在线阅读地址" in errors_of(response)


@pytest.mark.django_db
def test_valid_isbn_is_stored_normalised(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/ebookpage/{city_section.pk}/"
    response = admin_client_zh.post(url, page_form({
        "title": "中国共产党简史", "isbn": "ＩＳＢＮ 978-7-01-017800-4", "reader_url": "https://reader.example.cn/2",
    }))
    assert response.status_code == 302
    assert EBookPage.objects.get(title="中国共产党简史").isbn == "9787010178004"


@pytest.mark.django_db
def test_coordinates_outside_china_are_refused(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/mapsitepage/{city_section.pk}/"
    response = admin_client_zh.post(url, page_form(
        {"title": "不在中国的地标", "kind": "纪念馆", "address": "某地", "latitude": "48.8566", "longitude": "2.3522"},
        photos=inline_formset([]), related_links=inline_formset([]),
    ))
    assert "不在中国境内" in errors_of(response)
    assert not MapSitePage.objects.filter(title="不在中国的地标").exists()


@pytest.mark.django_db
def test_an_episode_number_used_twice_is_refused(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/videoseriespage/{city_section.pk}/"
    episode = {"title": "第1集 延安精神", "duration_seconds": "600", "video_url": "https://video.example.cn/1.mp4",
               "video_file": "", "poster": "", "transcript": ""}
    response = admin_client_zh.post(url, page_form(
        {"title": "延安精神专题讲座", "code": "SP9001", "presenter": "", "producer": ""},
        episodes=inline_formset([{**episode, "number": "1"}, {**episode, "number": "1", "title": "第1集 重复"}]),
    ))
    assert response.status_code == 200
    assert "第1集的集数重复" in response.content.decode()
    assert not VideoSeriesPage.objects.filter(code="SP9001").exists()


@pytest.mark.django_db
def test_a_document_that_is_not_what_its_name_claims_is_refused(admin_client_zh, tiny_catalogue):
    fake = SimpleUploadedFile("党史读本.pdf", "这不是PDF文件".encode(), content_type="application/pdf")
    response = admin_client_zh.post("/admin/documents/add/", {"title": "伪装的PDF", "file": fake, "collection": 1})
    assert response.status_code == 200
    assert "文件内容与扩展名 .pdf 不符" in response.content.decode()
    assert not LibraryDocument.objects.filter(title="伪装的PDF").exists()
    real = SimpleUploadedFile("党史读本.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    response = admin_client_zh.post("/admin/documents/add/", {"title": "真正的PDF", "file": real, "collection": 1})
    assert response.status_code == 302
    assert LibraryDocument.objects.filter(title="真正的PDF").exists()


@pytest.mark.django_db
def test_an_image_that_is_not_an_image_is_refused(admin_client_zh, tiny_catalogue):
    from wagtail.images.models import Image

    count = Image.objects.count()
    fake = SimpleUploadedFile("封面.png", "不是图片".encode(), content_type="image/png")
    response = admin_client_zh.post("/admin/images/add/", {"title": "伪装的图片", "file": fake, "collection": 1})
    assert response.status_code == 200
    assert Image.objects.count() == count


@pytest.mark.parametrize("raw, valid", [
    ("978-7-01-017800-4", True), ("9787010178003", False), ("7-01-000001-X", False), ("0-306-40615-2", True),
    ("ＩＳＢＮ９７８７０１０１７８００４", True),
])
def test_isbn_checksum(raw, valid):
    assert isbn_is_valid(normalize_isbn(raw)) is valid


@pytest.mark.parametrize("raw, valid", [("0378-5955", True), ("03785956", False), ("2049-3630", True), ("1002-498X", False)])
def test_issn_checksum(raw, valid):
    assert issn_is_valid(normalize_issn(raw)) is valid


@pytest.mark.django_db
def test_the_admin_form_takes_an_isbn_10_as_the_book_it_names(admin_client_zh, city_section):
    url = f"/admin/pages/add/content_models/ebookpage/{city_section.pk}/"
    response = admin_client_zh.post(url, page_form({"title": "新中国史", "isbn": "9787017300019", "reader_url": "https://reader.example.cn/3"}))
    assert response.status_code == 302
    response = admin_client_zh.post(url, page_form({"title": "新中国史（重复）", "isbn": "7-01-730001-7", "reader_url": "https://reader.example.cn/4"}))
    assert "已有使用该 ISBN 的电子图书" in errors_of(response)
    assert not EBookPage.objects.filter(title="新中国史（重复）").exists()


def test_isbn_10_is_normalised_to_its_isbn_13():
    assert normalize_isbn("7-01-730001-7") == normalize_isbn("ISBN 978-7-01-730001-9") == "9787017300019"
    assert normalize_isbn("7-01-730001-8") == "7017300018"  # invalid: left for the validator to refuse
