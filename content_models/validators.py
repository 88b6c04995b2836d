"""Validators and normalisers for catalogue identifiers and coordinates.

Shared by the admin forms and the spreadsheet importer, so both give the same Chinese messages. ISBN and ISSN
checks are python-stdnum's; an ISBN-10 is stored as its ISBN-13, so the two forms of one book are one key.
"""

import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

# A generous box around China's territory, WGS-84 degrees.
CHINA_LATITUDE = (Decimal("3.8"), Decimal("53.6"))
CHINA_LONGITUDE = (Decimal("73.4"), Decimal("135.1"))


def fold(value: str) -> str:
    """Full-width to half-width, trimmed: ＩＳＢＮ９７８… → ISBN978…"""
    return unicodedata.normalize("NFKC", value or "").strip()


ISBN_EXAMPLE = "978-7-01-017800-4"  # passes its own checksum; shown in messages, the import help and the docs
ISSN_EXAMPLE = "1000-3967"


def normalize_isbn(value: str) -> str:
    """Digits (and a final X) only, an ISBN-10 turned into its ISBN-13 so both name one book:
    '7017300017' and '978-7-01-730001-9' → '9787017300019'. Invalid input is only compacted (validation reports it)."""
    text = re.sub(r"^ISBN[:：\s]*", "", fold(value).upper())
    compact = re.sub(r"[\s\-‐–—]", "", text)
    if len(compact) == 10 and stdnum_isbn.is_valid(compact):
        return stdnum_isbn.to_isbn13(compact)
    return compact


def isbn_is_valid(isbn: str) -> bool:
    return stdnum_isbn.is_valid(isbn)


def validate_isbn(value: str) -> None:
    try:
        stdnum_isbn.validate(normalize_isbn(value))
    except InvalidChecksum:
        raise ValidationError("ISBN 校验位不正确，请核对书号。", code="isbn_checksum") from None
    except StdnumError:
        raise ValidationError(
            f"ISBN 应为 10 位或 13 位（13 位以 978 或 979 开头，可带连字符），例如 {ISBN_EXAMPLE}。", code="isbn_format"
        ) from None


def normalize_issn(value: str) -> str:
    """'ISSN 1000-3967' or '10003967' → '1000-3967'."""
    compact = stdnum_issn.compact(re.sub(r"^ISSN[:：\s]*", "", fold(value).upper()))
    return stdnum_issn.format(compact) if len(compact) == 8 else compact


def issn_is_valid(issn: str) -> bool:
    return stdnum_issn.is_valid(issn)


def validate_issn(value: str) -> None:
    try:
        stdnum_issn.validate(normalize_issn(value))
    except InvalidChecksum:
        raise ValidationError("ISSN 校验位不正确，请核对刊号。", code="issn_checksum") from None
    except StdnumError:
        raise ValidationError(f"ISSN 应为 8 位，格式如 {ISSN_EXAMPLE}。", code="issn_format") from None


def normalize_cn(value: str) -> str:
    """'cn22-1014/d' → 'CN 22-1014/D'."""
    text = re.sub(r"\s+", "", fold(value).upper())
    match = re.fullmatch(r"(?:CN)?(\d{2})-(\d{4})/?([A-Z]{1,2})?", text)
    if not match:
        return fold(value)
    area, serial, category = match.groups()
    return f"CN {area}-{serial}" + (f"/{category}" if category else "")


def validate_cn(value: str) -> None:
    if not re.fullmatch(r"CN \d{2}-\d{4}(/[A-Z]{1,2})?", normalize_cn(value)):
        raise ValidationError("国内统一刊号（CN）格式应如 CN 22-1014/D。", code="cn_format")


def validate_latitude(value: Decimal) -> None:
    low, high = CHINA_LATITUDE
    if value is not None and not (low <= Decimal(value) <= high):
        raise ValidationError(
            f"纬度 {value} 不在中国境内（应在 {low}° 至 {high}° 之间）。请填写 WGS-84 坐标。",
            code="latitude_range",
        )


def validate_longitude(value: Decimal) -> None:
    low, high = CHINA_LONGITUDE
    if value is not None and not (low <= Decimal(value) <= high):
        raise ValidationError(
            f"经度 {value} 不在中国境内（应在 {low}° 至 {high}° 之间）。请填写 WGS-84 坐标。",
            code="longitude_range",
        )
