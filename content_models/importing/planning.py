"""Check a sheet row by row into plans: parse and resolve each cell, match rows to existing content by natural key,
decide create / update / unchanged, and check the importing user's rights.

Rights come from Wagtail's page permission API on the actual pages: the page being updated (or, for issues and
episodes, their periodical or series) and, for a new page, the section it goes into. Which section a page is in
is read from its tree path, never from a stored copy such as LibraryItemPage.district, which a move can leave stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from ..pages import ItemTag, LibraryItemPage, SectionPage
from ..taxonomy import Column, District
from ..validators import fold, normalize_isbn, normalize_issn
from .formats import Field, SheetFormat, header_key, parse_cell
from .media import MediaArchive
from .report import RowError

CITY_WORDS = {"全市", "市级", "CITY"}
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class RowPlan:
    row: int
    key: tuple
    values: dict[str, Any]  # attribute → parsed value, only for the sheet's columns
    action: str = CREATE
    target: Any = None  # the existing page or child
    parent: Any = None  # for child rows: the parent page
    section: SectionPage | None = None  # where a new page goes / where the existing one is (from the tree)
    publish: bool = False  # whether the importing user may publish the change (else it is saved as a draft)


class Lookups:
    """Everything rows are resolved against, read once: columns, districts, sections, images, documents."""

    def __init__(self) -> None:
        self.columns: dict[str, Column] = {}
        for column in Column.objects.all():
            self.columns[column.name] = column
            self.columns[column.slug.upper()] = column
        self.districts: dict[str, District] = {}
        for district in District.objects.all():
            self.districts[district.name] = district
            self.districts[district.slug.upper()] = district
        self.sections = list(SectionPage.objects.select_related("district").order_by("path"))
        self.section_by_district = {s.district_id: s for s in self.sections}
        self.section_by_path = {s.path: s for s in self.sections}
        self.section_path_lengths = sorted({len(s.path) for s in self.sections})
        self.images = {Path(name).name: pk for pk, name in get_image_model().objects.values_list("pk", "file")}
        self.documents = {Path(name).name: pk for pk, name in get_document_model().objects.values_list("pk", "file")}

    def column_names(self) -> str:
        return "、".join(sorted({c.name for c in self.columns.values()}, key=lambda n: n))

    def district(self, text: str) -> District | None:
        return self.districts.get(text) or self.districts.get(text.upper())

    def section_of(self, path: str) -> SectionPage | None:
        """The section a page is in, from its tree path (a moved page is where the tree says)."""
        return next((s for n in self.section_path_lengths if (s := self.section_by_path.get(path[:n]))), None)

    def district_id_of(self, path: str) -> int | None:
        section = self.section_of(path)
        return section.district_id if section else None


def natural_key_of(fmt: SheetFormat, obj: Any, lookups: Lookups, parent_key: str = "") -> tuple:
    """The natural key of existing content, normalised like parsed cells are; a page's district from the tree."""
    values = []
    for attr in fmt.natural_key:
        if attr == "parent_key":
            values.append(parent_key)
        elif attr == "isbn":
            values.append(normalize_isbn(obj.isbn))
        elif attr == "issn":
            values.append(normalize_issn(obj.issn))
        elif attr == "district":
            values.append(lookups.district_id_of(obj.path))
        else:
            values.append(getattr(obj, attr))
    return tuple(values)


def parent_key_of(fmt: SheetFormat, page: Any) -> str:
    value = getattr(page, fmt.parent.key_attr)
    return normalize_issn(value) if fmt.parent.key_attr == "issn" else value


class Rights:
    """What the importing user may do, asked of Wagtail's page permission API and remembered per page."""

    def __init__(self, user) -> None:
        self.user = user
        self.testers: dict[int, Any] = {}

    def tester(self, page: Page):
        if page.pk not in self.testers:
            self.testers[page.pk] = page.permissions_for_user(self.user)
        return self.testers[page.pk]

    def can_add_to(self, section: SectionPage) -> bool:
        return self.tester(section).can_add_subpage()

    def can_publish_in(self, section: SectionPage) -> bool:
        return self.tester(section).can_publish_subpage()

    def can_edit(self, page: Page) -> bool:
        return self.tester(page).can_edit()

    def can_publish(self, page: Page) -> bool:
        return self.tester(page).can_publish()


class Planner:
    """Turns a sheet's header and rows into row plans and row errors."""

    def __init__(self, fmt: SheetFormat, user, default_section: SectionPage | None = None, media: MediaArchive | None = None) -> None:
        self.fmt = fmt
        self.media = media
        self.lookups = Lookups()
        city = next((s for s in self.lookups.sections if s.district_id is None), None)
        self.default_section = default_section or city
        self.rights = Rights(user)
        self.media_errors: dict[tuple[str, str], str | None] = {}

    def map_headers(self, headers: list[str]) -> tuple[dict[str, Field], list[RowError]]:
        errors, mapping, seen = [], {}, {}
        for header in headers:
            if not header:
                continue
            spec = self.fmt.by_header.get(header_key(header))
            if spec is None:
                errors.append(RowError(1, header, f"无法识别的列名。{self.fmt.label}可用的列：{'、'.join(self.fmt.headers)}。"))
            elif spec.attr in seen:
                errors.append(RowError(1, header, f"与“{seen[spec.attr]}”是同一列，请删除重复的列。"))
            else:
                mapping[header], seen[spec.attr] = spec, header
        missing = [f.header for f in self.fmt.fields if f.required and f.attr not in seen]
        if missing:
            errors.append(RowError(1, "", f"缺少必填列：{'、'.join(missing)}。请使用后台下载的导入模板。"))
        return mapping, errors

    def plan(self, mapping: dict[str, Field], rows: Iterable[tuple[int, dict[str, Any]]],
             advance: Callable[[int], None]) -> tuple[list[RowPlan], list[RowError], int]:
        """Plans for the valid rows, errors for the others, and how many rows were read; rights checked."""
        existing = self.existing_keys()
        plans: list[RowPlan] = []
        errors: list[RowError] = []
        first_row_of: dict[tuple, int] = {}
        total = 0
        for number, cells in rows:
            total += 1
            row_errors: list[RowError] = []
            values = self.parse_row(number, cells, mapping, row_errors)
            plan = None if row_errors else self.plan_row(number, values, existing, row_errors)
            if plan and plan.key in first_row_of:
                label = "、".join(self.fmt.field(a).header for a in self.fmt.natural_key)
                row_errors.append(RowError(number, "", f"与第 {first_row_of[plan.key]} 行的{label}重复，同一文件里每条只能出现一次。"))
            if row_errors:
                errors.extend(row_errors)
            else:
                first_row_of[plan.key] = number
                plans.append(plan)
            if total % 500 == 0:
                advance(500)
        advance(total % 500)
        self.decide_actions(plans)
        return self.check_rights(plans, errors), errors, total


    def parse_row(self, number: int, cells: dict[str, Any], mapping: dict[str, Field], errors: list[RowError]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        model = self.fmt.model
        for header, spec in mapping.items():
            raw = cells.get(header)
            try:
                value = parse_cell(spec, raw)
                if spec.required and value in ("", None, []):
                    raise ValidationError(f"{spec.header}为必填项，不能为空。")
                if spec.kind == "choice" and value:
                    choices = [c for c, _ in model._meta.get_field(spec.attr).choices]
                    if value not in choices:
                        raise ValidationError(f"“{value}”不是可选的{spec.header}。可选：{'、'.join(choices)}。")
                elif spec.kind not in ("names", "image", "document", "district") and spec.attr != "parent_key":
                    # The model field's own checks (length, range, coordinates in China …), same as the admin form.
                    if value not in ("", None):
                        model._meta.get_field(spec.attr).clean(value, None)
                values[spec.attr] = self.resolve(spec, value)
            except ValidationError as error:
                errors.extend(RowError(number, spec.header, message) for message in error.messages)
        for attrs, message in self.fmt.require_any:
            present = [a for a in attrs if any(f.attr == a for f in mapping.values())]
            if present and not any(values.get(a) not in ("", None) for a in attrs):
                errors.append(RowError(number, "", message))
        return values

    def resolve(self, spec: Field, value: Any) -> Any:
        """Names to objects: 栏目 to columns, 县市区 to a district, file names to images/documents or zip members."""
        if spec.kind == "names" and spec.attr == "columns":
            columns, unknown = [], []
            for name in value:
                column = self.lookups.columns.get(name) or self.lookups.columns.get(fold(name).upper())
                (columns.append(column) if column else unknown.append(name))
            if unknown:
                raise ValidationError(f"栏目“{'、'.join(unknown)}”不存在。现有栏目：{self.lookups.column_names()}。")
            return columns
        if spec.kind == "district":
            if not value or value.upper() in CITY_WORDS:
                return None if value else ""
            district = self.lookups.district(value)
            if district is None:
                names = "、".join(d.name for d in District.objects.order_by("order"))
                raise ValidationError(f"县市区“{value}”不存在。现有县市区：{names}。")
            return district
        if spec.kind in ("image", "document") and value:
            library = self.lookups.images if spec.kind == "image" else self.lookups.documents
            if self.media and value in self.media:
                if (value, spec.kind) not in self.media_errors:
                    self.media_errors[(value, spec.kind)] = self.media.check(value, spec.kind)
                if self.media_errors[(value, spec.kind)]:
                    raise ValidationError(self.media_errors[(value, spec.kind)])
            elif value not in library:
                where = "上传的压缩包里没有这个文件，资源库里也没有同名文件" if self.media else "请把文件放进 ZIP 压缩包一起上传"
                raise ValidationError(f"找不到文件 {value}：{where}。")
        return value

    def existing_keys(self) -> dict[tuple, int]:
        """Natural key → pk of existing pages (or, for child rows, parent key → parent pk)."""
        if self.fmt.parent:
            model = self.fmt.parent.model
            return {(parent_key_of(self.fmt, obj),): obj.pk for obj in model.objects.only("pk", self.fmt.parent.key_attr)}
        fields = ["pk", "path", *[a for a in self.fmt.natural_key if a != "district"]]
        return {natural_key_of(self.fmt, obj, self.lookups): obj.pk for obj in self.fmt.model.objects.only(*fields)}

    def plan_row(self, number: int, values: dict[str, Any], existing: dict[tuple, int], errors: list[RowError]) -> RowPlan | None:
        if self.fmt.parent:
            parent_pk = existing.get((values["parent_key"],))
            if parent_pk is None:
                header = self.fmt.field("parent_key").header
                errors.append(RowError(number, header, f"找不到{header}为 {values['parent_key']} 的{self.fmt.parent.label}，请先导入{self.fmt.parent.label}。"))
                return None
            key = tuple(values[a] for a in self.fmt.natural_key)
            return RowPlan(number, key, values, parent=parent_pk)
        district = values.get("district")
        key = tuple(values[a] if a != "district" else (district.pk if district else None) for a in self.fmt.natural_key)
        plan = RowPlan(number, key, values, target=existing.get(key))
        if plan.target is None:
            section = self.lookups.section_by_district.get(district.pk) if district else self.default_section
            if section is None or not self.rights.can_add_to(section):
                place = section.title if section else "该分区"
                errors.append(RowError(number, "县市区", f"您没有在“{place}”新建内容的权限。"))
                return None
            plan.section, plan.publish = section, self.rights.can_publish_in(section)
        return plan

    def decide_actions(self, plans: list[RowPlan]) -> None:
        """Load matched content in bulk and compare: create, update or unchanged."""
        if self.fmt.parent:
            self.decide_child_actions(plans)
            return
        pks = [p.target for p in plans if p.target]
        files = [f.attr for f in self.fmt.fields if f.kind in ("image", "document")]
        pages = {p.pk: p for p in self.fmt.model.objects.filter(pk__in=pks).select_related(*files)}
        columns, tags = defaultdict(set), defaultdict(set)
        for page_id, column_id in LibraryItemPage.columns.through.objects.filter(libraryitempage_id__in=pks).values_list("libraryitempage_id", "column_id"):
            columns[page_id].add(column_id)
        for page_id, name in ItemTag.objects.filter(content_object_id__in=pks).values_list("content_object_id", "tag__name"):
            tags[page_id].add(name)
        for plan in plans:
            if plan.target is None:
                continue
            page = pages[plan.target]
            page.current_columns, page.current_tags = columns[page.pk], tags[page.pk]
            plan.target, plan.section = page, self.lookups.section_of(page.path)
            plan.action = UPDATE if self.differs(page, plan.values) else UNCHANGED

    def decide_child_actions(self, plans: list[RowPlan]) -> None:
        parent_ids = {p.parent for p in plans}
        parents = {p.pk: p for p in self.fmt.parent.model.objects.filter(pk__in=parent_ids)}
        children = {}
        for child in self.fmt.model.objects.filter(page_id__in=parent_ids).select_related(*[f.attr for f in self.fmt.fields if f.kind in ("image", "document")]):
            children[natural_key_of(self.fmt, child, self.lookups, parent_key_of(self.fmt, parents[child.page_id]))] = child
        for plan in plans:
            plan.parent = parents[plan.parent]
            plan.section = self.lookups.section_of(plan.parent.path)
            plan.target = children.get(plan.key)
            if plan.target is not None:
                plan.action = UPDATE if self.differs(plan.target, plan.values) else UNCHANGED

    def differs(self, obj: Any, values: dict[str, Any]) -> bool:
        for attr, value in values.items():
            spec = self.fmt.field(attr)
            if attr == "parent_key" or spec.kind == "district":
                continue
            if spec.kind == "names":
                current = obj.current_columns if attr == "columns" else obj.current_tags
                new = {c.pk for c in value} if attr == "columns" else set(value)
                if current != new:
                    return True
            elif spec.kind in ("image", "document"):
                current = getattr(obj, attr)
                if (Path(current.file.name).name if current else "") != value:
                    return True
            else:
                current = getattr(obj, attr)
                if attr == "isbn":
                    current = normalize_isbn(current)
                elif attr == "issn":
                    current = normalize_issn(current)
                if (current if current is not None else "") != (value if value is not None else ""):
                    return True
        return False

    def check_rights(self, plans: list[RowPlan], errors: list[RowError]) -> list[RowPlan]:
        """Keep the plans the user may carry out: updating a page needs Wagtail's can_edit on that very page (on the
        periodical or series for issues and episodes); publishing the change needs its can_publish."""
        allowed = []
        for plan in plans:
            page = plan.parent if self.fmt.parent else plan.target  # the page this row changes; None for a new page
            if page is not None and plan.action != UNCHANGED:
                if not self.rights.can_edit(page):
                    place = plan.section.title if plan.section else "其他分区"
                    errors.append(RowError(plan.row, "", f"“{page.title}”在“{place}”，您没有修改它的权限。"))
                    continue
                plan.publish = self.rights.can_publish(page)
            moved_to = plan.values.get("district") if self.fmt.is_page and plan.action == UPDATE else None
            if moved_to not in (None, "") and moved_to.pk != (plan.section.district_id if plan.section else None):
                errors.append(RowError(plan.row, "县市区", f"该条目已在“{plan.section.title}”，导入不能移动条目；请在后台“移动”页面，或把县市区改回。"))
                continue
            allowed.append(plan)
        return allowed
