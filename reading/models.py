"""What the reader pipeline stores: each PDF/EPUB document's processing state, and its reader pages.

A document's pages belong to one source file (its SHA-256 in `source_digest`): a new file throws them away and
starts over, the same file continues from the pages already done. Page images are WebP files under
MEDIA_ROOT/reader/<document id>/ whose names carry a digest of their bytes, so a changed page gets a new URL.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from content_models.jobs import DocumentJob

READER_FOLDER = "reader"


class DocumentProcessing(DocumentJob):
    """One document's way from upload to reader pages: status, progress and the editor's error message."""

    STATUSES = DocumentJob.status_choices("等待处理", "正在处理", "已完成", "处理失败")
    FORMATS = [("pdf", "PDF"), ("epub", "EPUB")]

    document = models.OneToOneField(
        "content_models.LibraryDocument", verbose_name="文档", primary_key=True, on_delete=models.CASCADE,
        related_name="processing",
    )
    format = models.CharField("格式", max_length=4, choices=FORMATS)
    status = DocumentJob.status_field(STATUSES, db_index=True)
    source_name = models.CharField("文件名", max_length=255, blank=True, help_text="最近一次排队处理时的文件。")
    source_digest = models.CharField("文件摘要", max_length=64, blank=True, help_text="已生成的阅读页所属文件的 SHA-256。")
    page_count = models.PositiveIntegerField("总页数", default=0)
    pages_done = models.PositiveIntegerField("已完成页数", default=0)
    revision = models.CharField("版本", max_length=64, blank=True, help_text="阅读页内容的摘要，内容变了它就变。")

    class Meta:
        verbose_name = "逐页阅读处理"
        verbose_name_plural = "逐页阅读处理"

    def __str__(self) -> str:
        return f"{self.document} · {self.get_status_display()}"

    @property
    def stalled(self) -> bool:
        """Running, but no page finished for ten minutes: the worker probably stopped (a page takes well under a second)."""
        return self.status == self.RUNNING and self.updated_at < timezone.now() - timedelta(minutes=10)


class ReaderPage(models.Model):
    """One reader page: a PDF page (image at 720 and 360 px wide, and its text) or an EPUB chapter (title, text)."""

    document = models.ForeignKey(
        "content_models.LibraryDocument", verbose_name="文档", on_delete=models.CASCADE, related_name="reader_pages"
    )
    number = models.PositiveIntegerField("页码")
    title = models.CharField("标题", max_length=255, blank=True)
    text = models.TextField("文字", blank=True)
    image = models.CharField("大图", max_length=255, blank=True, db_index=True)  # storage name, "" for none
    image_width = models.PositiveIntegerField(default=0)
    image_height = models.PositiveIntegerField(default=0)
    image_bytes = models.PositiveIntegerField(default=0)
    image_small = models.CharField("小图", max_length=255, blank=True, db_index=True)
    image_small_width = models.PositiveIntegerField(default=0)
    image_small_height = models.PositiveIntegerField(default=0)
    image_small_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "阅读页"
        verbose_name_plural = "阅读页"
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_reader_page_number")]

    def __str__(self) -> str:
        return f"{self.document} 第{self.number}页"

    def file_names(self) -> list[str]:
        return [name for name in (self.image, self.image_small) if name]
