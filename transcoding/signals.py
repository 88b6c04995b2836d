"""Queue transcodes when a series with uploaded episode files is published or such a file is replaced."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.documents import get_document_model
from wagtail.signals import page_published

from .tasks import request_transcodes


@receiver(page_published, dispatch_uid="transcode_on_publish")
def on_publish(sender, instance, **kwargs) -> None:
    from content_models.models import AudioSeriesPage, VideoSeriesPage

    if isinstance(instance, VideoSeriesPage):
        request_transcodes(e.video_file_id for e in instance.episodes.all() if e.video_file_id)
    elif isinstance(instance, AudioSeriesPage):
        request_transcodes(e.audio_file_id for e in instance.episodes.all() if e.audio_file_id)


@receiver(post_save, sender=get_document_model(), dispatch_uid="transcode_on_new_file")
def on_document_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """An editor replaced an episode's file: its renditions are stale (request_transcodes skips unchanged files)."""
    from content_models.models import AudioEpisode, VideoEpisode

    if raw:
        return
    if VideoEpisode.objects.filter(video_file=instance.pk).exists() or AudioEpisode.objects.filter(audio_file=instance.pk).exists():
        request_transcodes([instance.pk])
