"""The spreadsheet formats: one column table per type, cell parsing and formatting, the .xlsx/.csv writers.

The same `FORMATS` table drives the admin's templates, the importer, the exporter and docs/import-format.md.
Text that a spreadsheet program would run as a formula is neutralised on the way out (OWASP's CSV injection
advice: a leading ' before = + - @ TAB CR) and restored on the way in, so export → import round-trips exactly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import from_excel

from ..pages import EBookPage, MapSitePage, PeriodicalIssue, PeriodicalPage, VideoEpisode, VideoSeriesPage
from ..validators import (
    ISBN_EXAMPLE,
    ISSN_EXAMPLE,
    fold,
    normalize_cn,
    normalize_isbn,
    normalize_issn,
    validate_cn,
    validate_isbn,
    validate_issn,
)

# 、 , ， ; ； and line breaks all separate names in a 栏目 or 标签 cell: editors use whichever their keyboard gives.
NAME_SEPARATORS = re.compile(r"[、,，;；\n]+")
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "仅限"}
FALSE_WORDS = {"", "否", "N", "NO", "FALSE", "0", "×"}
# What spreadsheet programs start a formula with (OWASP); a leading ' is escaped too, so unescaping is exact.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


@dataclass(frozen=True)
class Field:
    """One spreadsheet column: its Chinese header, the attribute it fills and how its cells are read."""

    header: str
    attr: str
    kind: str = "text"  # text, multiline, int, date, decimal, isbn, issn, cn, url, choice, bool, duration, names, district, image, document
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class ParentLink:
    """For child rows (issues, episodes): which page they belong to and through which relation."""

    model: type
    key_attr: str  # the parent's natural key attribute (issn, code)
    relation: str  # the ParentalKey's related_name (issues, episodes)
    label: str  # 党刊, 专题视频 — for messages


@dataclass(frozen=True)
class SheetFormat:
    key: str
    label: str
    model: type
    fields: tuple[Field, ...]
    natural_key: tuple[str, ...]
    parent: ParentLink | None = None
    # Groups of attributes of which at least one must be filled, with the message when none is.
    require_any: tuple[tuple[tuple[str, ...], str], ...] = ()
    by_header: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_header", {header_key(f.header): f for f in self.fields})

    @property
    def headers(self) -> list[str]:
        return [f.header for f in self.fields]

    @property
    def is_page(self) -> bool:
        return self.parent is None

    def field(self, attr: str) -> Field:
        return next(f for f in self.fields if f.attr == attr)


def header_key(text: Any) -> str:
    """How headers are matched: full-width folded, spaces and a required-marker * dropped, Latin upper-cased."""
    return re.sub(r"[\s*＊]", "", fold(str(text or ""))).upper()


def all_header_keys() -> set[str]:
    """Every header any sheet type knows (as header_key folds it)."""
    return {key for fmt in FORMATS.values() for key in fmt.by_header}


def neutralise(text: str) -> str:
    """A cell's text as no spreadsheet program will run it: "=1+2" → "'=1+2" (and "'x" → "''x")."""
    return ESCAPE + text if text.startswith((*FORMULA_STARTS, ESCAPE)) else text


def restore(text: str) -> str:
    """Undo `neutralise`: drop one leading ' that stands before a formula start or another '."""
    return text[1:] if text.startswith(ESCAPE) and text[1:].startswith((*FORMULA_STARTS, ESCAPE)) else text


COLUMNS_HELP = "一个或多个栏目名称（或网址标识），用顿号、逗号或分号分隔，例如：四史学习、中国梦。"
TAGS_HELP = "可选，多个标签用顿号、逗号或分号分隔。"
COVER_HELP = "封面图片的文件名（JPG/PNG/WebP），图片放在随表格上传的 ZIP 压缩包里；也可填资源库中已有图片的文件名。"
DISTRICT_HELP = "县市区名称，如 南关区；填“全市”或留空表示导入到所选分区（默认全市）。"
ONLY_HELP = "填“是”则只在本县市区内部使用，不在公开网站出现；留空或“否”为公开。"

COMMON_TAIL = (
    Field("简介", "summary", "multiline"),
    Field("栏目", "columns", "names", required=True, help=COLUMNS_HELP),
    Field("标签", "tags", "names", help=TAGS_HELP),
    Field("封面文件", "cover", "image", help=COVER_HELP),
    Field("县市区", "district", "district", help=DISTRICT_HELP),
    Field("仅限本县市区", "district_only", "bool", help=ONLY_HELP),
)

EBOOK = SheetFormat(
    key="ebook", label="电子图书", model=EBookPage, natural_key=("isbn",),
    fields=(
        Field("书名", "title", required=True),
        Field("作者", "authors", help="多位作者用顿号“、”分隔。"),
        Field("出版社", "publisher"),
        Field("出版年份", "year", "int", help="四位年份，如 2021。"),
        Field("ISBN", "isbn", "isbn", required=True, help=f"10 位或 13 位，可带连字符，如 {ISBN_EXAMPLE}。10 位书号按对应的 13 位识别同一本书。"),
        Field("页数", "page_count", "int"),
        Field("在线阅读地址", "reader_url", "url", help="以 http:// 或 https:// 开头。与“文件”至少填一项。"),
        Field("文件", "document", "document", help="PDF 或 EPUB 的文件名，文件放在 ZIP 压缩包里。"),
        *COMMON_TAIL,
    ),
    require_any=((("document", "reader_url"), "请上传电子书文件或填写在线阅读地址（至少一项）。"),),
)

PERIODICAL = SheetFormat(
    key="periodical", label="党刊", model=PeriodicalPage, natural_key=("issn",),
    fields=(
        Field("刊名", "title", required=True),
        Field("ISSN", "issn", "issn", required=True, help=f"8 位，如 {ISSN_EXAMPLE}。识别同一种刊物用。"),
        Field("CN刊号", "cn_number", "cn", help="国内统一刊号，如 CN 22-1014/D。"),
        Field("刊期", "frequency", "choice", help="周刊、旬刊、半月刊、月刊、双月刊、季刊、半年刊或年刊。"),
        Field("主办单位", "publisher"),
        *COMMON_TAIL,
    ),
)

ISSUE = SheetFormat(
    key="issue", label="党刊各期", model=PeriodicalIssue, natural_key=("parent_key", "year", "number"),
    parent=ParentLink(PeriodicalPage, "issn", "issues", "党刊"),
    fields=(
        Field("ISSN", "parent_key", "issn", required=True, help="所属党刊的 ISSN；党刊须已导入。"),
        Field("年份", "year", "int", required=True),
        Field("期号", "number", "int", required=True),
        Field("出版日期", "date", "date", help="如 2024-03-01。"),
        Field("目录", "table_of_contents", "multiline", help="每行一篇文章（单元格内换行）。"),
        Field("在线阅读地址", "url", "url"),
        Field("封面文件", "cover", "image", help=COVER_HELP),
        Field("文件", "document", "document", help="PDF 文件名，文件放在 ZIP 压缩包里。"),
    ),
)

SERIES = SheetFormat(
    key="series", label="专题视频", model=VideoSeriesPage, natural_key=("code",),
    fields=(
        Field("系列编号", "code", required=True, help="如 SP0001。识别同一系列用，各集通过它关联到系列。"),
        Field("系列名称", "title", required=True),
        Field("主讲人", "presenter"),
        Field("出品单位", "producer"),
        *COMMON_TAIL,
    ),
)

EPISODE = SheetFormat(
    key="episode", label="专题视频各集", model=VideoEpisode, natural_key=("parent_key", "number"),
    parent=ParentLink(VideoSeriesPage, "code", "episodes", "专题视频"),
    fields=(
        Field("系列编号", "parent_key", required=True, help="所属专题视频的系列编号；系列须已导入。"),
        Field("集数", "number", "int", required=True),
        Field("标题", "title", required=True),
        Field("时长", "duration_seconds", "duration", help="时:分:秒（如 0:25:30）、分:秒（25:30）或秒数。"),
        Field("视频地址", "video_url", "url", help="与“视频文件”至少填一项。"),
        Field("视频文件", "video_file", "document", help="MP4 文件名，文件放在 ZIP 压缩包里。"),
        Field("海报文件", "poster", "image", help=COVER_HELP),
        Field("文字稿", "transcript", "multiline"),
    ),
    require_any=((("video_url", "video_file"), "请填写视频地址或上传视频文件（至少一项）。"),),
)

SITE = SheetFormat(
    key="site", label="地图标注", model=MapSitePage, natural_key=("title", "district"),
    fields=(
        Field("名称", "title", required=True),
        Field("类别", "kind", "choice", required=True, help="革命遗址、纪念馆、爱国主义教育基地、党群服务中心、烈士陵园或红色教育基地。"),
        Field("地址", "address", required=True),
        Field("县市区", "district", "district", required=True, help="县市区名称，如 南关区；名称加县市区识别同一地点。"),
        Field("纬度", "latitude", "decimal", required=True, help="WGS-84（GPS）坐标，如 43.864000。"),
        Field("经度", "longitude", "decimal", required=True, help="WGS-84（GPS）坐标，如 125.350000。"),
        Field("开放时间", "opening_hours"),
        Field("联系电话", "phone"),
        *(f for f in COMMON_TAIL if f.attr != "district"),
    ),
)

FORMATS: dict[str, SheetFormat] = {f.key: f for f in (EBOOK, PERIODICAL, ISSUE, SERIES, EPISODE, SITE)}


# -- cells → values ----------------------------------------------------------------------------------------------
def text_of(raw: Any) -> str:
    """A cell as trimmed text, a neutralised formula start restored; number cells lose a spurious '.0'
    (Excel stores 123 as 123.0)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime) and raw.time() == time(0):
        raw = raw.date()
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    return restore(text) if isinstance(raw, str) else text


def parse_int(raw: Any, header: str) -> int | None:
    if isinstance(raw, bool):
        raise ValidationError(f"{header}应为整数。")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, datetime | date) and header.endswith("年份"):
        return raw.year
    text = fold(text_of(raw)).replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text)) if "." in text else int(text)
    raise ValidationError(f"{header}应为整数，不能是“{text_of(raw)}”。")


def parse_date(raw: Any, header: str) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 < raw < 200000:
        return from_excel(raw).date()  # a date cell without date formatting: Excel's day serial
    text = fold(text_of(raw))
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+[\d:]+)?", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ValidationError(f"{header}“{text}”不是有效日期，请写成 2024-03-01 的形式。")


def parse_decimal(raw: Any, header: str) -> Decimal | None:
    text = fold(text_of(raw)) if not isinstance(raw, float) else repr(raw)
    if not text:
        return None
    try:
        return Decimal(text).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise ValidationError(f"{header}应为数字（度），如 43.864000，不能是“{text}”。") from None


def parse_duration(raw: Any, header: str) -> int:
    if isinstance(raw, timedelta):
        return int(raw.total_seconds())
    if isinstance(raw, time):
        return raw.hour * 3600 + raw.minute * 60 + raw.second
    if isinstance(raw, datetime):  # Excel turns 25:30:00 into 1900-01-01 01:30:00
        return int((raw - datetime(1899, 12, 31)).total_seconds()) if raw.year < 1901 else 0
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return int(raw)
    text = fold(text_of(raw))
    if not text:
        return 0
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", text):
        seconds = 0
        for part in text.split(":"):
            seconds = seconds * 60 + int(part)
        return seconds
    raise ValidationError(f"{header}“{text}”无法识别，请写成 0:25:30（时:分:秒）或秒数。")


def parse_bool(raw: Any, header: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = fold(text_of(raw)).upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(f"{header}应填“是”或“否”，不能是“{text_of(raw)}”。")


def parse_identifier(raw: Any, kind: str) -> str:
    """ISBN/ISSN/CN normalised and checked with the same validators the admin uses."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # an ISBN typed into Excel becomes a number
    text = text_of(raw)
    if not text:
        return ""
    normalize, validate = {
        "isbn": (normalize_isbn, validate_isbn),
        "issn": (normalize_issn, validate_issn),
        "cn": (normalize_cn, validate_cn),
    }[kind]
    validate(text)
    return normalize(text)


def parse_url(raw: Any, header: str) -> str:
    text = fold(text_of(raw))
    if text:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise ValidationError(f"{header}“{text}”不是有效的网址，应以 http:// 或 https:// 开头。") from None
    return text


def split_names(raw: Any) -> list[str]:
    names = [name.strip() for name in NAME_SEPARATORS.split(text_of(raw))]
    return list(dict.fromkeys(name for name in names if name))


def parse_cell(spec: Field, raw: Any) -> Any:
    """A cell's value as the Python value its field takes; raises ValidationError with a Chinese message."""
    kind = spec.kind
    if kind in ("isbn", "issn", "cn"):
        return parse_identifier(raw, kind)
    if kind == "int":
        return parse_int(raw, spec.header)
    if kind == "date":
        return parse_date(raw, spec.header)
    if kind == "decimal":
        return parse_decimal(raw, spec.header)
    if kind == "duration":
        return parse_duration(raw, spec.header)
    if kind == "bool":
        return parse_bool(raw, spec.header)
    if kind == "url":
        return parse_url(raw, spec.header)
    if kind == "names":
        return split_names(raw)
    if kind in ("image", "document"):
        return Path(fold(text_of(raw)).replace("\\", "/")).name if text_of(raw) else ""
    if kind in ("choice", "district"):
        return fold(text_of(raw))
    return text_of(raw)


# -- values → cells -------------------------------------------------------------------------------------------------
def format_duration(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def format_cell(spec: Field, value: Any) -> Any:
    """A value as the cell the importer reads back to the same value (text for identifiers, so Excel keeps them)."""
    if value is None:
        return ""
    if spec.kind == "names":
        return "、".join(value)
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "duration":
        return format_duration(value)
    if spec.kind == "date":
        return value.isoformat()
    if spec.kind == "decimal":
        return f"{value:.6f}"
    if spec.kind == "int":
        return value
    return str(value)


# -- writers -------------------------------------------------------------------------------------------------------
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="8B0000")


def field_note(spec: Field) -> str:
    return ("必填。" if spec.required else "选填。") + spec.help


def write_xlsx(fmt: SheetFormat, rows: Iterable[list[Any]]) -> bytes:
    """An .xlsx with the header row (each header carries its help as a cell comment) and the given rows,
    text written as text and neutralised."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = fmt.label
    sheet.append(fmt.headers)
    for column, spec in enumerate(fmt.fields, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.comment = Comment(field_note(spec), "党史学习资源库")
        sheet.column_dimensions[cell.column_letter].width = max(12, len(spec.header) * 3)
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column, value=neutralise(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = TYPE_STRING  # text stays text, never a formula, whatever it starts with
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for spec in fmt.fields:
        notes.append([spec.header, "必填" if spec.required else "选填", spec.help])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(fmt: SheetFormat, rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it without garbling; text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fmt.headers)
    writer.writerows([neutralise(v) if isinstance(v, str) else v for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def markdown_table(fmt: SheetFormat) -> str:
    """The type's columns as a Markdown table, as docs/import-format.md shows them."""
    lines = [f"### {fmt.label}（`--type {fmt.key}`）", "", "| 列名 | 必填 | 说明 |", "|---|---|---|"]
    lines += [f"| {f.header} | {'是' if f.required else ''} | {f.help} |" for f in fmt.fields]
    return "\n".join(lines)


def iter_formats() -> Iterator[SheetFormat]:
    yield from FORMATS.values()
