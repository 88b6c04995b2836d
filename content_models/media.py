"""Who may fetch a file under /media/, and the one view that serves it; MEDIA_ROOT is never served raw.

Every /media/ path must name a stored file of an image (original or rendition) or a document. Renditions
and documents are served to anyone when they are public media (content_models.visibility); originals
never are (the site shows renditions). Signed-in editors with admin access and choose/change permission
on the file's collection may fetch any of them. Everything else answers 404, never 403, so nobody learns
that a private file exists. With settings.MEDIA_ACCEL_REDIRECT_PREFIX set, this view decides and nginx
sends the bytes (X-Accel-Redirect to an `internal` location).
"""

from __future__ import annotations

import mimetypes
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe
from wagtail.documents import get_document_model
from wagtail.documents import get_permission_policy as document_permission_policy
from wagtail.images import get_image_model
from wagtail.images import get_permission_policy as image_permission_policy

from .visibility import is_public_media

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Short, so a file that stops being public leaves shared caches (CDN, proxies) within minutes.
PUBLIC_CACHE_CONTROL = "public, max-age=600"
PRIVATE_CACHE_CONTROL = "private, no-store"
NOT_FOUND = "没有这个文件。"


def is_editor_for(user: AbstractBaseUser | AnonymousUser, obj: Model) -> bool:
    """True for an active user with admin access who may choose or change the image or document `obj`."""
    if not (user.is_authenticated and user.is_active and user.has_perm("wagtailadmin.access_admin")):
        return False
    policy = document_permission_policy() if isinstance(obj, get_document_model()) else image_permission_policy()
    return policy.user_has_any_permission_for_instance(user, ["choose", "change"], obj)


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
    return [], False


def file_response(name: str, cache_control: str) -> HttpResponse:
    """The file's bytes (or nginx's X-Accel-Redirect to them) with its content type and cache policy."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)  # nginx answers 404 itself if the file is gone
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        try:
            response = FileResponse(default_storage.open(name, "rb"), content_type=content_type,
                                    filename=posixpath.basename(name))
        except FileNotFoundError:
            raise Http404(NOT_FOUND) from None
    response["Cache-Control"] = cache_control
    return response


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """/media/<path>: a public rendition or document to anyone, any image or document file to its editors."""
    name = stored_name(path)
    owners, may_be_public = owners_of(name)
    if may_be_public and any(is_public_media(owner) for owner in owners):
        return file_response(name, PUBLIC_CACHE_CONTROL)
    if any(is_editor_for(request.user, owner) for owner in owners):
        return file_response(name, PRIVATE_CACHE_CONTROL)
    raise Http404(NOT_FOUND)


@require_safe
def serve_document(request: HttpRequest, document_id: int, document_filename: str) -> HttpResponse:
    """/documents/<id>/<name> (Wagtail's document link): a redirect to the guarded /media/documents/… file."""
    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None or document.filename != document_filename:
        raise Http404(NOT_FOUND)
    if is_public_media(document) or is_editor_for(request.user, document):
        return HttpResponseRedirect(document.file.url)
    raise Http404(NOT_FOUND)
