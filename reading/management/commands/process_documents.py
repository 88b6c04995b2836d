"""process_documents: make the reader pages of PDF/EPUB documents now, in this process, printing progress (operators)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from content_models.models import LibraryDocument
from reading.models import DocumentProcessing
from reading.processing import READER_FORMATS, process_document


class Command(BaseCommand):
    help = "生成 PDF/EPUB 文档的逐页阅读页：处理等待中、失败或文件已更换的文档（已完成且文件未变的跳过）。"

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="所有 PDF/EPUB 文档。")
        which.add_argument("--document", type=int, action="append", metavar="ID", help="只处理这个文档（可重复）。")
        parser.add_argument("--force", action="store_true", help="已完成的也从头重新生成。")

    def handle(self, *args, all: bool, document: list[int] | None, force: bool, **options) -> None:
        if all:
            condition = Q()
            for extension in READER_FORMATS:
                condition |= Q(file__iendswith="." + extension)
            ids = list(LibraryDocument.objects.filter(condition).order_by("pk").values_list("pk", flat=True))
        else:
            ids = sorted(set(document))
            missing = set(ids) - set(LibraryDocument.objects.filter(pk__in=ids).values_list("pk", flat=True))
            if missing:
                raise CommandError(f"没有这些文档：{', '.join(map(str, sorted(missing)))}")
        verbose = options["verbosity"] > 0
        counts = {status: 0 for status, _ in DocumentProcessing.STATUSES}
        for document_id in ids:
            def progress(state: DocumentProcessing, document_id: int = document_id) -> None:
                if verbose:
                    self.stdout.write(f"  文档 {document_id}：{state.pages_done}/{state.page_count} 页", ending="\r")
                    self.stdout.flush()

            state = process_document(document_id, force=force, progress=progress)
            if state is None:
                if verbose:
                    self.stdout.write(f"文档 {document_id}：不是 PDF/EPUB，跳过。")
                continue
            counts[state.status] += 1
            if verbose:
                line = f"文档 {document_id}《{state.document.title}》：{state.get_status_display()}，{state.pages_done}/{state.page_count} 页"
                self.stdout.write(line + (f"。{state.error}" if state.error else ""))
        labels = dict(DocumentProcessing.STATUSES)
        self.stdout.write(self.style.SUCCESS("处理结束：" + "，".join(f"{labels[s]} {n}" for s, n in counts.items() if n)))
