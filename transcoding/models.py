"""The transcoding state of each episode's uploaded video or audio document, and the renditions it has."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from content_models.jobs import DocumentJob

# Renditions live under MEDIA_ROOT/transcodes/<document id>/<source digest>-<suffix>: a new upload gets new
# names (caches never serve the old bytes), and content_models.media finds the document a file belongs to.
FOLDER = "transcodes"


class Transcode(DocumentJob):
    """One document's renditions: state, progress, the source they were made from and a plain Chinese error."""

    STATUSES = DocumentJob.status_choices("等待转码", "正在转码", "已完成", "失败")

    document = models.OneToOneField(
        settings.WAGTAILDOCS_DOCUMENT_MODEL, verbose_name="文件", on_delete=models.CASCADE, related_name="transcode"
    )
    status = DocumentJob.status_field(STATUSES)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    source_name = models.CharField("源文件", max_length=255, blank=True, help_text="转码时的文件名；换了文件就重新转码。")
    source_digest = models.CharField("源文件摘要", max_length=64, blank=True)
    duration_seconds = models.PositiveIntegerField("时长（秒）", default=0)
    # {name: {"file": storage name, "bytes", "bitrate", "width", "height"}} for low, high, audio, poster.
    outputs = models.JSONField("转码结果", default=dict, blank=True)
    detail = models.TextField("技术细节", blank=True, help_text="ffmpeg 的输出，供运维排查。")

    class Meta:
        verbose_name = "转码"
        verbose_name_plural = "转码"

    def __str__(self) -> str:
        return f"{self.document.title}（{self.get_status_display()}）"

    def needs_work(self) -> bool:
        """True when the document's file is not the one the renditions were made from, or nothing is done yet."""
        return self.status != self.DONE or self.source_name != self.document.file.name

    def revision(self) -> str:
        """Short digest of what the API says about these renditions: changes when a transcode finishes or fails."""
        return hashlib.sha256(f"{self.status}|{self.source_digest}|{sorted(self.outputs)}".encode()).hexdigest()[:12]

    def file_names(self) -> set[str]:
        return {output["file"] for output in self.outputs.values() if output.get("file")}
