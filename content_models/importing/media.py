"""Covers and files for an import, from the zip uploaded beside the sheet."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.conf import settings
from PIL import Image as PILImage

from ..documents import sniff_matches_extension
from .reading import SheetError


class MediaArchive:
    """Covers and files named in the sheet, from a zip; names compared by file name only, any folder."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise SheetError("附件压缩包不是有效的 ZIP 文件，请重新打包后上传。") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            if not info.is_dir():
                self.members[Path(self.member_name(info)).name] = info

    @staticmethod
    def member_name(info: zipfile.ZipInfo) -> str:
        """Windows zip tools store Chinese names in GBK without the UTF-8 flag; Python reads those as cp437."""
        if info.flag_bits & 0x800:
            return info.filename
        try:
            return info.filename.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return info.filename

    def __contains__(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str) -> bytes:
        return self.zip.read(self.members[name])

    def check(self, name: str, kind: str) -> str | None:
        """None when the member is a usable image/document, else what is wrong with it."""
        extension = Path(name).suffix.lower().lstrip(".")
        allowed = settings.WAGTAILIMAGES_EXTENSIONS if kind == "image" else settings.WAGTAILDOCS_EXTENSIONS
        if extension not in allowed:
            return f"文件 {name} 的类型不支持，应为 {'/'.join(allowed).upper()}。"
        data = self.read(name)
        if kind == "image":
            try:
                PILImage.open(io.BytesIO(data)).verify()
            except Exception:  # Pillow raises many types for a broken image
                return f"图片 {name} 无法打开，可能已损坏。"
        elif not sniff_matches_extension(data[:16], extension, io.BytesIO(data)):
            return f"文件 {name} 的内容与扩展名 .{extension} 不符，可能已损坏或被改名。"
        return None
