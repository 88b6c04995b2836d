"""The queue task (backend "queue", drained by `manage.py db_worker --backend queue`) that makes a document's reader pages."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import DocumentProcessing
from .processing import process_document

# Below site rebuilds and index updates (0 and 10): a publish goes live within seconds while books are processed
# (a 400-page PDF is ~10 s of CPU, an import of many books hours).
READING_PRIORITY = -10


@task(backend="queue", priority=READING_PRIORITY)
def make_reader_pages(document_id: int, force: bool = False) -> dict:
    """Process one document (see reading.processing.process_document); progress is on its DocumentProcessing row."""
    state = process_document(document_id, force=force)
    if state is None:
        return {"document": document_id, "status": "skipped"}
    return {"document": document_id, "status": state.status, "pages": state.pages_done, "error": state.error}


def queue_processing(document, fmt: str, *, force: bool = False) -> None:
    """Mark the document waiting and enqueue its processing once the transaction commits."""
    DocumentProcessing.objects.update_or_create(
        document=document,
        defaults={"format": fmt, "status": DocumentProcessing.WAITING, "source_name": document.file.name, "error": ""},
    )
    document_id = document.pk
    transaction.on_commit(lambda: make_reader_pages.enqueue(document_id, force=force))
