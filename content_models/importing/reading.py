"""Read an uploaded .xlsx or .csv without trusting it: size checked before anything is unpacked, the header read
first, data rows streamed and capped.

The caps are settings (CATALOGUE_IMPORT_MAX_ROWS, CATALOGUE_IMPORT_MAX_UNPACKED_BYTES). An .xlsx is a zip: the
sizes its directory declares are what zipfile will ever inflate (it stops at the declared size and fails the CRC
check past it), so summing them refuses a zip bomb before a byte is inflated.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from openpyxl import load_workbook

from .formats import all_header_keys, header_key, text_of

ENCODINGS_ACCEPTED = "UTF-8（包括 Excel 的“CSV UTF-8”）或 GBK/GB18030"
ENCODING_HELP = f"CSV 文件只接受 {ENCODINGS_ACCEPTED} 编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传。"


class SheetError(Exception):
    """The file as a whole cannot be read (wrong type, empty, damaged, too big); the message says what to do."""


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def too_many_rows_message() -> str:
    return (f"表格超过 {settings.CATALOGUE_IMPORT_MAX_ROWS:,} 行（不含表头），一次导入不了。"
            "请拆分成几个文件分批导入。")


@dataclass
class OpenSheet:
    """An uploaded sheet, opened: `headers` are read at once, `rows()` streams the data rows.

    `estimated_rows` is a cheap guess (the .xlsx dimension or the .csv line count) that decides where the work
    runs; the caps are enforced on the rows actually read.
    """

    headers: list[str]
    estimated_rows: int
    _rows: Iterator[tuple]
    _header_row: int
    _close: Any = None

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number as Excel shows it, {header: raw cell}) for each non-blank row; SheetError past the row cap."""
        count, cap = 0, settings.CATALOGUE_IMPORT_MAX_ROWS
        for number, row in enumerate(self._rows, start=self._header_row + 1):
            values = {h: row[i] if i < len(row) else None for i, h in enumerate(self.headers) if h}
            if any(text_of(v) for v in values.values()):
                count += 1
                if count > cap:
                    raise SheetError(too_many_rows_message())
                yield number, values

    def close(self) -> None:
        if self._close:
            self._close()


def first_non_blank(rows: Iterator[tuple]) -> tuple[list[str], int]:
    for number, row in enumerate(rows, start=1):
        if any(text_of(c) for c in row):
            headers = [text_of(c) for c in row]
            while headers and not headers[-1]:
                headers.pop()
            return headers, number
    raise SheetError("表格是空的：第一行应为列名（表头），从第二行起每行一条。")


def open_xlsx(data: bytes) -> OpenSheet:
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:
        raise SheetError("无法打开 Excel 文件：它不是有效的 .xlsx。请在 Excel 中另存一次后重试。") from None
    cap = settings.CATALOGUE_IMPORT_MAX_UNPACKED_BYTES
    if unpacked > cap:
        raise SheetError(f"Excel 文件解压后有 {megabytes(unpacked)}，超过上限 {megabytes(cap)}。"
                         "请删除多余的工作表、图片和格式，或拆分成几个文件分批导入。")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises many types for a damaged or mislabelled file
        raise SheetError(f"无法打开 Excel 文件（{type(error).__name__}）。请确认是 .xlsx 格式，并在 Excel 中另存一次后重试。") from error
    rows = sheet.iter_rows(values_only=True)
    try:
        headers, header_row = first_non_blank(rows)
    except SheetError:
        workbook.close()
        raise
    # The dimension a writer declares; absent means unknown, which counts as large.
    estimated = (sheet.max_row or cap) - header_row
    return OpenSheet(headers, estimated, rows, header_row, workbook.close)


def looks_misdecoded(headers: Iterable[str]) -> bool:
    """A header read as GB18030 that is really another encoding (Big5, Shift-JIS …): private-use or unassigned
    characters, or not one Chinese header that any sheet type knows."""
    headers = [h for h in headers if h]
    if any(unicodedata.category(c) in ("Co", "Cn") or c == "\ufffd" for h in headers for c in h):
        return True
    chinese = [h for h in headers if not h.isascii()]
    known = all_header_keys()
    return bool(chinese) and not any(header_key(h) in known for h in chinese)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, else GBK's superset GB18030 — the two encodings Chinese Excel produces.

    GB18030 decodes almost any bytes, so a Big5 file "succeeds" as nonsense: its header is checked instead."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise SheetError(f"无法识别 CSV 文件的编码。{ENCODING_HELP}") from None
    try:
        headers, _ = first_non_blank(csv.reader(io.StringIO(text[:65536], newline="")))
    except csv.Error:
        headers = []
    if looks_misdecoded(headers):
        raise SheetError(f"CSV 文件的表头读出来是乱码，文件可能是繁体 Big5 或其他编码。{ENCODING_HELP}")
    return text


def open_csv(data: bytes) -> OpenSheet:
    cap = settings.CATALOGUE_IMPORT_MAX_UNPACKED_BYTES
    if len(data) > cap:
        raise SheetError(f"CSV 文件有 {megabytes(len(data))}，超过上限 {megabytes(cap)}。请拆分成几个文件分批导入。")
    rows = csv_rows(decode_csv(data))
    headers, header_row = first_non_blank(rows)
    return OpenSheet(headers, data.count(b"\n") - header_row, rows, header_row)


def csv_rows(text: str) -> Iterator[tuple]:
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield tuple(row)
    except csv.Error as error:
        raise SheetError(f"CSV 文件格式有误（{error}），请在 Excel 中另存为“CSV UTF-8”后重试。") from None


def open_sheet(data: bytes, filename: str) -> OpenSheet:
    """Open an uploaded .xlsx or .csv (UTF-8 or GBK); the first worksheet's first non-blank row is the header."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return open_xlsx(data)
    if suffix == ".csv":
        return open_csv(data)
    raise SheetError(f"不支持 {suffix or '无扩展名'} 文件，请上传 .xlsx 或 .csv。旧版 .xls 请先在 Excel 中另存为 .xlsx。")
