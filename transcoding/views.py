"""The editors' 「视频音频转码」 report: each episode file's transcoding status, progress and error, and 「重新转码」."""

from __future__ import annotations

from content_models.job_report import JobReport

from .models import Transcode
from .tasks import request_transcodes


def retranscode_document(row: Transcode) -> bool:
    request_transcodes([row.document_id], force=True)
    return True


report_page = JobReport(
    Transcode, title="视频音频转码", icon="media", template="transcoding/report.html", url_name="transcoding:report",
    requeue_url="transcoding:retranscode", requeue=retranscode_document, queued="《{title}》已重新排队转码，完成后网站自动更新。",
)
