"""Validators and normalisers for catalogue identifiers and coordinates.

Shared by the admin forms and the spreadsheet importer, so both give the same Chinese messages.
"""

import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError

# A generous box around China's territory, WGS-84 degrees.
CHINA_LATITUDE = (Decimal("3.8"), Decimal("53.6"))
CHINA_LONGITUDE = (Decimal("73.4"), Decimal("135.1"))


def fold(value: str) -> str:
    """Full-width to half-width, trimmed: ＩＳＢＮ９７８… → ISBN978…"""
    return unicodedata.normalize("NFKC", value or "").strip()


def normalize_isbn(value: str) -> str:
    """Digits (and a final X) only: '978-7-01-017800-2' → '9787010178002'."""
    text = fold(value).upper()
    text = re.sub(r"^ISBN[:：\s]*", "", text)
    return re.sub(r"[\s\-‐–—]", "", text)


def isbn_is_valid(isbn: str) -> bool:
    if re.fullmatch(r"\d{13}", isbn):
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(isbn[:12]))
        return (10 - total % 10) % 10 == int(isbn[12])
    if re.fullmatch(r"\d{9}[\dX]", isbn):
        total = sum(int(d) * (10 - i) for i, d in enumerate(isbn[:9]))
        check = (11 - total % 11) % 11
        return ("X" if check == 10 else str(check)) == isbn[9]
    return False


def validate_isbn(value: str) -> None:
    isbn = normalize_isbn(value)
    if not re.fullmatch(r"\d{9}[\dX]|\d{13}", isbn):
        raise ValidationError(
            "ISBN 应为 10 位或 13 位（可带连字符），例如 978-7-01-017800-2。", code="isbn_format"
        )
    if not isbn_is_valid(isbn):
        raise ValidationError("ISBN 校验位不正确，请核对书号。", code="isbn_checksum")


def normalize_issn(value: str) -> str:
    """'ISSN 1000-3967' or '10003967' → '1000-3967'."""
    text = re.sub(r"^ISSN[:：\s]*", "", fold(value).upper())
    digits = re.sub(r"[\s\-‐–—]", "", text)
    return f"{digits[:4]}-{digits[4:]}" if len(digits) == 8 else text


def issn_is_valid(issn: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{3}[\dX]", issn):
        return False
    digits = issn.replace("-", "")
    total = sum(int(d) * (8 - i) for i, d in enumerate(digits[:7]))
    check = (11 - total % 11) % 11
    return ("X" if check == 10 else str(check)) == digits[7]


def validate_issn(value: str) -> None:
    issn = normalize_issn(value)
    if not re.fullmatch(r"\d{4}-\d{3}[\dX]", issn):
        raise ValidationError("ISSN 应为 8 位，格式如 1000-3967。", code="issn_format")
    if not issn_is_valid(issn):
        raise ValidationError("ISSN 校验位不正确，请核对刊号。", code="issn_checksum")


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
