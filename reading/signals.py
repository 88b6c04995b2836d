"""A PDF or EPUB uploaded, or its file replaced, queues its reader pages; a deleted document takes its page files along."""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from content_models.models import LibraryDocument

from .models import DocumentProcessing
from .processing import delete_pages, reader_format
from .tasks import queue_processing


@receiver(post_save, sender=LibraryDocument, dispatch_uid="reading_document_saved")
def document_saved(sender, instance: LibraryDocument, raw: bool = False, **kwargs) -> None:
    """A new file (a new upload, or a replaced one: storage gives it a new name) is queued; a title or folder edit is not.
    A PDF replaced by a file of another kind (a video) loses its reader pages."""
    if raw:
        return
    fmt = reader_format(instance)
    if fmt is None:
        if DocumentProcessing.objects.filter(document=instance).exists():
            delete_pages(instance)
            DocumentProcessing.objects.filter(document=instance).delete()
        return
    state = DocumentProcessing.objects.filter(document=instance).first()
    if state is None or state.source_name != instance.file.name:
        queue_processing(instance, fmt)


@receiver(pre_delete, sender=LibraryDocument, dispatch_uid="reading_document_deleted")
def document_deleted(sender, instance: LibraryDocument, **kwargs) -> None:
    delete_pages(instance)
