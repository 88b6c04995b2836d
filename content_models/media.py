"""Who may fetch a file under /media/, and the one view that serves it; MEDIA_ROOT is never served raw.

Every /media/ path must name a stored file of an image (original or rendition), a document or a transcoded
rendition of a document (transcoding/) or a reader page image of one (reading/), each as private as the document. Renditions and documents are served to
anyone when they are public media (content_models.visibility); originals
never are (the site shows renditions). Signed-in editors with admin access and choose/change permission
on the file's collection may fetch any of them. A logged-in member may fetch those a live district-only item of
their own district uses (members.district_content), outside restricted collections. Everything else answers 404, never 403, so nobody learns
that a private file exists. With settings.MEDIA_ACCEL_REDIRECT_PREFIX set, this view decides and nginx
sends the bytes (X-Accel-Redirect to an `internal` location) and answers Range requests itself; without it,
this view answers a single `Range: bytes=…` with 206 (phones seek in video and audio by ranges).
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db.models import Model, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.views.decorators.http import require_safe
from wagtail.documents import get_document_model
from wagtail.documents import get_permission_policy as document_permission_policy
from wagtail.images import get_image_model
from wagtail.images import get_permission_policy as image_permission_policy

from members.sessions import MEMBER_COOKIE, current_member

from .visibility import is_public_media, pages_using, restricted_collections

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from members.models import Member

# Short, so a file that stops being public leaves shared caches (CDN, proxies) within minutes.
PUBLIC_CACHE_CONTROL = "public, max-age=600"
PRIVATE_CACHE_CONTROL = "private, no-store"
MEMBER_CACHE_CONTROL = "private, max-age=600"  # the member's own browser may keep it; no shared cache may
NOT_FOUND = "没有这个文件。"
BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def is_editor_for(user: AbstractBaseUser | AnonymousUser, obj: Model) -> bool:
    """True for an active user with admin access who may choose or change the image or document `obj`."""
    if not (user.is_authenticated and user.is_active and user.has_perm("wagtailadmin.access_admin")):
        return False
    policy = document_permission_policy() if isinstance(obj, get_document_model()) else image_permission_policy()
    return policy.user_has_any_permission_for_instance(user, ["choose", "change"], obj)


def is_member_media(member: Member | None, obj: Model) -> bool:
    """True when a live district-only item of the member's district uses the image or document `obj`, and `obj`
    is not in a view-restricted collection."""
    from members.district_content import readable_items

    if member is None or obj is None or restricted_collections().filter(pk=obj.collection_id).exists():
        return False
    return readable_items(member.district_id).filter(pk__in=pages_using(obj)).exists()


def stored_name(path: str) -> str:
    """The storage name a /media/ URL path asks for; 404 for anything that could leave its folder."""
    parts = path.split("/")
    if any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts):
        raise Http404(NOT_FOUND)
    return "/".join(parts)


def owners_of(name: str) -> tuple[list[Model], bool]:
    """The images or documents whose stored file is `name`, and whether that kind of file may be public."""
    folder = name.split("/", 1)[0]
    if folder == "original_images":
        return list(get_image_model().objects.filter(file=name)), False
    if folder == "images":
        renditions = get_image_model().get_rendition_model().objects.filter(file=name).select_related("image")
        return [rendition.image for rendition in renditions], True
    if folder == "documents":
        return list(get_document_model().objects.filter(file=name)), True
    if folder == "transcodes":
        from transcoding.models import Transcode

        document_id = name.split("/")[1] if name.count("/") == 2 else ""
        row = Transcode.objects.filter(document_id=int(document_id)).select_related("document").first() if document_id.isdigit() else None
        return ([row.document], True) if row and name in row.file_names() else ([], False)
    if folder == "reader":  # a document's reader pages (reading/): as private as the document
        from reading.models import ReaderPage

        pages = ReaderPage.objects.filter(Q(image=name) | Q(image_small=name)).select_related("document")
        return [page.document for page in pages], True
    return [], False


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `bytes=a-b`, `a-` or `-n` range within `size`; None when unsatisfiable."""
    found = BYTE_RANGE.match(header.strip())
    if not found or found[1] == found[2] == "":
        return None
    if found[1] == "":  # the last n bytes
        first, last = max(0, size - int(found[2])), size - 1
    else:
        first, last = int(found[1]), min(int(found[2]), size - 1) if found[2] else size - 1
    return (first, last) if first <= last and first < size else None


def ranged_response(request: HttpRequest, name: str, content_type: str, storage: Storage | None = None) -> HttpResponse:
    """The whole file (Accept-Ranges: bytes), or 206 with the one range asked for, or 416 outside the file, from
    `storage` (default: the media storage). Safari plays audio and video only from servers that answer ranges.

    A header with several ranges or another unit gets the whole file, as RFC 9110 allows."""
    storage = storage or default_storage
    try:
        size = storage.size(name)
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404(NOT_FOUND) from None
    header = request.headers.get("Range", "")
    if not header.startswith("bytes=") or "," in header:
        response = FileResponse(handle, content_type=content_type, filename=posixpath.basename(name))
        response["Accept-Ranges"] = "bytes"
        return response
    wanted = byte_range(header, size)
    if wanted is None:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted
    handle.seek(first)

    def chunks(left: int = last - first + 1):
        with handle:
            while left > 0 and (data := handle.read(min(CHUNK, left))):
                left -= len(data)
                yield data

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def file_response(request: HttpRequest, name: str, cache_control: str) -> HttpResponse:
    """The file's bytes (or nginx's X-Accel-Redirect to them) with its content type and cache policy."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)  # nginx answers 404 itself if the file is gone
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        response = ranged_response(request, name, content_type)
    response["Cache-Control"] = cache_control
    return response


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """/media/<path>: a public rendition or document to anyone, any image or document file to its editors."""
    name = stored_name(path)
    owners, may_be_public = owners_of(name)
    if may_be_public and any(is_public_media(owner) for owner in owners):
        return file_response(request, name, PUBLIC_CACHE_CONTROL)
    if any(is_editor_for(request.user, owner) for owner in owners):
        return file_response(request, name, PRIVATE_CACHE_CONTROL)
    if may_be_public and owners and request.COOKIES.get(MEMBER_COOKIE):
        member = current_member(request)
        if any(is_member_media(member, owner) for owner in owners):
            return file_response(request, name, MEMBER_CACHE_CONTROL)
    raise Http404(NOT_FOUND)


@require_safe
def serve_document(request: HttpRequest, document_id: int, document_filename: str) -> HttpResponse:
    """/documents/<id>/<name> (Wagtail's document link): a redirect to the guarded /media/documents/… file."""
    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None or document.filename != document_filename:
        raise Http404(NOT_FOUND)
    if is_public_media(document) or is_editor_for(request.user, document) or is_member_media(current_member(request), document):
        return HttpResponseRedirect(document.file.url)
    raise Http404(NOT_FOUND)
