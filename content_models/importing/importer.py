"""Import a catalogue sheet: validate every row first, then write all of it in one transaction (or nothing).

Rows are matched to existing content by natural key (ISBN, ISSN, ISSN+年份+期号, 系列编号, 系列编号+集数,
名称+县市区), so importing the same sheet twice updates instead of duplicating. Every write goes through a
Wagtail revision and is published (or left as a draft for editors who may not publish), logged with the
importing user.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import connections, router, transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.db.models.signals import post_save
from django.db.models.sql import InsertQuery
from django.utils import timezone, translation
from django.utils.text import slugify
from modelsearch.backends import get_search_backends_with_name
from modelsearch.signal_handlers import post_save_signal_handler as search_post_save
from PIL import Image as PILImage
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import COMMENTS_RELATION_NAME, Collection, Page, PageLogEntry, Revision
from wagtail.signal_handlers import disable_reference_index_auto_update
from wagtail.signals import page_published

from ..documents import sniff_matches_extension
from ..pages import ItemTag, LibraryItemPage, SectionPage
from ..taxonomy import Column, District
from ..validators import fold, normalize_isbn, normalize_issn
from ..workspaces import find_district_collection
from .formats import Field, Sheet, SheetError, SheetFormat, header_key, parse_cell, read_sheet

CITY_WORDS = {"全市", "市级", "CITY"}
BULK = 500  # pages per bulk insert
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1); 0 for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}{f'「{self.column}」' if self.column else ''}：{self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    type_label: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # invalid rows left out with valid_only
    drafts: int = 0  # rows saved as drafts because the user may not publish there
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> str:
        verb = "将" if self.dry_run or not self.written else "已"
        text = f"{self.type_label}共 {self.total} 行：{verb}新建 {self.created}，{verb}更新 {self.updated}，无变化 {self.unchanged}"
        if self.skipped:
            text += f"，跳过有错误的 {self.skipped} 行"
        if self.drafts:
            text += f"（其中 {self.drafts} 条保存为草稿，需提交审核后发布）"
        if self.errors and not self.written and not self.dry_run:
            text += f"。有 {self.error_rows} 行存在错误，未导入任何内容"
        return text + "。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_label, "total": self.total, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": self.skipped, "drafts": self.drafts, "dry_run": self.dry_run,
            "written": self.written, "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
        }


# -- media from a zip ------------------------------------------------------------------------------------------------
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


# -- planning --------------------------------------------------------------------------------------------------------
@dataclass
class RowPlan:
    row: int
    key: tuple
    values: dict[str, Any]  # attribute → parsed value, only for the sheet's columns
    action: str = CREATE
    target: Any = None  # the existing page or child
    parent: Any = None  # for child rows: the parent page
    section: SectionPage | None = None  # where a new page goes / where the existing one is


@dataclass
class Access:
    """What the importing user may do in each section (superusers: everything)."""

    add: set[int]
    change: set[int]
    publish: set[int]

    @classmethod
    def for_user(cls, user, sections: list[SectionPage]) -> Access:
        add, change, publish = set(), set(), set()
        for section in sections:
            tester = section.permissions_for_user(user)
            if tester.can_add_subpage():
                add.add(section.pk)
            if user.is_superuser or "change" in tester.permissions:
                change.add(section.pk)
            if tester.can_publish_subpage():
                publish.add(section.pk)
        return cls(add, change, publish)


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
        self.images = {Path(name).name: pk for pk, name in get_image_model().objects.values_list("pk", "file")}
        self.documents = {Path(name).name: pk for pk, name in get_document_model().objects.values_list("pk", "file")}

    def column_names(self) -> str:
        return "、".join(sorted({c.name for c in self.columns.values()}, key=lambda n: n))

    def district(self, text: str) -> District | None:
        return self.districts.get(text) or self.districts.get(text.upper())


def natural_key_of(fmt: SheetFormat, obj: Any, parent_key: str = "") -> tuple:
    """The natural key of existing content, normalised like parsed cells are."""
    values = []
    for attr in fmt.natural_key:
        if attr == "parent_key":
            values.append(parent_key)
        elif attr == "isbn":
            values.append(normalize_isbn(obj.isbn))
        elif attr == "issn":
            values.append(normalize_issn(obj.issn))
        elif attr == "district":
            values.append(obj.district_id)
        else:
            values.append(getattr(obj, attr))
    return tuple(values)


def parent_key_of(fmt: SheetFormat, page: Any) -> str:
    value = getattr(page, fmt.parent.key_attr)
    return normalize_issn(value) if fmt.parent.key_attr == "issn" else value


class Importer:
    """Validates a sheet into row plans, then applies them."""

    def __init__(self, fmt: SheetFormat, user, default_section: SectionPage | None = None, media: MediaArchive | None = None) -> None:
        self.fmt = fmt
        self.user = user
        self.media = media
        self.lookups = Lookups()
        city = next((s for s in self.lookups.sections if s.district_id is None), None)
        self.default_section = default_section or city
        self.access = Access.for_user(user, self.lookups.sections)
        self.section_by_id = {s.pk: s for s in self.lookups.sections}
        self.media_errors: dict[tuple[str, str], str | None] = {}

    # -- validation ------------------------------------------------------------------------------------------------
    def map_headers(self, sheet: Sheet) -> tuple[dict[str, Field], list[RowError]]:
        errors, mapping, seen = [], {}, {}
        for header in sheet.headers:
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

    def validate(self, sheet: Sheet) -> tuple[list[RowPlan], list[RowError]]:
        mapping, errors = self.map_headers(sheet)
        if errors:
            return [], errors
        existing = self.existing_keys()
        plans: list[RowPlan] = []
        first_row_of: dict[tuple, int] = {}
        for number, cells in sheet.rows:
            row_errors: list[RowError] = []
            values = self.parse_row(number, cells, mapping, row_errors)
            plan = None if row_errors else self.plan_row(number, values, existing, row_errors)
            if plan and plan.key in first_row_of:
                label = "、".join(self.fmt.field(a).header for a in self.fmt.natural_key)
                row_errors.append(RowError(number, "", f"与第 {first_row_of[plan.key]} 行的{label}重复，同一文件里每条只能出现一次。"))
            if row_errors:
                errors.extend(row_errors)
                continue
            first_row_of[plan.key] = number
            plans.append(plan)
        self.decide_actions(plans)
        return plans, errors

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
            fields = ["pk", self.fmt.parent.key_attr]
            return {(parent_key_of(self.fmt, obj),): obj.pk for obj in model.objects.only(*fields)}
        fields = ["pk", *[a for a in self.fmt.natural_key if a != "district"]]
        if "district" in self.fmt.natural_key:
            fields.append("district_id")
        return {natural_key_of(self.fmt, obj): obj.pk for obj in self.fmt.model.objects.only(*fields)}

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
            if section is None or section.pk not in self.access.add:
                place = section.title if section else "该分区"
                errors.append(RowError(number, "县市区", f"您没有在“{place}”新建内容的权限。"))
                return None
            plan.section = section
        return plan

    def decide_actions(self, plans: list[RowPlan]) -> None:
        """Load matched content in bulk and compare: create, update or unchanged; checks edit rights too."""
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
            plan.target, plan.section = page, self.lookups.section_by_district.get(page.district_id)
            plan.action = UPDATE if self.differs(page, plan.values) else UNCHANGED

    def decide_child_actions(self, plans: list[RowPlan]) -> None:
        parent_ids = {p.parent for p in plans}
        parents = {p.pk: p for p in self.fmt.parent.model.objects.filter(pk__in=parent_ids)}
        children = {}
        for child in self.fmt.model.objects.filter(page_id__in=parent_ids).select_related(*[f.attr for f in self.fmt.fields if f.kind in ("image", "document")]):
            children[natural_key_of(self.fmt, child, parent_key_of(self.fmt, parents[child.page_id]))] = child
        for plan in plans:
            plan.parent = parents[plan.parent]
            plan.section = self.lookups.section_by_district.get(plan.parent.district_id)
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

    def check_change_rights(self, plans: list[RowPlan], errors: list[RowError]) -> list[RowPlan]:
        allowed = []
        for plan in plans:
            if plan.action == UPDATE and (plan.section is None or plan.section.pk not in self.access.change):
                errors.append(RowError(plan.row, "", f"该条目属于“{plan.section.title if plan.section else '其他分区'}”，您没有修改权限。"))
            elif plan.action == UPDATE and self.fmt.is_page and plan.values.get("district") not in (None, "") and plan.values["district"].pk != plan.target.district_id:
                errors.append(RowError(plan.row, "县市区", f"该条目已在“{plan.section.title}”，导入不能移动条目；请在后台“移动”页面，或把县市区改回。"))
            else:
                allowed.append(plan)
        return allowed

    # -- writing -----------------------------------------------------------------------------------------------------
    def apply(self, plans: list[RowPlan], progress: Callable[[int], None]) -> int:
        """Write every plan in one transaction; returns how many were left as drafts."""
        self.now = timezone.now()
        self.created_media: dict[tuple[str, str], Any] = {}
        self.touched: dict[int, Page] = {}
        self.created: list[Page] = []
        self.tags: dict[str, Tag] = {}
        drafts = 0
        with transaction.atomic(), deferred_indexing():
            if self.fmt.parent:
                drafts = self.apply_children(plans, progress)
            else:
                paths = PathAllocator()
                for plan in plans:
                    if plan.action == CREATE:
                        drafts += not self.create_page(plan, paths)
                    elif plan.action == UPDATE:
                        drafts += not self.update_page(plan)
                    progress(1)
                paths.finish()
                self.finish_created()
            reindex([*self.touched.values(), *self.created_media.values()])
        return drafts

    def file_object(self, kind: str, name: str, section: SectionPage | None) -> Any:
        """The image/document a cell names: the zip's file (uploaded once per import) or the library's."""
        if not name:
            return None
        if self.media and name in self.media:
            if (kind, name) not in self.created_media:
                collection = (find_district_collection(section.district) if section and section.district_id else None) or Collection.get_first_root_node()
                data, title = self.media.read(name), Path(name).stem
                if kind == "image":
                    obj = get_image_model()(title=title, collection=collection, uploaded_by_user=self.user)
                    obj.file = ImageFile(io.BytesIO(data), name=name)
                else:
                    obj = get_document_model()(title=title, collection=collection, uploaded_by_user=self.user)
                    obj.file = ContentFile(data, name=name)
                # Files written to storage stay there if the transaction rolls back; the database never refers to them.
                obj.save()
                self.created_media[(kind, name)] = obj
            return self.created_media[(kind, name)]
        model = get_image_model() if kind == "image" else get_document_model()
        library = self.lookups.images if kind == "image" else self.lookups.documents
        return model.objects.get(pk=library[name])

    def assign(self, obj: Any, plan: RowPlan) -> None:
        for attr, value in plan.values.items():
            spec = self.fmt.field(attr)
            if attr == "parent_key" or spec.kind == "district":
                continue
            if spec.kind == "names":
                if attr == "columns":
                    obj.columns = value
                else:
                    obj.tags.set(value)
            elif spec.kind in ("image", "document"):
                current = getattr(obj, attr)
                if (Path(current.file.name).name if current else "") != value:
                    setattr(obj, attr, self.file_object(spec.kind, value, plan.section))
            else:
                setattr(obj, attr, "" if value is None and not obj._meta.get_field(attr).null else value)

    def create_page(self, plan: RowPlan, paths: PathAllocator) -> bool:
        """A new page built in memory in its final state (live if the user may publish there); `finish_created`
        writes it. Returns whether it is published."""
        section = plan.section
        page = self.fmt.model(owner=self.user, locale_id=section.locale_id, slug=paths.slug(section, self.fmt, plan.key))
        tags = plan.values.pop("tags", [])
        self.assign(page, plan)
        page.tags.add(*[self.tag(name) for name in tags])
        setattr(page, COMMENTS_RELATION_NAME, [])
        publish = section.pk in self.access.publish
        page.path, page.depth = paths.next(section), section.depth + 1
        page.url_path = f"{section.url_path}{page.slug}/"
        page.district_id = section.district_id
        page.draft_title = page.title
        page.live = publish
        page.has_unpublished_changes = not publish
        page.latest_revision_created_at = self.now
        if publish:
            page.first_published_at = page.last_published_at = self.now
        self.created.append(page)
        return publish

    def tag(self, name: str) -> Tag:
        if name not in self.tags:
            self.tags[name] = Tag.objects.filter(name=name).first() or Tag.objects.create(name=name)
        return self.tags[name]

    def finish_created(self) -> None:
        """Write the new pages in bulk, a few queries per 500 pages instead of ~30 per page: the rows of each table
        of the page's model chain, columns, tags, the first revision, revision pointers and log entries. The result
        is what add_child + save_revision + publish leave behind; the page_published signal is sent per published
        page as Wagtail's publish sends it (the static site and search listen to it)."""
        for start in range(0, len(self.created), BULK):
            chunk = self.created[start:start + BULK]
            Page.objects.bulk_create(chunk)  # the base table; returns ids on PostgreSQL and SQLite ≥ 3.35
            model = type(chunk[0])
            chain = [m for m in reversed(model._meta.get_parent_list()) if m is not Page] + [model]
            for page in chunk:
                for cls in chain:
                    setattr(page, cls._meta.pk.attname, page.id)
            for cls in chain:
                insert_rows(cls, chunk)
            through = LibraryItemPage.columns.through
            through.objects.bulk_create([through(libraryitempage_id=p.pk, column_id=c.pk) for p in chunk for c in p.columns.all()])
            tagged = [t for p in chunk for t in p.tagged_items.all()]
            for page in chunk:
                for item in page.tagged_items.all():
                    item.content_object_id = page.pk
            ItemTag.objects.bulk_create(tagged)
            self.write_revisions(chunk)
        for page in self.created:
            self.touched[page.pk] = page
            if page.live:
                page_published.send(sender=type(page), instance=page, revision=page.live_revision)

    def write_revisions(self, pages: list[Page]) -> None:
        content_type = ContentType.objects.get_for_model(pages[0], for_concrete_model=False)
        revisions = [
            Revision(
                content_type=content_type, base_content_type=page.get_base_content_type(), object_id=str(page.pk),
                user=self.user, created_at=self.now, content=page.serializable_data(), object_str=str(page),
            )
            for page in pages
        ]
        Revision.objects.bulk_create(revisions)
        entries = []
        for page, revision in zip(pages, revisions, strict=True):
            page.latest_revision = revision
            page.live_revision = revision if page.live else None
            actions = ["wagtail.create", "wagtail.publish"] if page.live else ["wagtail.create"]
            entries += [
                PageLogEntry(
                    content_type=content_type, label=page.draft_title, action=action, timestamp=self.now, data={},
                    user=self.user, page_id=page.pk, revision=revision, content_changed=True,
                )
                for action in actions
            ]
        # One UPDATE with a subquery per chunk; bulk_update's CASE over 500 ids is several times slower on SQLite.
        newest = Revision.objects.filter(base_content_type=revisions[0].base_content_type, object_id=Cast(OuterRef("pk"), CharField())).order_by("-pk").values("pk")[:1]
        Page.objects.filter(pk__in=[p.pk for p in pages]).update(latest_revision=Subquery(newest))
        Page.objects.filter(pk__in=[p.pk for p in pages if p.live]).update(live_revision=Subquery(newest))
        PageLogEntry.objects.bulk_create(entries)

    def update_page(self, plan: RowPlan) -> bool:
        page = plan.target
        self.assign(page, plan)
        revision = page.save_revision(user=self.user, clean=False, log_action=True)
        publish = plan.section is not None and plan.section.pk in self.access.publish
        if publish:
            revision.publish(user=self.user, log_action=True)
        self.touched[page.pk] = page
        return publish

    def apply_children(self, plans: list[RowPlan], progress: Callable[[int], None]) -> int:
        """Child rows are grouped by their page: one revision (and publish) per periodical or series."""
        relation = self.fmt.parent.relation
        by_parent: dict[int, list[RowPlan]] = defaultdict(list)
        for plan in plans:
            by_parent[plan.parent.pk].append(plan)
        drafts = 0
        for group in by_parent.values():
            changes = [p for p in group if p.action != UNCHANGED]
            if changes:
                page = group[0].parent
                children = {natural_key_of(self.fmt, c, group[0].key[0]): c for c in getattr(page, relation).all()}
                for plan in changes:
                    child = children.get(plan.key) or self.fmt.model()
                    self.assign(child, plan)
                    children[plan.key] = child
                setattr(page, relation, list(children.values()))
                revision = page.save_revision(user=self.user, clean=False, log_action=True)
                if group[0].section and group[0].section.pk in self.access.publish:
                    revision.publish(user=self.user, log_action=True)
                else:
                    drafts += len(changes)
                self.touched[page.pk] = page
            progress(len(group))
        return drafts


class PathAllocator:
    """Tree paths for new pages under each section, worked out once per section instead of once per page."""

    def __init__(self) -> None:
        self.last: dict[int, str | None] = {}
        self.counts: dict[int, int] = defaultdict(int)
        self.slugs: dict[int, set[str]] = {}

    def next(self, section: SectionPage) -> str:
        if section.pk not in self.last:
            last_child = Page.objects.filter(path__startswith=section.path, depth=section.depth + 1).order_by("-path").first()
            self.last[section.pk] = last_child.path if last_child else None
        last = self.last[section.pk]
        path = Page._inc_path(Page(path=last)) if last else Page._get_path(section.path, section.depth + 1, 1)
        self.last[section.pk] = path
        self.counts[section.pk] += 1
        return path

    def slug(self, section: SectionPage, fmt: SheetFormat, key: tuple) -> str:
        """A readable, stable slug from the natural key, unique among the section's children."""
        if section.pk not in self.slugs:
            self.slugs[section.pk] = set(Page.objects.filter(path__startswith=section.path, depth=section.depth + 1).values_list("slug", flat=True))
        taken = self.slugs[section.pk]
        base = slugify(f"{fmt.key}-{'-'.join(str(k) for k in key if k is not None)}", allow_unicode=True)[:70] or fmt.key
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        return slug

    def finish(self) -> None:
        for section_pk, count in self.counts.items():
            Page.objects.filter(pk=section_pk).update(numchild=F("numchild") + count)


def insert_rows(model: type, objects: list) -> None:
    """INSERT one table of a multi-table-inherited model for many objects at once (Django's bulk_create
    refuses such models; this is the same insert query it uses, one table at a time)."""
    fields = list(model._meta.local_concrete_fields)
    connection = connections[router.db_for_write(model)]
    max_batch = connection.ops.bulk_batch_size(fields, objects) or len(objects)
    for start in range(0, len(objects), max_batch):
        query = InsertQuery(model)
        query.insert_values(fields, objects[start:start + max_batch])
        query.get_compiler(connection=connection).execute_sql()


@contextmanager
def deferred_indexing() -> Iterator[None]:
    """Search and reference indexes are updated once per touched page at the end, not on each of its saves.

    Disconnecting the search signal is process-wide: a page saved by another thread of the same process
    meanwhile misses its automatic index update (rare, and `update_index` repairs it).
    """
    from modelsearch.index import get_indexed_models

    disconnected = [m for m in get_indexed_models() if post_save.disconnect(search_post_save, sender=m)]
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        for model in disconnected:
            post_save.connect(search_post_save, sender=model)


def reindex(objects: list) -> None:
    """Wagtail's admin search index for the touched objects now, in bulk; their reference index ("usage")
    in the background once the import is committed, as that costs a few queries per object."""
    from ..tasks import update_references

    by_model = defaultdict(list)
    for obj in objects:
        by_model[type(obj)].append(obj)
    for model, group in by_model.items():
        fresh = list(model.get_indexed_objects().filter(pk__in=[o.pk for o in group]))
        for _name, backend in get_search_backends_with_name(with_auto_update=True):
            backend.add_bulk(model, fresh)
    refs = [[o._meta.app_label, o._meta.model_name, o.pk] for o in objects]
    if refs:
        transaction.on_commit(lambda: update_references.enqueue(refs))


# -- entry point -----------------------------------------------------------------------------------------------------
def run_import(
    type_key: str,
    data: bytes,
    filename: str,
    user,
    *,
    section: SectionPage | None = None,
    media: bytes | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> ImportReport:
    """Validate and (unless dry_run, or errors without valid_only) import a sheet; never writes half of it."""
    from .formats import FORMATS

    fmt = FORMATS[type_key]
    report = ImportReport(type_label=fmt.label, dry_run=dry_run)
    with translation.override("zh-hans"):
        try:
            sheet = read_sheet(data, filename)
            archive = MediaArchive(media) if media else None
        except SheetError as error:
            report.errors.append(RowError(0, "", str(error)))
            return report
        report.total = len(sheet.rows)
        importer = Importer(fmt, user, default_section=section, media=archive)
        plans, errors = importer.validate(sheet)
        plans = importer.check_change_rights(plans, errors)
        report.errors = sorted(errors, key=lambda e: e.row)
        report.skipped = report.error_rows if report.errors and valid_only else 0
        report.created = sum(p.action == CREATE for p in plans)
        report.updated = sum(p.action == UPDATE for p in plans)
        report.unchanged = sum(p.action == UNCHANGED for p in plans)
        if dry_run or (report.errors and not valid_only) or any(e.row <= 1 for e in report.errors):
            return report
        advance = progress("导入", len(plans)) if progress else (lambda n: None)
        report.drafts = importer.apply(plans, advance)
        report.written = True
    return report
