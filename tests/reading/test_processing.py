"""Processing through the operators' command, the upload → queue → worker path and the editors' report: failures give
a Chinese message and break nothing else, a crash resumes, an unchanged file is not redone, a new file starts over."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from fpdf import FPDF
from wagtail.models import Collection

import reading.processing
from content_models.models import EBookPage, LibraryDocument
from reading import samples
from reading.models import DocumentProcessing, ReaderPage
from reading.processing import BROKEN_EPUB, BROKEN_PDF, ENCRYPTED_PDF
from reading.tasks import make_reader_pages
from search_index.tasks import index_item
from site_builder.tasks import rebuild_site


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(samples.FONT))
    pdf.set_font("wqy", size=14)
    pdf.cell(0, 10, "支部书记内部学习资料")
    pdf.set_encryption(owner_password="owner-2021", user_password="dangshi-2021")
    return bytes(pdf.output())


def bad_epub() -> bytes:
    """Passes the upload check (a zip whose mimetype says EPUB) but has no container or chapters."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("OEBPS/chapter-01.xhtml", "<html><body><p>延安精神</p></body></html>")
    return buffer.getvalue()


def history_pdf(pages: int) -> bytes:
    return samples.book_pdf("中国共产党简史读本", samples.PARTY_HISTORY, pages)


def attach(book: EBookPage, name: str, content: bytes) -> LibraryDocument:
    document = LibraryDocument(title=f"{book.title}（{name}）", collection=Collection.get_first_root_node())
    document.file.save(name, ContentFile(content), save=False)
    document.save()
    book.document = document
    book.save_revision().publish()
    return document


def api_book(client, book: EBookPage) -> dict:
    return client.get(f"/api/v2/pages/{book.pk}/").json()


def process(document: LibraryDocument, *args: str) -> str:
    out = io.StringIO()
    call_command("process_documents", "--document", str(document.pk), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def book(tiny_catalogue) -> EBookPage:
    """A public demo book without a document of its own."""
    return EBookPage.objects.get(slug="ebook-0005")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), [
    ("neibu-ziliao.pdf", encrypted_pdf(), ENCRYPTED_PDF),
    ("shangchuan-zhongduan.pdf", history_pdf(6)[:9000], BROKEN_PDF),
    ("sunhuai.epub", bad_epub(), BROKEN_EPUB),
])
def test_a_file_that_cannot_be_read_fails_with_a_chinese_message_and_the_book_still_works(
    client, admin_client_zh, book, name, content, message
):
    document = attach(book, name, content)
    output = process(document)
    state = DocumentProcessing.objects.get(document=document)
    assert state.status == DocumentProcessing.FAILED and state.error == message
    assert message in output and "处理失败 1" in output
    item = api_book(client, book)
    assert item["reading"] is None and item["reading_revision"] == ""
    assert item["document"]["url"].endswith(name) and client.get(item["document"]["url"]).status_code == 200
    assert client.get("/api/v2/reader_pages/", {"document": document.pk}).json() == {
        "meta": {"total_count": 0, "revision": ""}, "items": []}
    report = admin_client_zh.get("/admin/reading/").content.decode()
    assert "逐页阅读" in report and document.title in report and message in report and "重新处理" in report


@pytest.mark.django_db
def test_a_crash_keeps_the_pages_done_and_the_next_run_continues(client, book, monkeypatch):
    document = attach(book, "jianshi.pdf", history_pdf(7))
    real = reading.processing.render_pdf_page
    rendered: list[int] = []

    def power_cut_after_three(pdf, index):
        if len(rendered) == 3:
            raise RuntimeError("停电了")
        rendered.append(index + 1)
        return real(pdf, index)

    monkeypatch.setattr(reading.processing, "render_pdf_page", power_cut_after_three)
    with pytest.raises(RuntimeError):
        process(document)
    state = DocumentProcessing.objects.get(document=document)
    assert (state.status, state.pages_done, state.page_count) == (DocumentProcessing.RUNNING, 3, 7)
    assert api_book(client, book)["reading"] is None  # unfinished pages are never public

    monkeypatch.setattr(reading.processing, "render_pdf_page", lambda pdf, index: rendered.append(index + 1) or real(pdf, index))
    assert "已完成 1" in process(document)
    assert rendered == [1, 2, 3, 4, 5, 6, 7]  # pages 1–3 were not rendered again
    assert list(ReaderPage.objects.filter(document=document).values_list("number", flat=True)) == list(range(1, 8))
    assert api_book(client, book)["reading"]["page_count"] == 7


@pytest.mark.django_db
def test_an_unchanged_file_is_not_redone_and_a_new_file_starts_over(client, book, monkeypatch):
    document = attach(book, "jianshi.pdf", history_pdf(5))
    process(document)
    first = api_book(client, book)["reading"]
    old_files = [name for page in ReaderPage.objects.filter(document=document) for name in page.file_names()]
    assert len(old_files) == 10 and all(default_storage.exists(name) for name in old_files)

    calls: list[int] = []
    real = reading.processing.render_pdf_page
    monkeypatch.setattr(reading.processing, "render_pdf_page", lambda pdf, index: calls.append(index) or real(pdf, index))
    call_command("process_documents", "--all", stdout=io.StringIO())
    assert calls == [] and api_book(client, book)["reading"] == first

    document.file.save("jianshi-xiuding.pdf", ContentFile(samples.book_pdf("中国共产党简史读本（修订版）", samples.PARTY_HISTORY, 3)))
    assert DocumentProcessing.objects.get(document=document).status == DocumentProcessing.WAITING  # queued on save
    assert api_book(client, book)["reading"] is None  # the old pages are not shown for the new file
    process(document)
    second = api_book(client, book)["reading"]
    assert second["page_count"] == 3 and second["revision"] != first["revision"]
    assert not any(default_storage.exists(name) for name in old_files)
    pages = client.get("/api/v2/reader_pages/", {"document": document.pk}).json()["items"]
    assert "修订版" in pages[0]["text"] and all(page["image"]["url"] not in old_files for page in pages)


def test_upload_queues_the_worker_which_processes_and_asks_for_a_rebuild_and_reindex(cms_api_url, client):
    """Transactional, as in production: the upload's commit enqueues the task, a real worker (in-process) runs it."""
    from django.contrib.auth import get_user_model

    book = EBookPage.objects.get(slug="ebook-0005")
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("chief", "chief@example.cn", "pw"))
    DBTaskResult.objects.all().delete()  # the demo's own documents were queued (and processed) by seeding
    upload = SimpleUploadedFile("kanglian.pdf", samples.book_pdf("东北抗日联军史话", samples.NORTHEAST_RESISTANCE, 4),
                                content_type="application/pdf")
    response = editor.post("/admin/documents/add/", {"title": "东北抗日联军史话（PDF）", "file": upload, "collection": 1})
    assert response.status_code == 302
    document = LibraryDocument.objects.get(title="东北抗日联军史话（PDF）")
    assert DocumentProcessing.objects.get(document=document).status == DocumentProcessing.WAITING
    assert DBTaskResult.objects.filter(task_path=make_reader_pages.module_path, status=TaskResultStatus.READY).count() == 1
    book.document = document
    book.save_revision().publish()
    DBTaskResult.objects.exclude(task_path=make_reader_pages.module_path).delete()  # only what processing asks for

    call_command("db_worker", "--backend", "queue", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    result = DBTaskResult.objects.get(task_path=make_reader_pages.module_path)
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert result.return_value == {"document": document.pk, "status": "done", "pages": 4, "error": ""}
    assert api_book(client, book)["reading"]["page_count"] == 4
    assert DBTaskResult.objects.filter(task_path=rebuild_site.module_path).exists()
    assert [row.args_kwargs["args"] for row in DBTaskResult.objects.filter(task_path=index_item.module_path)] == [[book.pk]]


@pytest.mark.django_db
def test_reprocess_from_the_report_queues_the_document_again(admin_client_zh, book, django_capture_on_commit_callbacks):
    document = attach(book, "jianshi.pdf", history_pdf(2))
    process(document)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_zh.post(f"/admin/reading/{document.pk}/reprocess/")
    assert response.status_code == 302
    assert DocumentProcessing.objects.get(document=document).status == DocumentProcessing.WAITING
    queued = DBTaskResult.objects.get(task_path=make_reader_pages.module_path)
    assert queued.args_kwargs == {"args": [document.pk], "kwargs": {"force": True}}
    assert "重新排队处理" in admin_client_zh.get("/admin/reading/").content.decode()


@pytest.mark.django_db
def test_the_report_is_not_for_members_without_admin_access(client, book):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("dangyuan", password="pw"))
    assert client.get("/admin/reading/").status_code in (302, 403, 404)


@pytest.mark.django_db
def test_an_oversized_epub_and_a_very_tall_page_are_handled(book, monkeypatch):
    epub_document = attach(book, "yanan.epub", samples.book_epub("延安精神读本", "编者", samples.YANAN_SPIRIT, "test-yanan"))
    monkeypatch.setattr(reading.processing, "MAX_EPUB_UNPACKED_BYTES", 1000)
    process(epub_document)
    assert DocumentProcessing.objects.get(document=epub_document).error == reading.processing.TOO_BIG_EPUB

    scroll = FPDF(format=(100, 2000))  # a scroll twenty times taller than wide
    scroll.add_page()
    scroll.add_font("wqy", fname=str(samples.FONT))
    scroll.set_font("wqy", size=14)
    scroll.cell(0, 10, "长征路线图")
    document = attach(book, "changzheng-luxian.pdf", bytes(scroll.output()))
    process(document)
    page = ReaderPage.objects.get(document=document)
    assert page.image_height <= reading.processing.MAX_PAGE_HEIGHT and page.image_width < 720 and "长征路线图" in page.text


@pytest.mark.django_db
def test_deleting_a_document_deletes_its_reader_images(tiny_catalogue):
    document = EBookPage.objects.get(slug="ebook-0001").document
    names = [name for page in ReaderPage.objects.filter(document=document) for name in page.file_names()]
    assert names and all(default_storage.exists(name) for name in names)
    document.delete()
    assert not ReaderPage.objects.filter(document_id=document.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.django_db
def test_a_district_editor_sees_only_documents_of_their_own_collections(client, tiny_catalogue):
    from django.contrib.auth import get_user_model

    # The district's workspace grants wagtaildocs' own document permissions, which Wagtail's document policy checks.
    editor = get_user_model().objects.get(username="nanguan")
    collection = Collection.objects.get(name="南关区")
    own = LibraryDocument(title="南关区党员学习手册（PDF）", collection=collection)
    own.file.save("nanguan-shouce.pdf", ContentFile(history_pdf(2)), save=False)
    own.save()
    process(own)
    client.force_login(editor)
    page = client.get("/admin/reading/").content.decode()
    assert "南关区党员学习手册（PDF）" in page
    assert "中国共产党简史读本" not in page and "延安精神读本" not in page
    assert client.post(f"/admin/reading/{EBookPage.objects.get(slug='ebook-0001').document_id}/reprocess/").status_code == 404


@pytest.mark.django_db
def test_a_pdf_replaced_by_a_video_loses_its_reader_pages(client, tiny_catalogue):
    book = EBookPage.objects.get(slug="ebook-0001")
    document = book.document
    names = [name for page in ReaderPage.objects.filter(document=document) for name in page.file_names()]
    document.file.save("jianshi-shipin.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"))
    assert api_book(client, book)["reading"] is None
    assert not DocumentProcessing.objects.filter(document=document).exists()
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.django_db
def test_an_interrupted_document_shows_as_stalled_and_reprocess_continues_it(admin_client_zh, book, monkeypatch,
                                                                             django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    document = attach(book, "jianshi.pdf", history_pdf(4))
    real = reading.processing.render_pdf_page
    monkeypatch.setattr(reading.processing, "render_pdf_page",
                        lambda pdf, index: real(pdf, index) if index < 2 else (_ for _ in ()).throw(SystemExit("worker killed")))
    with pytest.raises(SystemExit):
        process(document)
    DocumentProcessing.objects.filter(document=document).update(updated_at=timezone.now() - timedelta(minutes=30))
    assert "可能已中断" in admin_client_zh.get("/admin/reading/").content.decode()
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_zh.post(f"/admin/reading/{document.pk}/reprocess/")
    assert DBTaskResult.objects.get(task_path=make_reader_pages.module_path).args_kwargs["kwargs"] == {"force": False}
    monkeypatch.setattr(reading.processing, "render_pdf_page", real)
    make_reader_pages.call(document.pk)
    state = DocumentProcessing.objects.get(document=document)
    assert (state.status, state.pages_done) == (DocumentProcessing.DONE, 4)
