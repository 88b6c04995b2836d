"""The builder's incremental fetch (over real HTTP) refetches a book whose reader pages finished after the last
build, though nobody published it again: its reading_revision in the cheap listing changed."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.models import Collection

from content_models.models import EBookPage, LibraryDocument
from reading import samples
from site_builder.source import CMSClient, fetch_catalogue, fetch_catalogue_incremental


def test_an_incremental_fetch_refetches_a_book_whose_processing_finished(cms_api_url):
    book = EBookPage.objects.get(slug="ebook-0005")
    document = LibraryDocument(title="抗联精神读本（PDF）", collection=Collection.get_first_root_node())
    document.file.save("kanglian.pdf", ContentFile(samples.book_pdf("抗联精神读本", samples.NORTHEAST_RESISTANCE, 3)), save=False)
    document.save()  # queued for the worker, which is not running: not processed yet
    book.document = document
    book.save_revision().publish()

    client = CMSClient(cms_api_url, attempts=1)
    before = fetch_catalogue(client)
    cached = next(item for item in before.items["ebooks"] if item["id"] == book.pk)
    assert cached["reading"] is None and cached["reading_revision"] == ""

    unchanged, stats = fetch_catalogue_incremental(client, before)
    assert not stats.full and stats.items == 0

    call_command("process_documents", "--document", str(document.pk), verbosity=0)
    after, stats = fetch_catalogue_incremental(client, before)
    assert not stats.full and stats.items == 1
    fresh = next(item for item in after.items["ebooks"] if item["id"] == book.pk)
    assert fresh["reading"] == {"document_id": document.pk, "format": "pdf", "page_count": 3,
                                "revision": fresh["reading"]["revision"]}
    assert fresh["reading_revision"] and fresh["last_published_at"] == cached["last_published_at"]
