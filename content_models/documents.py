"""The document model: Wagtail's, plus a size cap and a check that a file's bytes match the type its name claims."""

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from wagtail.documents.models import AbstractDocument, Document


def sniff_matches_extension(head: bytes, extension: str, file) -> bool:
    """True when the first bytes of a file fit its extension (PDF, EPUB, MP4/M4A, MP3, AAC, WAV, OGG)."""
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "epub":
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(file) as archive:
                return archive.read("mimetype").strip() == b"application/epub+zip"
        except (zipfile.BadZipFile, KeyError):
            return False
    if extension in ("mp4", "m4a"):
        return head[4:8] == b"ftyp"
    if extension == "mp3":
        return head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    if extension == "aac":  # ADTS frames (MPEG-4 or MPEG-2), possibly behind an ID3 tag
        return head.startswith(b"ID3") or head[:2] in (b"\xff\xf1", b"\xff\xf9")
    if extension == "wav":
        return head.startswith(b"RIFF") and head[8:12] == b"WAVE"
    if extension == "ogg":
        return head.startswith(b"OggS")
    return True


class LibraryDocument(AbstractDocument):
    """A PDF/EPUB book, a periodical issue, a video or an audio file."""

    admin_form_fields = Document.admin_form_fields

    class Meta(AbstractDocument.Meta):
        verbose_name = "文档"
        verbose_name_plural = "文档"

    def clean(self) -> None:
        super().clean()
        if not self.file:
            return
        limit = settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
        if self.file.size > limit:
            raise ValidationError(
                {"file": f"文件太大（{self.file.size / 2**20:.0f} MB），上限是 {limit / 2**20:.0f} MB。请压缩后再上传。"}
            )
        extension = self.file.name.rsplit(".", 1)[-1].lower() if "." in self.file.name else ""
        self.file.open("rb")
        try:
            self.file.seek(0)
            head = self.file.read(16)
            self.file.seek(0)
            matches = sniff_matches_extension(head, extension, self.file)
        finally:
            self.file.seek(0)
        if not matches:
            raise ValidationError(
                {"file": f"文件内容与扩展名 .{extension} 不符，可能已损坏或被改名。请上传真正的 {extension.upper()} 文件。"}
            )
