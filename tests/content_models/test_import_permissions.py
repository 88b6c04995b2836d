"""The importer asks Wagtail's page permissions about the page it would change, where the tree has it now."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from content_models.demo_data import isbn13
from content_models.models import EBookPage, SectionPage
from content_models.seeding import ensure_districts

ISBN = isbn13(5151).replace("-", "")


def sheet(title: str) -> bytes:
    workbook = Workbook()
    workbook.active.append(["书名", "ISBN", "栏目", "在线阅读地址"])
    workbook.active.append([title, ISBN, "辉煌历程", "https://reader.example.cn/move"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_and_confirm(client, title: str) -> str:
    """The admin flow an editor follows: upload, read the check report, confirm; returns both pages' text."""
    section = client.get("/admin/catalogue/").context["form"].fields["section"].queryset.first()
    response = client.post("/admin/catalogue/", {"type_key": "ebook", "section": section.pk,
                                                 "sheet": SimpleUploadedFile("书目.xlsx", sheet(title))})
    checked = response.content.decode()
    if "确认导入" not in checked:
        return checked
    return checked + client.post("/admin/catalogue/confirm/", {"token": response.context["token"]}).content.decode()


@pytest.fixture
def editors(db, settings, tmp_path):
    settings.CATALOGUE_IMPORT_DIR = tmp_path
    ensure_districts()
    User = get_user_model()
    users = {}
    for username, group in (("city", "市级编辑"), ("nanguan", "南关区编辑"), ("kuancheng", "宽城区编辑")):
        users[username] = User.objects.create_user(username, password="pw")
        users[username].groups.add(Group.objects.get(name=group))
    return users


@pytest.mark.django_db
def test_after_a_real_move_only_the_new_districts_editor_may_rewrite_the_book_by_import(client, editors):
    nanguan = SectionPage.objects.get(district__name="南关区")
    kuancheng = SectionPage.objects.get(district__name="宽城区")
    client.force_login(editors["city"])
    assert "已新建 1" in upload_and_confirm(client, "长春解放读本")
    book = EBookPage.objects.get(isbn=ISBN)
    assert book.get_parent().pk == SectionPage.objects.get(district__isnull=True).pk
    # The city editor puts it in 南关区, then moves it on to 宽城区, both with Wagtail's admin move view.
    for section in (nanguan, kuancheng):
        response = client.post(f"/admin/pages/{book.pk}/move/{section.pk}/confirm/")
        assert response.status_code == 302, response.content.decode()[:500]
    assert EBookPage.objects.get(pk=book.pk).get_parent().pk == kuancheng.pk

    client.force_login(editors["nanguan"])
    page = upload_and_confirm(client, "长春解放读本（南关区改写）")
    assert "您没有修改它的权限" in page and "宽城区" in page
    assert EBookPage.objects.get(pk=book.pk).get_latest_revision_as_object().title == "长春解放读本"

    client.force_login(editors["kuancheng"])
    page = upload_and_confirm(client, "长春解放读本（宽城区修订）")
    assert "已更新 1" in page and "没有修改" not in page
    book = EBookPage.objects.get(pk=book.pk)
    # District editors do not publish: the change waits for review as the latest revision.
    assert book.title == "长春解放读本" and book.has_unpublished_changes
    assert book.get_latest_revision_as_object().title == "长春解放读本（宽城区修订）"


@pytest.mark.django_db
def test_a_right_granted_on_one_page_counts_as_wagtail_grants_it_not_only_rights_on_whole_sections(client, editors):
    from django.contrib.auth.models import Permission
    from wagtail.models import GroupPagePermission

    client.force_login(editors["city"])
    upload_and_confirm(client, "延安精神十讲")
    book = EBookPage.objects.get(isbn=ISBN)
    proofreaders = Group.objects.create(name="特约校对")
    GroupPagePermission.objects.create(group=proofreaders, page=book, permission=Permission.objects.get(
        content_type__app_label="wagtailcore", codename="change_page"))
    proofreader = get_user_model().objects.create_user("proofreader", password="pw")
    proofreader.groups.add(proofreaders, Group.objects.get(name="南关区编辑"))  # may import at all: 南关区

    client.force_login(proofreader)
    assert "已更新 1" in upload_and_confirm(client, "延安精神十讲（校订）")
    assert EBookPage.objects.get(pk=book.pk).get_latest_revision_as_object().title == "延安精神十讲（校订）"
