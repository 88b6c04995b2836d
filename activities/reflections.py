"""学习心得 from members: text, photos of a handwritten page (re-encoded, no EXIF) or a voice recording; stored privately, served to the member and organisers.

Older members 「不愿意手写，也不方便使用电脑打字」, so a photo of a page or a recording is as good as typing. Every
upload is checked whole before anything is written: photos are decoded by Pillow (too many pixels refused before
decoding), turned upright and re-encoded as JPEG without EXIF (no location leaves the phone's picture); a voice
recording is transcoded by ffmpeg (local files and audio containers only, with a timeout) to AAC (.m4a, playable on
every phone) and measured. Files live in the private storage only (activities.storage) and `reflection_file` is the
one way to read them.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from PIL import Image, ImageOps, UnidentifiedImageError

from content_models.media import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL, ranged_response
from content_models.visibility import public_page_ids
from content_models.workspaces import editor_districts
from members.accounts import login_redirect, member_page, theme_not_found
from members.models import Member, PointAward
from members.sessions import current_member, same_site_post
from site_builder.render import published_assets
from transcoding.ffmpeg import AUDIO_RENDITION, MediaError, encode, probe

from .access import activity_for
from .models import ActivityPage, Reflection, ReflectionFile

CURRENT_DAYS = 7  # a 心得 may come in up to a week after the activity ends
HOURLY_LIMIT = 10  # submissions per member per hour
PHOTO_LONGEST_SIDE = 2000
PHOTO_QUALITY = 82
PHOTO_FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP"]  # what phones' cameras and galleries hand over
PHOTO_MAX_PIXELS = 40_000_000  # a 40-megapixel picture decodes to 120 MB; phones' cameras stay below
# A recording a little over the limit (stopped late by hand, a slow phone) is kept whole; only one clearly longer
# is refused, so the member does not lose a whole talk for a few seconds.
VOICE_GRACE_SECONDS = 10
# ffmpeg reads the member's file only: no network or other protocols (an HLS playlist could name any local file or
# URL), only audio containers phones and browsers write, and never for long.
VOICE_INPUT_OPTIONS = (
    "-protocol_whitelist", "file",
    "-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,mp3,aac,wav,amr,flac",
)
VOICE_TIMEOUT_SECONDS = 120
FILE_URL = "/me/reflection-files/{}/"


class Refused(Exception):
    """A submission that cannot be taken; str() is the plain Chinese message the member sees."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Prepared:
    """One checked file, ready to store: its bytes, its suffix and type, and a recording's length."""

    data: bytes
    suffix: str
    content_type: str
    duration_seconds: int | None = None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def prepare_photo(upload: UploadedFile, number: int) -> Prepared:
    """The photo upright, at most PHOTO_LONGEST_SIDE px, as a JPEG without EXIF (so without GPS); Refused otherwise."""
    if upload.size > settings.REFLECTION_PHOTO_MAX_BYTES:
        raise Refused(f"第 {number} 张照片太大，请不超过 {_megabytes(settings.REFLECTION_PHOTO_MAX_BYTES)}。")
    not_image = f"第 {number} 张不是图片文件，或者已经损坏，请重新拍照上传。"
    too_many_pixels = f"第 {number} 张照片的像素太多，请用手机正常拍照后上传。"
    try:
        with Image.open(upload, formats=PHOTO_FORMATS) as image:
            # A small file can claim a huge picture: refuse it from the header, before anything is decoded.
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise Refused(too_many_pixels)
            if image.format == "JPEG":
                image.draft("RGB", (PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))  # decodes at 1/2–1/8 scale: less memory
            image = ImageOps.exif_transpose(image)
            image.thumbnail((PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))
            image = image.convert("RGB")
    except Image.DecompressionBombError:
        raise Refused(too_many_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Refused(not_image) from None
    out = io.BytesIO()
    image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)  # no exif= given: none is written
    return Prepared(out.getvalue(), ".jpg", "image/jpeg")


def prepare_voice(upload: UploadedFile) -> Prepared:
    """The recording as AAC in .m4a, refused when it has no sound, is too big or clearly longer than allowed
    (more than VOICE_GRACE_SECONDS over: what is a little over is kept whole)."""
    if upload.size > settings.REFLECTION_VOICE_MAX_BYTES:
        raise Refused(f"语音文件太大，请不超过 {_megabytes(settings.REFLECTION_VOICE_MAX_BYTES)}。")
    limit = settings.REFLECTION_VOICE_MAX_SECONDS
    too_long = f"语音不能超过 {limit // 60} 分钟，请分几次说完，或者只录最要紧的部分。" if limit % 60 == 0 else f"语音不能超过 {limit} 秒。"
    not_audio = "这不是语音文件，或者录音已经损坏，请重新录一段。"
    # Browsers' MediaRecorder files (WebM) carry no duration, so the length is measured on the transcoded file;
    # -t stops ffmpeg just past limit + grace, so a long (or endless) input costs no more than an allowed one, and a
    # result longer than limit + grace means the original was.
    longest = limit + VOICE_GRACE_SECONDS
    rendition = dataclasses.replace(AUDIO_RENDITION, options=("-t", f"{longest + 1}", *AUDIO_RENDITION.options))
    with tempfile.TemporaryDirectory(prefix="reflection-") as folder:
        source, target = Path(folder) / "upload", Path(folder) / "voice.m4a"
        with source.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            encode(source, target, rendition, 0.0, input_options=VOICE_INPUT_OPTIONS, timeout=VOICE_TIMEOUT_SECONDS)
            found = probe(target, VOICE_INPUT_OPTIONS)
        except MediaError:
            raise Refused(not_audio) from None
        if not found.has_audio:
            raise Refused(not_audio)
        if found.duration > longest:
            raise Refused(too_long)
        return Prepared(target.read_bytes(), ".m4a", "audio/mp4", max(1, round(found.duration)))


def may_review(user, activity: ActivityPage) -> bool:
    """Whether a signed-in editor may review `activity`'s 心得: city editors any, district editors their district's."""
    if not (user.is_authenticated and user.is_active and user.has_perm("wagtailadmin.access_admin")):
        return False
    districts = editor_districts(user)
    return districts is None or (activity.district_id is not None and districts.filter(pk=activity.district_id).exists())


def is_published(reflection: Reflection) -> bool:
    """Shown on its activity's page (public, or the members' page of a district-only one): accepted, consented,
    published."""
    return reflection.published and reflection.consent_to_publish and reflection.status == Reflection.ACCEPTED


def is_shown_publicly(reflection: Reflection) -> bool:
    """Published on its activity's public page: published, and the activity public."""
    return is_published(reflection) and reflection.activity_id in public_page_ids([reflection.activity_id])


def _shown_to(member: Member, reflection: Reflection) -> bool:
    """Whether `member` sees the published 心得 on the activity's page: a district-only activity shows it to the
    district's members (/me/district/<id>/)."""
    if not is_published(reflection):
        return False
    try:
        activity_for(member, reflection.activity_id)
    except Http404:
        return False
    return True


def is_current(activity: ActivityPage) -> bool:
    now = timezone.now()
    return activity.starts_at <= now <= activity.ends_at + timedelta(days=CURRENT_DAYS)


@cache
def _recorder_script() -> str:
    """The recorder script's hashed /assets/ path, as the builder publishes it (same bytes, same name)."""
    return published_assets()["recorder.js"][0]


def _status_text(reflection: Reflection, points: int) -> str:
    if reflection.status == Reflection.ACCEPTED:
        return f"已采纳 +{points} 分" if points else "已采纳"
    return reflection.get_status_display()


def _page(request: HttpRequest, member: Member, activity: ActivityPage, error: str = "", status: int = 200) -> HttpResponse:
    earlier = list(Reflection.objects.filter(member=member, activity=activity).prefetch_related("files"))
    points = PointAward.objects.filter(member=member, key=f"reflection:{activity.pk}").values_list("points", flat=True).first() or 0
    pending = any(r.status == Reflection.SUBMITTED for r in earlier)
    accepted = any(r.status == Reflection.ACCEPTED for r in earlier)
    context = {
        "title": f"提交学习心得：{activity.title}",
        "activity": activity,
        "activity_url": f"/me/activities/{activity.pk}/",
        "earlier": [
            {
                "reflection": r, "status": _status_text(r, points),
                "submitted": timezone.localtime(r.submitted_at).isoformat(),
                "files": [{"url": FILE_URL.format(f.pk), "content_type": f.content_type} for f in r.files.all()],
            }
            for r in earlier
        ],
        "current": is_current(activity),
        "starts_later": activity.starts_at > timezone.now(),
        "pending": pending,
        "accepted": accepted,
        "sent": request.GET.get("sent") == "1",
        "error": error,
        "text": request.POST.get("text", "") if request.method == "POST" else "",
        "limits": {
            "text": settings.REFLECTION_TEXT_MAX_CHARS,
            "photos": settings.REFLECTION_PHOTOS_MAX,
            "photo_size": _megabytes(settings.REFLECTION_PHOTO_MAX_BYTES),
            "voice_minutes": settings.REFLECTION_VOICE_MAX_SECONDS // 60,
            "voice_seconds": settings.REFLECTION_VOICE_MAX_SECONDS,
            "voice_size": _megabytes(settings.REFLECTION_VOICE_MAX_BYTES),
            "total_size": _megabytes(settings.REFLECTION_MAX_TOTAL_BYTES),
        },
        "recorder_js": _recorder_script(),
    }
    return member_page(request, "me_reflection.html", context, status)


def _check_allowed(member: Member, activity: ActivityPage) -> None:
    """Refused when the activity is not open for 心得, the member has one waiting, or has sent too many lately."""
    now = timezone.now()
    if activity.starts_at > now:
        raise Refused("活动还没有开始，开始以后再提交心得。")
    if activity.ends_at + timedelta(days=CURRENT_DAYS) < now:
        raise Refused(f"活动已经结束超过 {CURRENT_DAYS} 天，不能再提交心得了。")
    if Reflection.objects.filter(member=member, activity=activity, status=Reflection.SUBMITTED).exists():
        raise Refused("您已经提交过一份心得，正在等待审核；审核以后再提交新的。")
    if Reflection.objects.filter(member=member, submitted_at__gte=now - timedelta(hours=1)).count() >= HOURLY_LIMIT:
        raise Refused("您这一个小时提交的心得太多了，请过一个小时再试。", status=429)


def _check_size(request: HttpRequest) -> None:
    """Refused (413) when the whole form is over REFLECTION_MAX_TOTAL_BYTES, below nginx's cap for this path
    (REFLECTION_MAX_BODY_SIZE), so the member reads this message rather than nginx's page. Content-Length is the
    measure: Django reads no body without one."""
    total = settings.REFLECTION_MAX_TOTAL_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > total:
        raise Refused(f"照片和录音加起来太大了，一次最多 {_megabytes(total)}。请少传几张照片，或者把录音分两次提交。", status=413)


def _prepare(request: HttpRequest) -> tuple[str, list[Prepared], Prepared | None]:
    """The text, photos and recording of the form, all checked; Refused at the first problem."""
    text = request.POST.get("text", "").strip()
    photos = request.FILES.getlist("photos")
    voice = request.FILES.get("voice")
    if not (text or photos or voice):
        raise Refused("请写几句话，或者拍一张手写心得的照片，或者录一段语音。")
    if len(text) > settings.REFLECTION_TEXT_MAX_CHARS:
        raise Refused(f"文字心得不能超过 {settings.REFLECTION_TEXT_MAX_CHARS} 字，现在是 {len(text)} 字。")
    if len(photos) > settings.REFLECTION_PHOTOS_MAX:
        raise Refused(f"照片最多 {settings.REFLECTION_PHOTOS_MAX} 张，请去掉 {len(photos) - settings.REFLECTION_PHOTOS_MAX} 张再提交。")
    prepared = [prepare_photo(photo, number) for number, photo in enumerate(photos, 1)]
    return text, prepared, prepare_voice(voice) if voice else None


def _store(member: Member, activity: ActivityPage, text: str, photos: list[Prepared], voice: Prepared | None, consent: bool) -> None:
    """The Reflection and its files in one transaction; a file written for a transaction that fails is removed."""
    written: list[ReflectionFile] = []
    try:
        with transaction.atomic():
            Member.objects.select_for_update().filter(pk=member.pk).first()  # one submission of a member at a time
            _check_allowed(member, activity)
            form = Reflection.PHOTO if photos else Reflection.VOICE if voice else Reflection.TEXT
            reflection = Reflection.objects.create(
                activity=activity, member=member, form=form, text=text, consent_to_publish=consent
            )
            for order, item in enumerate([*photos, *([voice] if voice else [])]):
                row = ReflectionFile(
                    reflection=reflection, content_type=item.content_type, size=len(item.data),
                    duration_seconds=item.duration_seconds, sort_order=order,
                )
                row.file.save(f"xinde{item.suffix}", ContentFile(item.data), save=False)
                written.append(row)
                row.save()
    except BaseException:
        for row in written:
            row.file.storage.delete(row.file.name)
        raise


@require_http_methods(["GET", "HEAD", "POST"])
def reflection_page(request: HttpRequest, activity_id: int) -> HttpResponse:
    """/me/activities/<id>/reflection/: the member's 心得 for an activity — the form (text, photos, voice) and earlier ones."""
    member = current_member(request)
    if member is None:
        return login_redirect(request.path)
    try:
        activity = activity_for(member, activity_id)
    except Http404:
        return theme_not_found()
    if request.method != "POST":
        return _page(request, member, activity)
    if not same_site_post(request):
        return _page(request, member, activity, "请从本网站的心得页面提交。", status=403)
    try:
        _check_size(request)
        _check_allowed(member, activity)  # before the uploads are decoded, so a refused member costs nothing
        text, photos, voice = _prepare(request)
        _store(member, activity, text, photos, voice, request.POST.get("consent") == "1")
    except Refused as refused:
        return _page(request, member, activity, str(refused), status=refused.status)
    return HttpResponseRedirect(f"{request.path}?sent=1", status=303)


@require_safe
def reflection_file(request: HttpRequest, file_id: int) -> HttpResponse:
    """/me/reflection-files/<id>/: a 心得's photo or recording to its member, its reviewers, anyone once it is
    shown on a public activity page, and the members who see it on a district-only activity's page; 404 to everyone
    else, so nobody learns that a file exists."""
    row = ReflectionFile.objects.select_related("reflection__activity").filter(pk=file_id).first()
    if row is None:
        return theme_not_found()
    reflection = row.reflection
    member = current_member(request)
    if is_shown_publicly(reflection):
        cache_control = PUBLIC_CACHE_CONTROL
    elif member is not None and (member.pk == reflection.member_id or _shown_to(member, reflection)):
        cache_control = PRIVATE_CACHE_CONTROL
    elif may_review(request.user, reflection.activity):
        cache_control = PRIVATE_CACHE_CONTROL
    else:
        return theme_not_found()
    try:
        response = ranged_response(request, row.file.name, row.content_type, row.file.storage)
    except Http404:
        return theme_not_found()
    suffix = Path(row.file.name).suffix
    response["Content-Disposition"] = f'inline; filename="xinde-{row.pk}{suffix}"'
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


@receiver(post_delete, sender=ReflectionFile)
def remove_stored_file(sender, instance: ReflectionFile, **kwargs) -> None:
    """A deleted row's file goes too (an account deleted cascades here), once the deletion is committed."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


urlpatterns: list = [
    path("me/activities/<int:activity_id>/reflection/", reflection_page, name="member_reflection"),
    path("me/reflection-files/<int:file_id>/", reflection_file, name="reflection_file"),
]
