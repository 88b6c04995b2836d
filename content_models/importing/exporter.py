"""Export a catalogue type to .xlsx or .csv in exactly the import format, so export → edit → import round-trips
(text neutralised against formula injection by the writers, restored by the importer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..pages import ItemTag, LibraryItemPage
from ..validators import normalize_isbn, normalize_issn
from .formats import FORMATS, SheetFormat, format_cell, write_csv, write_xlsx
from .planning import Lookups


def page_rows(fmt: SheetFormat, pages) -> Iterator[list[Any]]:
    pages = list(pages.select_related("cover", *(["document"] if fmt.key == "ebook" else [])))
    lookups = Lookups()
    ids = [p.pk for p in pages]
    columns, tags = defaultdict(list), defaultdict(list)
    for page_id, name in LibraryItemPage.columns.through.objects.filter(libraryitempage_id__in=ids).order_by("column__order").values_list("libraryitempage_id", "column__name"):
        columns[page_id].append(name)
    for page_id, name in ItemTag.objects.filter(content_object_id__in=ids).order_by("pk").values_list("content_object_id", "tag__name"):
        tags[page_id].append(name)
    for page in pages:
        section = lookups.section_of(page.path)  # the tree says where a page is, even just after a move
        district = section.district if section else None
        values = {"columns": columns[page.pk], "tags": tags[page.pk], "district": district.name if district else "全市"}
        yield [format_cell(spec, values[spec.attr] if spec.attr in values else value_of(page, spec.attr)) for spec in fmt.fields]


def child_rows(fmt: SheetFormat, parents) -> Iterator[list[Any]]:
    relation = fmt.parent.relation
    files = [f.attr for f in fmt.fields if f.kind in ("image", "document")]
    model = fmt.model
    parents = {p.pk: p for p in parents}
    children = model.objects.filter(page_id__in=list(parents)).select_related(*files).order_by("page__path", "year" if relation == "issues" else "number", "number")
    for child in children:
        parent_key = getattr(parents[child.page_id], fmt.parent.key_attr)
        yield [format_cell(spec, parent_key if spec.attr == "parent_key" else value_of(child, spec.attr)) for spec in fmt.fields]


def value_of(obj: Any, attr: str) -> Any:
    value = getattr(obj, attr)
    if attr == "isbn":
        return normalize_isbn(value)
    if attr == "issn":
        return normalize_issn(value)
    if hasattr(value, "file"):  # an image or document: its file name, as the sheet names it
        return Path(value.file.name).name
    return value


def export_rows(type_key: str, pages=None) -> Iterator[list[Any]]:
    """The rows of a type; `pages` narrows to a queryset of that type's pages (or their parents for issues/episodes)."""
    fmt = FORMATS[type_key]
    model = fmt.parent.model if fmt.parent else fmt.model
    pages = (pages if pages is not None else model.objects.all()).order_by("path")
    return child_rows(fmt, pages) if fmt.parent else page_rows(fmt, pages)


def export_catalogue(type_key: str, file_format: str, pages=None) -> bytes:
    """The type's content as .xlsx or .csv bytes."""
    fmt = FORMATS[type_key]
    writer = write_xlsx if file_format == "xlsx" else write_csv
    return writer(fmt, export_rows(type_key, pages))
