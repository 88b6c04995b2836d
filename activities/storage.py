"""Where members' uploads (心得 photos and voice) live: a folder outside MEDIA_ROOT and the public bucket.

Nothing serves this folder directly; activities.reflections streams a file to its member and to organisers only.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    """The storage of members' uploads (a callable, so settings are read when used, not when models load)."""
    return FileSystemStorage(location=settings.PRIVATE_UPLOAD_ROOT, base_url=None)
