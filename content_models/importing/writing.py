"""Write checked row plans: new pages in bulk, changed pages and child rows through Wagtail's revisions.

New pages are written a chunk at a time with a few queries per 500 pages instead of ~60 per page through
`add_child` + `save_revision` + `publish` (10,000 rows: about 30 s instead of over half an hour). The result is
what those calls leave behind — tree path, depth, url_path, the parent's numchild, a first revision, the revision
pointers, log entries and the page_published signal — and tests/content_models/test_import_tree.py checks it with
treebeard's own `find_problems`, also with an editor adding pages to the same section during an import. Each
chunk's tree paths are read from the section's last child when the chunk is written, so a page added meanwhile
is built upon, not overwritten. No signal is switched off: Wagtail's reference index is paused for this thread
only (its own context manager) and caught up by the worker; bulk rows send no post_save, so they are added to the
search index in bulk at the end.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import connections, router, transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.text import slugify
from modelsearch.backends import get_search_backends_with_name
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import COMMENTS_RELATION_NAME, Collection, Page, PageLogEntry, Revision
from wagtail.signal_handlers import disable_reference_index_auto_update
from wagtail.signals import page_published

from ..pages import ItemTag, LibraryItemPage, SectionPage
from ..workspaces import find_district_collection
from .formats import SheetFormat
from .planning import CREATE, UNCHANGED, UPDATE, Planner, RowPlan, natural_key_of

BULK = 500  # pages per bulk insert


class PageWriter:
    """Applies a planner's plans, all in one transaction."""

    def __init__(self, planner: Planner, user) -> None:
        self.planner = planner
        self.fmt = planner.fmt
        self.media = planner.media
        self.user = user
        self.now = timezone.now()
        self.created_media: dict[tuple[str, str], Any] = {}
        self.touched: dict[int, Page] = {}
        self.tags: dict[str, Tag] = {}
        self.created_ids: set[int] = set()

    def apply(self, plans: list[RowPlan], progress: Callable[[int], None]) -> int:
        """Write every plan in one transaction; returns how many were left as drafts."""
        with transaction.atomic(), disable_reference_index_auto_update():
            if self.fmt.parent:
                drafts = self.apply_children(plans, progress)
            else:
                drafts = 0
                creates = [p for p in plans if p.action == CREATE]
                slugs = SlugAllocator()
                for start in range(0, len(creates), BULK):
                    chunk = creates[start:start + BULK]
                    pages = [self.build_page(plan, slugs) for plan in chunk]
                    self.insert_pages(pages)
                    drafts += sum(not p.live for p in pages)
                    progress(len(chunk))
                for plan in plans:
                    if plan.action == UPDATE:
                        drafts += not self.update_page(plan)
                    if plan.action != CREATE:
                        progress(1)
            reindex([p for p in self.touched.values() if p.pk in self.created_ids])
            update_references_later([*self.touched.values(), *self.created_media.values()])
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
        library = self.planner.lookups.images if kind == "image" else self.planner.lookups.documents
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

    def build_page(self, plan: RowPlan, slugs: SlugAllocator) -> Page:
        """A new page in memory in its final state (live if the user may publish there); `insert_pages` writes it."""
        section = plan.section
        page = self.fmt.model(owner=self.user, locale_id=section.locale_id, slug=slugs.slug(section, self.fmt, plan.key))
        tags = plan.values.pop("tags", [])
        self.assign(page, plan)
        page.tags.add(*[self.tag(name) for name in tags])
        setattr(page, COMMENTS_RELATION_NAME, [])
        page.parent_section = section
        page.depth = section.depth + 1
        page.url_path = f"{section.url_path}{page.slug}/"
        page.district_id = section.district_id
        page.draft_title = page.title
        page.live = plan.publish
        page.has_unpublished_changes = not plan.publish
        page.latest_revision_created_at = self.now
        if plan.publish:
            page.first_published_at = page.last_published_at = self.now
        return page

    def tag(self, name: str) -> Tag:
        if name not in self.tags:
            self.tags[name] = Tag.objects.filter(name=name).first() or Tag.objects.create(name=name)
        return self.tags[name]

    def insert_pages(self, pages: list[Page]) -> None:
        """Write one chunk of new pages: tree paths from each section's last child as it is now, the rows of each
        table of the page's model chain, columns, tags, the first revision, revision pointers and log entries; the
        page_published signal is sent per published page as Wagtail's publish sends it (the site and search listen)."""
        by_section: dict[int, list[Page]] = defaultdict(list)
        for page in pages:
            by_section[page.parent_section.pk].append(page)
        for group in by_section.values():
            allocate_paths(group[0].parent_section, group)
        Page.objects.bulk_create(pages)  # the base table; returns ids on PostgreSQL and SQLite ≥ 3.35
        model = type(pages[0])
        chain = [m for m in reversed(model._meta.get_parent_list()) if m is not Page] + [model]
        for page in pages:
            for cls in chain:
                setattr(page, cls._meta.pk.attname, page.id)
        for cls in chain:
            insert_rows(cls, pages)
        through = LibraryItemPage.columns.through
        through.objects.bulk_create([through(libraryitempage_id=p.pk, column_id=c.pk) for p in pages for c in p.columns.all()])
        for page in pages:
            for item in page.tagged_items.all():
                item.content_object_id = page.pk
        ItemTag.objects.bulk_create([t for p in pages for t in p.tagged_items.all()])
        self.write_revisions(pages)
        for page in pages:
            self.touched[page.pk] = page
            self.created_ids.add(page.pk)
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
        if plan.publish:
            revision.publish(user=self.user, log_action=True)
        self.touched[page.pk] = page
        return plan.publish

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
                children = {natural_key_of(self.fmt, c, self.planner.lookups, group[0].key[0]): c for c in getattr(page, relation).all()}
                for plan in changes:
                    child = children.get(plan.key) or self.fmt.model()
                    self.assign(child, plan)
                    children[plan.key] = child
                setattr(page, relation, list(children.values()))
                revision = page.save_revision(user=self.user, clean=False, log_action=True)
                if changes[0].publish:  # rights are per page: every change in the group has the same
                    revision.publish(user=self.user, log_action=True)
                else:
                    drafts += len(changes)
                self.touched[page.pk] = page
            progress(len(group))
        return drafts


def allocate_paths(section: SectionPage, pages: list[Page]) -> None:
    """Give new children of a section the next tree paths after its last child as the database has it now, and
    count them in its numchild (an increment, as treebeard's add_child does, so concurrent adds add up)."""
    last = Page.objects.filter(path__startswith=section.path, depth=section.depth + 1).order_by("-path").values_list("path", flat=True).first()
    for page in pages:
        page.path = Page._inc_path(Page(path=last)) if last else Page._get_path(section.path, section.depth + 1, 1)
        last = page.path
    Page.objects.filter(pk=section.pk).update(numchild=F("numchild") + len(pages))


class SlugAllocator:
    """Readable, stable slugs from the natural key, unique among a section's children (read once per section)."""

    def __init__(self) -> None:
        self.taken: dict[int, set[str]] = {}

    def slug(self, section: SectionPage, fmt: SheetFormat, key: tuple) -> str:
        if section.pk not in self.taken:
            self.taken[section.pk] = set(Page.objects.filter(path__startswith=section.path, depth=section.depth + 1).values_list("slug", flat=True))
        taken = self.taken[section.pk]
        base = slugify(f"{fmt.key}-{'-'.join(str(k) for k in key if k is not None)}", allow_unicode=True)[:70] or fmt.key
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        return slug


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


def reindex(pages: list[Page]) -> None:
    """Wagtail's admin search index for pages written in bulk (they sent no post_save), in one go per model."""
    by_model = defaultdict(list)
    for page in pages:
        by_model[type(page)].append(page)
    for model, group in by_model.items():
        fresh = list(model.get_indexed_objects().filter(pk__in=[p.pk for p in group]))
        for _name, backend in get_search_backends_with_name(with_auto_update=True):
            backend.add_bulk(model, fresh)


def update_references_later(objects: list) -> None:
    """The reference index ("usage") of what the import wrote, by the worker once the import is committed: it
    costs a few queries per object."""
    from ..tasks import update_references

    refs = [[o._meta.app_label, o._meta.model_name, o.pk] for o in objects]
    if refs:
        transaction.on_commit(lambda: update_references.enqueue(refs))
