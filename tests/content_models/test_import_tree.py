"""The bulk page writer leaves the tree as Wagtail's own add_child + save_revision + publish would: treebeard
finds no problem, numchild counts the children, every page has its revisions, and nothing is switched off for
other editors — also when an editor adds a page to the same section while the import is writing."""

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook
from wagtail.models import Page, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.demo_data import isbn13
from content_models.importing.importer import run_import
from content_models.models import Column, EBookPage, SectionPage
from content_models.seeding import ensure_districts

ROWS = 700  # two chunks of the writer (500 pages each)


def sheet(count: int) -> bytes:
    workbook = Workbook()
    workbook.active.append(["书名", "ISBN", "栏目", "标签", "在线阅读地址"])
    for i in range(count):
        workbook.active.append([f"红色家书第{i}封", isbn13(30000 + i), "四史学习、中国梦", "家书", f"https://reader.example.cn/letters/{i}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_in_admin(client, section: SectionPage, title: str, slug: str) -> None:
    """An editor adds and publishes a book in the admin, as a person would."""
    form = nested_form_data({"title": title, "slug": slug, "summary": "", "tags": "", "isbn": "", "comments": inline_formset([]),
                             "reader_url": "https://reader.example.cn/editor", "action-publish": "publish"})
    form["columns"] = [str(Column.objects.get(slug="sige-zixin").pk)]
    response = client.post(f"/admin/pages/add/content_models/ebookpage/{section.pk}/", form)
    assert response.status_code == 302, response.content.decode()[:800]


def assert_tree_is_sound(section: SectionPage) -> None:
    assert Page.find_problems() == ([], [], [], [], [])  # evil chars, bad step length, orphans, wrong depth, wrong numchild
    section.refresh_from_db()
    assert section.numchild == section.get_children().count()


def admin_search_finds(client, title: str) -> bool:
    return title in client.get("/admin/pages/search/", {"q": title}).content.decode()


@pytest.fixture
def editor(db, client):
    ensure_districts()
    user = get_user_model().objects.create_superuser("admin", "admin@example.cn", "pw")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_an_import_racing_an_editor_in_the_same_section_leaves_a_valid_tree(client, editor):
    city = SectionPage.objects.get(district__isnull=True)
    add_in_admin(client, city, "抗联精神读本", "kanglian")  # the section already has a child before the import
    added = []

    def progress(phase: str, total: int):
        def advance(rows: int) -> None:
            # After the writer's first chunk, an editor adds a page to the same section mid-import.
            if phase == "导入" and not added:
                add_in_admin(client, city, "东北抗日联军史话", "dongbei-kanglian")
                added.append(True)
        return advance

    report = run_import("ebook", sheet(ROWS), "家书.xlsx", editor, progress=progress)
    assert report.written and report.created == ROWS and added, [str(e) for e in report.errors[:3]]
    assert_tree_is_sound(city)
    assert city.numchild == ROWS + 2
    imported = EBookPage.objects.filter(title__startswith="红色家书")
    assert imported.count() == ROWS and imported.filter(live=True).count() == ROWS
    assert not imported.filter(latest_revision__isnull=True).exists() and not imported.filter(live_revision__isnull=True).exists()
    assert Revision.page_revisions.filter(object_id__in=[str(pk) for pk in imported.values_list("pk", flat=True)]).count() == ROWS
    first = imported.order_by("path").first()
    assert first.get_parent().pk == city.pk and first.url_path == f"{city.url_path}{first.slug}/"
    assert sorted(c.name for c in first.columns.all()) == ["中国梦", "四史学习"] and [t.name for t in first.tags.all()] == ["家书"]
    # Nothing was switched off for the editor: the page added during the import is in the admin search, and so are
    # the imported ones (indexed in bulk at the end).
    assert admin_search_finds(client, "东北抗日联军史话") and admin_search_finds(client, "红色家书第7封")
    # The tree takes further adds in the same section, through Wagtail and through another import.
    add_in_admin(client, city, "杨靖宇将军", "yang-jingyu")
    assert run_import("ebook", sheet(ROWS + 3), "家书.xlsx", editor).created == 3
    assert_tree_is_sound(city)


@pytest.mark.django_db
def test_an_import_that_fails_while_writing_leaves_the_tree_and_search_as_they_were(client, editor):
    city = SectionPage.objects.get(district__isnull=True)
    before = city.get_children().count()

    def progress(phase: str, total: int):
        def advance(rows: int) -> None:
            if phase == "导入":
                raise RuntimeError("断电")  # the process dies after the first chunk
        return advance

    with pytest.raises(RuntimeError, match="断电"):
        run_import("ebook", sheet(ROWS), "家书.xlsx", editor, progress=progress)
    assert not EBookPage.objects.filter(title__startswith="红色家书").exists()
    assert_tree_is_sound(city)
    assert city.get_children().count() == before
    add_in_admin(client, city, "赵一曼", "zhao-yiman")
    assert admin_search_finds(client, "赵一曼")
