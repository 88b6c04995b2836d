"""The state every background job on one document keeps (逐页阅读, 视频音频转码): status, error, last step."""

from __future__ import annotations

from django.db import models


class DocumentJob(models.Model):
    """A job's state: a subclass adds its `document` and its `status` (status_field, its own Chinese labels)."""

    WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"

    error = models.TextField("错误说明", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    @staticmethod
    def status_choices(waiting: str, running: str, done: str, failed: str) -> list[tuple[str, str]]:
        """The statuses with the labels the editors of this job read."""
        return list(zip((DocumentJob.WAITING, DocumentJob.RUNNING, DocumentJob.DONE, DocumentJob.FAILED),
                        (waiting, running, done, failed), strict=True))

    @staticmethod
    def status_field(choices: list[tuple[str, str]], **extra) -> models.CharField:
        return models.CharField("状态", max_length=10, choices=choices, default=DocumentJob.WAITING, **extra)

    @property
    def busy(self) -> bool:
        return self.status in (self.WAITING, self.RUNNING)
