"""The document model: Wagtail's, plus a check that a file's bytes match the type its name claims."""

import zipfile

from django.core.exceptions import ValidationError
from wagtail.documents.models import AbstractDocument, Document


def sniff_matches_extension(head: bytes, extension: str, file) -> bool:
    """True when the first bytes of a file fit its extension (PDF, EPUB, MP4, MP3)."""
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
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    if extension == "mp3":
        return head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    return True


class LibraryDocument(AbstractDocument):
    """A PDF/EPUB book, a periodical issue or a video file."""

    admin_form_fields = Document.admin_form_fields

    class Meta(AbstractDocument.Meta):
        verbose_name = "文档"
        verbose_name_plural = "文档"

    def clean(self) -> None:
        super().clean()
        if not self.file:
            return
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
