"""The editors' 「逐页阅读」 report: each document's processing status, progress and error, and 「重新处理」."""

from __future__ import annotations

from content_models.job_report import JobReport

from .models import DocumentProcessing
from .processing import reader_format
from .tasks import queue_processing


def reprocess_document(state: DocumentProcessing) -> bool:
    fmt = reader_format(state.document)
    if fmt is None:
        return False
    # A finished document is drawn again from scratch; a failed or interrupted one continues from its pages.
    queue_processing(state.document, fmt, force=state.status == DocumentProcessing.DONE)
    return True


report_page = JobReport(
    DocumentProcessing, title="逐页阅读", icon="doc-full", template="reading/report.html", url_name="reading:report",
    requeue_url="reading:reprocess", requeue=reprocess_document, queued="《{title}》已重新排队处理，完成后网站自动更新。",
)
