"""transcode_media: for operators — transcode every episode file that has no current renditions, or queue them."""

from django.core.management.base import BaseCommand
from wagtail.documents import get_document_model

from transcoding.models import Transcode
from transcoding.tasks import episode_documents, request_transcodes, transcode


class Command(BaseCommand):
    help = "为各集上传的视频、音频文件转码（只处理新的或换过的文件）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--document", type=int, action="append", help="只处理这个文档（可多次指定）。")
        parser.add_argument("--force", action="store_true", help="已完成或失败的也重新转码。")
        parser.add_argument("--queue", action="store_true", help="交给后台任务（db_worker）处理，而不是在这里等待。")

    def handle(self, *args, document: list[int] | None, force: bool, queue: bool, **options) -> None:
        ids = set(document or episode_documents())
        if queue:
            count = request_transcodes(ids, force=force)
            self.stdout.write(self.style.SUCCESS(f"已排队 {count} 个文件，由后台任务转码。"))
            return
        failed = 0
        for doc in get_document_model().objects.filter(pk__in=ids).order_by("pk"):
            row = Transcode.objects.filter(document=doc).first()
            if row and not force and not row.needs_work():
                continue
            self.stdout.write(f"转码：{doc.title} …")
            result = transcode(doc, force=force)
            if result.get("status") == Transcode.FAILED:
                failed += 1
                self.stderr.write(f"  失败：{result['error']}")
            else:
                self.stdout.write(f"  完成（{result.get('seconds', 0)} 秒）：{'、'.join(result.get('renditions', []))}")
        self.stdout.write(self.style.SUCCESS(f"处理完毕，失败 {failed} 个。") if not failed else self.style.WARNING(f"处理完毕，失败 {failed} 个。"))
