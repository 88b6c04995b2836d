"""What the headless API says of an episode file's renditions (`media`) and of a series' (`media_revision`).

Both read the document's transcode through Django's relation cache, so an API page that prefetched
`episodes__video_file__transcode` (see the pages' api_prefetch) asks no query per episode. Whether the
requester may see the file at all is decided before, by the serializer (content_models.serializers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from .models import Transcode


def transcode_of(document) -> Transcode | None:
    try:
        return document.transcode
    except ObjectDoesNotExist:
        return None


def media_of(document) -> dict | None:
    """{"poster", "low", "high", "audio", "duration_seconds"} once the renditions are done, else None."""
    row = transcode_of(document)
    if row is None or row.status != Transcode.DONE:
        return None
    outputs = row.outputs

    def entry(name: str, *keys: str) -> dict | None:
        output = outputs.get(name)
        if not output:
            return None
        return {"url": settings.MEDIA_URL + output["file"], **{key: output[key] for key in keys}}

    return {
        "poster": entry("poster", "width", "height"),
        "low": entry("low", "bytes", "bitrate", "width", "height"),
        "high": entry("high", "bytes", "bitrate", "width", "height"),
        "audio": entry("audio", "bytes", "bitrate"),
        "duration_seconds": row.duration_seconds,
    }


def media_revision(documents: Iterable) -> str:
    """A short digest of the transcode state of these files: changes when one finishes, fails or is redone."""
    states = [f"{document.pk}:{row.revision()}" for document in documents if document and (row := transcode_of(document))]
    return hashlib.sha256(",".join(sorted(states)).encode()).hexdigest()[:12] if states else ""
