"""The admin speaks Chinese: an editor's walk through the common screens finds no English left in visible text,
and the project's zh-Hans catalogue (locale/) is compiled: the committed .mo says exactly what the .po says."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from content_models import demo_data
from content_models.models import (
    AudioSeriesPage,
    Column,
    District,
    EBookPage,
    HomePage,
    MapSitePage,
    NewsPage,
    PeriodicalPage,
    SectionPage,
    VideoSeriesPage,
)

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"

# English an editor may see, each for a reason (compared without regard to case).
ALLOWED = {
    "Wagtail": "the CMS's name, in its logo, page titles and the editor guide's name",
    "PDF": "a file format editors know by this name",
    "EPUB": "a file format editors know by this name",
    "ISBN": "the book number's international name, printed on every book",
    "ISSN": "the periodical number's international name",
    "CN": "国内统一刊号 is written CN 22-1234/D",
    "URL": "web addresses, as Wagtail's own Chinese catalogue writes them",
    "ID": "the record number",
    "API": "Wagtail's API tokens, an administrator's word",
    "WGS": "the WGS-84 coordinate system, named so on every GPS device",
    "GPS": "as in WGS-84 (GPS)",
    "GCJ": "the GCJ-02 coordinates of 高德 and 腾讯, named so in their documentation",
    "SP": "the demo's video series codes (SP0001), shown as an example",
    "YP": "the demo's audio series codes (YP0001), shown as an example",
    "Excel": "the spreadsheet program editors export to",
    "XLSX": "spreadsheet file types",
    "CSV": "spreadsheet file types",
    "UTF": "text encodings editors choose when saving a CSV (UTF-8, GBK)",
    "GBK": "text encodings editors choose when saving a CSV (UTF-8, GBK)",
    "ZIP": "the archive of covers and files for an import",
    "JPG": "image file types in upload hints",
    "JPEG": "image file types in upload hints",
    "PNG": "image file types in upload hints",
    "WEBP": "image file types in upload hints",
    "GIF": "image file types in upload hints",
    "AAC": "the audio format's name, as phones and players show it",
    "MB": "file sizes",
    "KB": "file sizes",
}
# Whole texts Wagtail 8 hard-codes in English (no msgid to translate) where nobody sees them.
ALLOWED_TEXTS = {
    "Search": "the search forms' submit button in wagtailadmin/home.html and shared/header.html: w-sr-only, and the "
    "field beside it already says 搜索全部页面…",
}
WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]")


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def site_words() -> set[str]:
    """The site's own data written in Latin letters: user names, slugs, file names, host names, and the content types'
    code names (content_models.ebookpage) the page-types report shows under their Chinese names."""
    data = [*get_user_model().objects.values_list("username", flat=True), *Page.objects.values_list("slug", flat=True)]
    data += [*Site.objects.values_list("hostname", flat=True), *(f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all())]
    data += [*Column.objects.values_list("slug", flat=True), *District.objects.values_list("slug", flat=True)]
    data += [Path(name).name for name in get_image_model().objects.values_list("file", flat=True)]
    data += [Path(name).name for name in get_document_model().objects.values_list("file", flat=True)]
    return {word for text in data for word in words(text)}


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside script, style, template and elements marked `hidden` (tab panels
    aside), and the
    words shown in fields and buttons (placeholder, the value of a submit button)."""

    HIDDEN = {"script", "style", "template", "noscript"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, hides its content)
        self.parts: list[str] = []

    def hidden(self) -> bool:
        return any(hides for _, hides in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self.hidden():
            if values.get("placeholder"):
                self.parts.append(values["placeholder"])
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(values["value"])
        if tag not in self.VOID:
            # A tab's panel is `hidden` only until its tab is chosen: it counts as seen.
            self.open.append((tag, tag in self.HIDDEN or ("hidden" in values and values.get("role") != "tabpanel")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.hidden():
            self.parts.append(data.strip())


def english_in(html: str, data_words: set[str]) -> list[str]:
    """Each visible text fragment holding an English word that is neither allowed nor the site's own data."""
    parser = VisibleText()
    parser.feed(html)
    allowed = {word.lower() for word in ALLOWED} | data_words
    return [part for part in parser.parts if part not in ALLOWED_TEXTS and words(part) - allowed]


def screens(tiny_catalogue_ids: dict) -> list[str]:
    """The screens an editor uses day to day."""
    ids = tiny_catalogue_ids
    urls = [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{ids['home']}/",
        f"/admin/pages/{ids['section']}/",
        f"/admin/pages/{ids['section']}/?ordering=latest_revision_created_at",
        f"/admin/pages/{ids['section']}/add_subpage/",
        "/admin/pages/search/?q=党史",
        "/admin/pages/search/?q=没有这个词",
        "/admin/images/",
        f"/admin/images/{ids['image']}/",
        "/admin/images/multiple/add/",
        "/admin/documents/",
        f"/admin/documents/edit/{ids['document']}/",
        "/admin/documents/multiple/add/",
        "/admin/snippets/content_models/column/",
        f"/admin/snippets/content_models/column/edit/{ids['column']}/",
        "/admin/snippets/content_models/district/",
        f"/admin/snippets/content_models/district/edit/{ids['district']}/",
        "/admin/catalogue/",
        "/admin/reports/locked/",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/workflows/tasks/index/",
        "/admin/reports/workflow/",
        "/admin/reports/workflow_tasks/",
        "/admin/reports/page-types-usage/",
        "/admin/workflows/list/",
        "/admin/workflows/add/",
        "/admin/sites/",
        "/admin/sites/new/",
        "/admin/collections/",
        "/admin/collections/add/",
        "/admin/groups/",
        "/admin/users/",
        "/admin/redirects/",
        "/admin/forms/",
        "/admin/account/",
        f"/admin/images/{ids['image']}/delete/",
        f"/admin/documents/delete/{ids['document']}/",
        f"/admin/documents/usage/{ids['document']}/",
        f"/admin/snippets/content_models/column/history/{ids['column']}/",
        f"/admin/snippets/content_models/column/usage/{ids['column']}/",
        # The project's own screens: document processing, transcoding, the search dictionary and hot words.
        "/admin/reading/",
        "/admin/transcoding/",
        "/admin/snippets/search_index/searchterm/",
        "/admin/snippets/search_index/searchterm/add/",
        "/admin/snippets/search_index/pendinghotword/",
        "/admin/snippets/search_index/approvedhotword/",
        "/admin/snippets/search_index/hotwordpin/",
        "/admin/snippets/search_index/hotwordpin/add/",
        "/admin/snippets/search_index/hotwordblock/",
    ]
    for model, pk in ids["items"].items():
        urls.append(f"/admin/pages/{pk}/edit/")
        urls.append(f"/admin/pages/add/content_models/{model}/{ids['section']}/")
    book = ids["items"]["ebookpage"]
    urls += [f"/admin/pages/{book}/{action}/" for action in ("history", "delete", "unpublish", "move", "copy")]
    return urls


@pytest.fixture
def tiny_catalogue_ids(tiny_catalogue) -> dict:
    return catalogue_ids()


def catalogue_ids() -> dict:
    """The records the walk opens: the home page, 南关区's section, one item of each type, an image, a document…"""
    section = SectionPage.objects.get(district__slug="nanguan")
    items = {}
    for model in (EBookPage, PeriodicalPage, VideoSeriesPage, AudioSeriesPage, MapSitePage, NewsPage):
        page = model.objects.order_by("pk").first()
        if page is not None:
            items[model._meta.model_name] = page.pk
    return {
        "home": HomePage.objects.get().pk,
        "section": section.pk,
        "items": items,
        "image": get_image_model().objects.order_by("pk").first().pk,
        "document": get_document_model().objects.order_by("pk").first().pk,
        "column": Column.objects.order_by("pk").first().pk,
        "district": District.objects.order_by("pk").first().pk,
    }


def sign_in(client, username: str, password: str) -> None:
    login = client.get("/admin/login/")
    assert login.status_code == 200
    response = client.post("/admin/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.django_db
def test_the_login_page_and_an_editors_walk_through_the_admin_are_all_chinese(client, tiny_catalogue_ids):
    data_words = site_words()
    problems: dict[str, list[str]] = {}
    login = client.get("/admin/login/")
    if found := english_in(login.content.decode(), data_words):
        problems["/admin/login/"] = found
    sign_in(client, "admin", "dangshi-demo-2021")
    for url in screens(tiny_catalogue_ids):
        response = client.get(url)
        assert response.status_code == 200, url
        if found := english_in(response.content.decode(), data_words):
            problems[url] = found
    assert problems == {}
    # What the admin's scripts say (autosave, block editor) comes from the same catalogue's djangojs part.
    assert json.dumps("正在自动保存…")[1:-1] in client.get("/admin/jsi18n/").content.decode()


@pytest.mark.django_db
def test_a_district_editor_sees_chinese_on_every_screen_they_may_open(client, tiny_catalogue_ids):
    data_words = site_words()
    sign_in(client, "nanguan", "dangshi-demo-2021")
    problems, opened = {}, 0
    for url in screens(tiny_catalogue_ids):
        response = client.get(url)
        if response.status_code != 200:
            continue  # not theirs to open (another district, the users list)
        opened += 1
        if found := english_in(response.content.decode(), data_words):
            problems[url] = found
    assert problems == {} and opened > 10


@pytest.mark.django_db
def test_the_import_screens_report_and_confirm_in_chinese(client, tiny_catalogue_ids, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    data_words = site_words() | {"reader", "example", "cn", "https"}  # the sheet's own reading address
    sign_in(client, "admin", "dangshi-demo-2021")
    headers = "书名,作者,出版社,出版年份,ISBN,页数,简介,栏目,标签,在线阅读地址"
    rows = [
        f"长春解放读本,王建国,吉林人民出版社,2021,{demo_data.isbn13(901)},256,讲述长春解放的历史。,辉煌历程,长春解放,https://reader.example.cn/1",
        "坏行读本,李红梅,吉林人民出版社,2021,123,256,校验位不对。,辉煌历程,,",
    ]
    sheet = SimpleUploadedFile("书目.csv", "\n".join([headers, *rows]).encode("utf-8"), content_type="text/csv")
    section = client.get("/admin/catalogue/").context["form"].fields["section"].queryset.first()
    report = client.post("/admin/catalogue/", {"type_key": "ebook", "section": section.pk, "sheet": sheet})
    assert report.status_code == 200 and "ISBN" in report.content.decode()
    done = client.post("/admin/catalogue/confirm/", {"token": report.context["token"], "valid_only": "1"})
    assert "已新建 1" in done.content.decode()
    assert (english_in(report.content.decode(), data_words), english_in(done.content.decode(), data_words)) == ([], [])


def test_the_compiled_catalogue_matches_its_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    expected = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0) for entry in po.translated_entries()}
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0) for entry in mo if entry.msgid}
    assert compiled == expected, "locale/…/django.mo is out of date: run `python manage.py compile_translations`"
    assert not po.untranslated_entries() and not po.fuzzy_entries()
