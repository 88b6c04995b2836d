"""A seeded random sequence of editors' actions, checked against every output after each build.

Every version of every title and summary carries a unique marker (FZ00042Q), every test image and document
a unique file name (fzimg00007, fzdoc00003). An oracle written here, independently of the product's
visibility rule, says which markers and files are public right now; every other one must be absent from
every file of the built site, every object in the bucket, the API, the search index, search and
suggestion answers and the hot words. The incremental site must equal a fresh full build byte for byte.

Used by tests/site_builder/test_privacy_fuzz.py (CI size) and bench/bench_privacy_fuzz.py (≥ 1,000 operations).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction, Revision

from activities.models import ActivityPage, ActivityTask
from content_models.models import (
    AudioSeriesPage,
    Column,
    EBookPage,
    HomePage,
    LibraryItemPage,
    MapSitePage,
    NewsPage,
    PeriodicalIssue,
    PeriodicalPage,
    SectionPage,
    SiteRelatedLink,
    VideoSeriesPage,
)
from content_models.seeding import cover_image_bytes
from content_models.taxonomy import District
from members.models import Member
from members.sessions import MEMBER_COOKIE, log_in
from search_index.indexer import current_generation
from search_index.models import HotWordPin
from site_builder.build import build_site
from site_builder.source import ITEM_TYPES
from site_builder.tasks import cms_site_config

MARKER = re.compile(r"FZ\d{5}Q")
FILE_MARKER = re.compile(r"fz(?:img|doc)\d{5}")


@dataclass
class Report:
    operations: Counter = field(default_factory=Counter)
    builds: int = 0
    checks: int = 0
    leaks: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    markers: int = 0
    private_markers_checked: int = 0
    files_checked: int = 0
    objects_checked: int = 0
    episode_media_checked: int = 0  # references to /media/transcodes/ (light video and audio) in built files
    reader_files_checked: int = 0  # built files under …/read/: the page-by-page reader
    member_pages_checked: int = 0  # /me/district/… answers to logged-in members
    member_pages_readable: int = 0  # … of which the member's own district-only items
    seconds: float = 0.0

    def summary(self) -> dict:
        return {
            "operations": sum(self.operations.values()),
            "by_operation": dict(sorted(self.operations.items())),
            "builds": self.builds,
            "checks": self.checks,
            "markers": self.markers,
            "private_markers_checked": self.private_markers_checked,
            "site_files_checked": self.files_checked,
            "bucket_objects_checked": self.objects_checked,
            "episode_media_checked": self.episode_media_checked,
            "reader_files_checked": self.reader_files_checked,
            "member_pages_checked": self.member_pages_checked,
            "member_pages_readable": self.member_pages_readable,
            "leaks_found": len(self.leaks),
            "full_build_mismatches": len(self.mismatches),
            "seconds": round(self.seconds, 1),
        }


class PrivacyFuzz:
    """Drives the CMS as editors would (through Wagtail's own page APIs), the queue as the worker would."""

    def __init__(self, seed: int, live_url: str, s3_client, bucket: str, scratch: Path) -> None:
        self.rng = random.Random(seed)
        self.live_url = live_url.rstrip("/")
        self.s3 = s3_client
        self.bucket = bucket
        self.scratch = scratch
        self.count = 0
        self.report = Report()
        self.ever_public: set[str] = set()  # markers and files seen public at a check: may linger in caches
        self.http = requests.Session()
        self.seen_failures: set = set()

    # -- markers ---------------------------------------------------------------------------------------
    def marker(self) -> str:
        self.count += 1
        self.report.markers += 1
        return f"FZ{self.count:05d}Q"

    def versioned(self, page: LibraryItemPage) -> str:
        """Give the page a new title and summary carrying a fresh marker (in memory)."""
        mark = self.marker()
        base = MARKER.sub("", page.title).strip() or page.title
        page.title = f"{base[:40]} {mark}"
        page.summary = f"《{base[:20]}》的简介，编号 {mark}。"
        return mark

    # -- set-up ----------------------------------------------------------------------------------------
    def set_up(self) -> None:
        """Mark every item, add test collections, images and documents, then build and index everything."""
        root = Collection.get_first_root_node()
        self.collections = [root.add_child(name=f"测试图片{n}") for n in ("甲", "乙", "丙")]
        self.images = [self.new_image() for _ in range(6)]
        self.documents = [self.new_document() for _ in range(4)]
        # The demo's transcoded episode files (a video, an audio talk): moved between collections and played in other
        # series by the operations below, so their renditions (posters in the site, links to /media/) come and go.
        self.playable = list(get_document_model().objects.filter(transcode__status="done").order_by("pk"))
        # The demo's documents the worker turned into reader pages (PDFs, an EPUB): moved between collections and
        # attached to other books by the operations below, so reader pages appear and must vanish with them.
        self.readable = list(get_document_model().objects.filter(reader_pages__isnull=False).distinct().order_by("pk"))
        for order, word in enumerate(("精神", "学习", "读本")):  # hot-word pages show titles, covers and snippets
            HotWordPin.objects.create(word=word, order=order)
        for page in self.items():
            self.versioned(page)
            if page.live:
                page.save_revision().publish()
            else:
                page.save_revision()
        call_command("build_search_index", verbosity=0)
        self.drain(full=True)
        self.members = self.log_in_members()

    def log_in_members(self) -> dict[int, requests.Session]:
        """{district id: a browser holding a logged-in member's cookie}, for two districts whose sections hold items."""
        browsers = {}
        for district in District.objects.filter(pk__in=[s.district_id for s in self.sections() if s.district_id]).order_by("pk")[:2]:
            member = Member.objects.create(name="测试党员", phone=f"1380000{district.pk:04d}", district=district, password="!")
            response = HttpResponse()
            log_in(RequestFactory().get("/me/login/"), response, member)
            browsers[district.pk] = requests.Session()
            browsers[district.pk].cookies.set(MEMBER_COOKIE, response.cookies[MEMBER_COOKIE].value)
        return browsers

    def new_image(self):
        self.count += 1
        name = f"fzimg{self.count:05d}"
        image = get_image_model()(title=f"测试封面{self.count}", collection=self.rng.choice(self.collections))
        image.file = ImageFile(io.BytesIO(cover_image_bytes(self.count)), name=f"{name}.png")
        image.save()
        return image

    def new_document(self):
        self.count += 1
        name = f"fzdoc{self.count:05d}"
        document = get_document_model()(title=f"测试文件{self.count}", collection=self.rng.choice(self.collections))
        document.file = ContentFile(b"%PDF-1.4\n% test\n%%EOF\n", name=f"{name}.pdf")
        document.save()
        return document

    # -- what there is -----------------------------------------------------------------------------------
    def items(self, kind: str | None = None) -> list[LibraryItemPage]:
        model = {"news": NewsPage, "site": MapSitePage, "activity": ActivityPage}.get(kind, LibraryItemPage)
        return [page.specific for page in model.objects.order_by("pk")]

    def pick(self, kind: str | None = None, **filters) -> LibraryItemPage | None:
        pages = [p for p in self.items(kind) if all(getattr(p, k) == v for k, v in filters.items())]
        return self.rng.choice(pages) if pages else None

    def sections(self) -> list[SectionPage]:
        return list(SectionPage.objects.order_by("pk"))

    # -- operations (each one editor action, committed) ----------------------------------------------------
    def op_publish(self) -> None:
        page = self.pick()
        self.versioned(page)
        page.save_revision().publish()

    def op_draft(self) -> None:
        page = self.pick()
        self.versioned(page)
        page.save_revision()

    def op_unpublish(self) -> None:
        page = self.pick(live=True)
        if page:
            page.unpublish()

    def op_schedule(self) -> None:
        page = self.pick()
        self.versioned(page)
        page.go_live_at = timezone.now() + timedelta(days=3)
        page.save_revision().publish()  # Wagtail schedules it: the revision waits for go_live_at

    def op_expire(self) -> None:
        page = self.pick(live=True)
        if page:
            page.expire_at = timezone.now() + timedelta(hours=1)
            page.save_revision().publish()

    def op_time_passes(self) -> None:
        """The clock passes every go-live and expiry time set so far; the scheduler runs."""
        past = timezone.now() - timedelta(seconds=1)
        for revision in Revision.page_revisions.filter(approved_go_live_at__isnull=False):
            revision.content = {**revision.content, "go_live_at": past.isoformat()}
            revision.approved_go_live_at = past
            revision.save(update_fields=["content", "approved_go_live_at"])
        Page.objects.filter(go_live_at__gt=past).update(go_live_at=past)
        Page.objects.filter(expire_at__gt=past).update(expire_at=past)
        call_command("publish_scheduled", verbosity=0)

    def op_district_only(self) -> None:
        page = self.pick(live=True)
        if page:
            page.district_only = not page.district_only
            page.save_revision().publish()

    def op_restrict_page(self) -> None:
        target = self.pick() if self.rng.random() < 0.8 else self.rng.choice(self.sections())
        if not PageViewRestriction.objects.filter(page=target).exists():
            kind = self.rng.choice([PageViewRestriction.PASSWORD, PageViewRestriction.LOGIN])
            PageViewRestriction.objects.create(page=target, restriction_type=kind, password="dangshi" if kind == "password" else "")

    def op_unrestrict_page(self) -> None:
        restrictions = list(PageViewRestriction.objects.order_by("pk"))
        if restrictions:
            self.rng.choice(restrictions).delete()

    def op_restrict_collection(self) -> None:
        collection = self.rng.choice(self.collections)
        if not CollectionViewRestriction.objects.filter(collection=collection).exists():
            CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.LOGIN)

    def op_unrestrict_collection(self) -> None:
        restrictions = list(CollectionViewRestriction.objects.order_by("pk"))
        if restrictions:
            self.rng.choice(restrictions).delete()

    def op_move_file(self) -> None:
        media = self.rng.choice(self.images + self.documents)
        media.refresh_from_db()
        media.collection = self.rng.choice(self.collections)
        media.save()

    def op_move(self) -> None:
        page = self.pick()
        target = self.rng.choice([s for s in self.sections() if s.pk != page.get_parent().pk])
        page.move(target, pos="last-child")

    def op_delete(self) -> None:
        if LibraryItemPage.objects.count() > 12:
            self.pick().delete()

    def op_create(self) -> None:
        section = self.rng.choice(self.sections())
        self.count += 1
        if self.rng.random() < 0.5:
            page = EBookPage(title="新书", slug=f"fuzz-book-{self.count}", reader_url="https://reader.example.cn/book")
        else:
            page = NewsPage(title="新闻", slug=f"fuzz-news-{self.count}", date="2024-10-01", body="<p>学习党史，坚定信念。</p>")
        self.versioned(page)
        page.live = False
        section.add_child(instance=page)
        page.columns.set([Column.objects.order_by("order").first()])
        revision = page.save_revision()
        if self.rng.random() < 0.7:
            revision.publish()

    def op_relate(self) -> None:
        site, other = self.pick("site"), self.pick()
        if site and other and other.pk != site.pk:
            site.related_links.add(SiteRelatedLink(related=other, sort_order=site.related_links.count()))
            site.save_revision().publish()

    def op_unrelate(self) -> None:
        site = self.pick("site")
        links = list(site.related_links.all()) if site else []
        if links:
            site.related_links.remove(self.rng.choice(links))
            site.save_revision().publish()

    def op_link_in_body(self) -> None:
        news, other = self.pick("news"), self.pick()
        if news and other:
            document = self.rng.choice(self.documents)
            news.body = (
                f'<p>请阅读<a linktype="page" id="{other.pk}">这篇相关内容</a>，'
                f'并下载<a linktype="document" id="{document.pk}">学习材料</a>。</p>'
                f'<embed embedtype="image" id="{self.rng.choice(self.images).pk}" format="fullwidth" alt="插图"/>'
            )
            news.save_revision().publish()

    def op_set_cover(self) -> None:
        page = self.pick()
        page.cover = self.rng.choice(self.images)
        if isinstance(page, EBookPage) and self.rng.random() < 0.5:
            page.document = self.rng.choice(self.documents)
        page.save_revision().publish()

    def op_banner(self) -> None:
        """The editor points the front page's banner at any item, public or not, under a new title."""
        home = HomePage.objects.get()
        home.banner_title = f"专题 {self.marker()}"
        home.banner_page = self.pick()
        home.save_revision().publish()

    def op_activity(self) -> None:
        """An organiser creates or edits an activity, maybe district-only or pinned, whose tasks, place and replay
        point at any items, public or not (they may turn private later)."""
        page = self.pick("activity") if self.rng.random() < 0.5 else None
        if page is None:
            self.count += 1
            starts = timezone.now() + timedelta(days=self.rng.randint(-10, 10), minutes=self.count)
            page = ActivityPage(title="活动", slug=f"fuzz-activity-{self.count}", kind=ActivityPage.CAMPAIGN, starts_at=starts,
                                ends_at=starts + timedelta(days=3), live=False)
        page.district_only = self.rng.random() < 0.3
        page.pinned = self.rng.random() < 0.5
        page.place = self.pick("site")
        series = [p for p in VideoSeriesPage.objects.order_by("pk") if p.episodes.exists()]
        page.replay_page = self.rng.choice(series) if series and self.rng.random() < 0.7 else None
        page.replay_episode = 1 if page.replay_page else None
        others = [p for p in self.items() if not isinstance(p, ActivityPage)]
        page.tasks = [ActivityTask(item=item, sort_order=n) for n, item in enumerate(self.rng.sample(others, min(3, len(others))))]
        self.versioned(page)
        if page.pk is None:
            self.rng.choice(self.sections()).add_child(instance=page)
        revision = page.save_revision()
        if self.rng.random() < 0.8:
            revision.publish()

    def op_pin(self) -> None:
        """Pin or unpin an activity (the newest pinned public one is the front page's banner)."""
        page = self.pick("activity", live=True)
        if page:
            page.pinned = not page.pinned
            page.save_revision().publish()

    def move_one_of(self, documents: list) -> None:
        """An editor moves one of these processed files to another collection (restricted or not)."""
        if documents:
            document = self.rng.choice(documents)
            document.refresh_from_db()
            document.collection = self.rng.choice([*self.collections, Collection.get_first_root_node()])
            document.save()

    def op_move_readable(self) -> None:
        self.move_one_of(self.readable)

    def op_read_elsewhere(self) -> None:
        book = self.pick("ebook")
        if book is not None and self.readable:
            book.document = self.rng.choice(self.readable)
            revision = book.save_revision()
            if book.live:
                revision.publish()

    def op_move_playable(self) -> None:
        self.move_one_of(self.playable)

    def op_play_elsewhere(self) -> None:
        """An editor gives an episode of another series (video or audio, as the file is) one of the transcoded files."""
        document = self.rng.choice(self.playable) if self.playable else None
        if document is None:
            return
        is_audio = document.file.name.endswith(".mp3")
        model, field = (AudioSeriesPage, "audio_file") if is_audio else (VideoSeriesPage, "video_file")
        series = [page for page in model.objects.order_by("pk") if page.episodes.exists()]
        if series:
            page = self.rng.choice(series)
            episode = self.rng.choice(list(page.episodes.all()))
            setattr(episode, field, document)
            episode.save()
            revision = model.objects.get(pk=page.pk).save_revision()
            if page.live:
                revision.publish()

    OPERATIONS = {
        "publish": 6, "draft": 3, "unpublish": 3, "schedule": 2, "expire": 2, "time_passes": 1, "district_only": 3,
        "restrict_page": 3, "unrestrict_page": 3, "restrict_collection": 1, "unrestrict_collection": 1,
        "move_file": 2, "move": 3, "delete": 1, "create": 2, "relate": 3, "unrelate": 1, "link_in_body": 2, "set_cover": 2,
        "move_playable": 2, "play_elsewhere": 2,
        "move_readable": 2, "read_elsewhere": 2, "banner": 2, "activity": 3, "pin": 2,
    }

    def step(self) -> str:
        names = list(self.OPERATIONS)
        name = self.rng.choices(names, weights=[self.OPERATIONS[n] for n in names])[0]
        getattr(self, f"op_{name}")()
        self.report.operations[name] += 1
        return name

    # -- the worker -------------------------------------------------------------------------------------
    def drain(self, full: bool = False) -> None:
        """Run every queued task (rebuild, reindex) as `db_worker --backend queue` does, then the site is current."""
        from site_builder.tasks import rebuild_site

        if full:
            rebuild_site.enqueue(reason="fuzz: first build", full=True)
        call_command("db_worker", "--backend", "queue", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
        self.report.builds += 1
        # A rebuild or reindex that failed leaves the bucket or the index behind: that is a finding too.
        for failed in DBTaskResult.objects.filter(status="FAILED").exclude(pk__in=self.seen_failures):
            self.seen_failures.add(failed.pk)
            last_line = (failed.traceback.strip().splitlines() or [""])[-1]
            self.report.mismatches.append(f"task {failed.task_path} failed: {last_line}")

    # -- the oracle -------------------------------------------------------------------------------------
    def public_now(self) -> tuple[set[str], set[str]]:
        """(markers, file names) that are public now, decided here from the rows, not by the product's rule."""
        restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))
        public_pages = [
            p for p in self.items()
            if p.live and not p.district_only and not any(p.path.startswith(path) for path in restricted)
        ]
        self.public_paths = {page.site_path for page in public_pages}
        pinned = [page for page in public_pages if isinstance(page, ActivityPage) and page.pinned]
        self.banner_path = max(pinned, key=lambda page: (page.starts_at, page.pk)).site_path if pinned else None
        markers = set(MARKER.findall(HomePage.objects.get().banner_title))  # the banner's title is the editor's text
        for page in public_pages:
            markers |= set(MARKER.findall(page.title)) | set(MARKER.findall(page.summary))
        restricted_collections = set(CollectionViewRestriction.objects.values_list("collection_id", flat=True))
        files: set[str] = set()
        for page in public_pages:
            used = [page.cover_id, getattr(page, "document_id", None)]
            if isinstance(page, NewsPage):
                used += [int(i) for i in re.findall(r'(?:linktype="document"|embedtype="image") id="(\d+)"', page.body)]
            for media in self.images + self.documents:
                if media.pk in used:
                    media.refresh_from_db()
                    if media.collection_id not in restricted_collections:
                        files.add(FILE_MARKER.search(media.file.name)[0])
        return markers, files

    def private_now(self) -> tuple[set[str], set[str]]:
        markers, files = self.public_now()
        every_marker = {f"FZ{n:05d}Q" for n in range(1, self.count + 1)}
        every_file = {FILE_MARKER.search(m.file.name)[0] for m in self.images + self.documents}
        self.ever_public |= markers | files
        return every_marker - markers, every_file - files

    # -- the checks -------------------------------------------------------------------------------------
    def leak(self, where: str, text: str, private: set[str]) -> None:
        found = (set(MARKER.findall(text)) | set(FILE_MARKER.findall(text))) & private
        for name in sorted(found):
            self.report.leaks.append(f"{name} in {where}")

    def check(self) -> None:
        self.report.checks += 1
        markers, files = self.private_now()
        private = markers | files
        self.report.private_markers_checked += len(private)
        site = Path(settings.SITE_BUILD_DIR)
        built = {"/" + p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
        self.report.files_checked += len(built)
        for path, data in built.items():
            self.leak(f"site {path}", path + data.decode("utf-8", "replace"), private)
        self.check_readers(built)
        banner = re.search(r'<section class="banner".*?</section>', built["/index.html"].decode("utf-8"), re.S)
        hrefs = re.findall(r'href="([^"]*)"', banner[0] if banner else "")
        for href in hrefs:
            if href not in self.public_paths:
                self.report.leaks.append(f"the front page's banner links {href}, which is not public")
        if self.banner_path and self.banner_path not in hrefs:
            self.report.mismatches.append(f"the banner is not the newest pinned public activity {self.banner_path}: {hrefs}")
        self.check_episode_media(built)
        self.check_bucket(built, private)
        for endpoint in [f"pages/?type={t}&fields=*&limit=500" for t in ITEM_TYPES] + ["images/?limit=500", "documents/?limit=500"]:
            self.leak(f"api {endpoint}", self.get(f"/api/v2/{endpoint}"), private)
        self.leak("hot words", self.get("/api/hotwords/?with_results=1"), private)
        self.check_index(private)
        for name in sorted(markers & self.ever_public):
            self.leak(f"search {name}", self.get(f"/api/search/?q={name}"), private)
            self.leak(f"suggest {name}", self.get(f"/api/suggest/?q={name}"), private)
        self.check_members(markers)
        self.check_same_as_full_build(built)

    def check_members(self, private: set[str]) -> None:
        """Each member reads on /me/district/<id>/ exactly the live, unrestricted district-only items whose section is in
        their district (decided here from the tree, not the stored district), and no page of theirs shows a private
        marker other than those items'. Anonymous visitors are sent to the login form."""
        restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))
        items = self.items()
        for district_id, browser in self.members.items():
            readable = {
                page.pk: set(MARKER.findall(page.title)) | set(MARKER.findall(page.summary))
                for page in items
                if page.live and page.district_only and page.district_from_tree() == district_id
                and not any(page.path.startswith(path) for path in restricted)
            }
            hidden = private - set().union(*readable.values())
            listing = browser.get(f"{self.live_url}/me/district/", timeout=30)
            self.leak(f"/me/district/ of district {district_id}", listing.text, hidden)
            for page in items:
                path = f"/me/district/{page.pk}/"
                response = browser.get(self.live_url + path, timeout=30, allow_redirects=False)
                self.report.member_pages_checked += 1
                if page.pk in readable:
                    self.report.member_pages_readable += 1
                    if response.status_code != 200:
                        self.report.mismatches.append(f"{path} answers {response.status_code} to a member of its district")
                    self.leak(f"{path} for district {district_id}", response.text, hidden)
                elif response.status_code == 302 and response.headers["Location"] == page.site_path:
                    if page.site_path not in self.public_paths:
                        self.report.leaks.append(f"{path} sends a member of district {district_id} to private {page.site_path}")
                elif response.status_code != 404:
                    self.report.leaks.append(f"{path} answers {response.status_code} to a member of district {district_id}")
                else:
                    self.leak(f"{path} (404) for district {district_id}", response.text, hidden)
        anonymous = self.http.get(f"{self.live_url}/me/district/{items[0].pk}/", timeout=30, allow_redirects=False)
        if anonymous.status_code != 302 or not anonymous.headers["Location"].startswith("/me/login/"):
            self.report.leaks.append(f"/me/district/ answers {anonymous.status_code} to an anonymous visitor")

    def check_readers(self, built: dict[str, bytes]) -> None:
        """Reader pages exist only for public books and issues whose document is public and processed (decided here
        from the rows), and each of those has them."""
        restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))
        private_collections = set(CollectionViewRestriction.objects.values_list("collection_id", flat=True))
        readable = {document.pk for document in self.readable}

        def readable_now(document_id: int | None) -> bool:
            if document_id not in readable:
                return False
            return get_document_model().objects.get(pk=document_id).collection_id not in private_collections

        expected = set()
        for page in self.items():
            if not page.live or page.district_only or any(page.path.startswith(path) for path in restricted):
                continue
            if isinstance(page, EBookPage) and readable_now(page.document_id):
                expected.add(f"{page.site_path}read/")
            for issue in PeriodicalIssue.objects.filter(page_id=page.pk) if isinstance(page, PeriodicalPage) else []:
                if readable_now(issue.document_id):
                    expected.add(f"{issue.site_path}read/")
        found = {path[: path.index("/read/") + len("/read/")] for path in built if "/read/" in path}
        self.report.reader_files_checked += sum(1 for path in built if "/read/" in path)
        self.report.leaks += [f"reader pages of a private book or document: {base}" for base in sorted(found - expected)]
        self.report.mismatches += [f"no reader pages for {base}" for base in sorted(expected - found)]

    def check_episode_media(self, built: dict[str, bytes]) -> None:
        """Built files name a transcoded file's renditions (/media/transcodes/<document>/…) only while a public series
        plays it and its collection is unrestricted (decided here from the rows), and then they do."""
        restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))
        private_collections = set(CollectionViewRestriction.objects.values_list("collection_id", flat=True))
        playable = {document.pk for document in self.playable}
        expected = set()
        for page in self.items():
            if not isinstance(page, VideoSeriesPage | AudioSeriesPage) or not page.live or page.district_only:
                continue
            if any(page.path.startswith(path) for path in restricted):
                continue
            for episode in page.episodes.all():
                document_id = getattr(episode, "video_file_id", None) or getattr(episode, "audio_file_id", None)
                if document_id in playable and get_document_model().objects.get(pk=document_id).collection_id not in private_collections:
                    expected.add(document_id)
        named = [int(found) for path, data in built.items() for found in re.findall(rb"/media/transcodes/(\d+)/", path.encode() + data)]
        self.report.episode_media_checked += len(named)
        self.report.leaks += [f"renditions of a private episode file: document {pk}" for pk in sorted(set(named) - expected)]
        self.report.mismatches += [f"no renditions shown for document {pk}" for pk in sorted(expected - set(named))]

    def get(self, path: str) -> str:
        response = self.http.get(self.live_url + path, timeout=30)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        return response.text

    def check_bucket(self, built: dict[str, bytes], private: set[str]) -> None:
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys += [obj["Key"] for obj in page.get("Contents", [])]
        self.report.objects_checked += len(keys)
        for key in keys:
            obj = self.s3.get_object(Bucket=self.bucket, Key=key)
            body = obj["Body"].read()
            if obj.get("ContentEncoding") == "gzip":
                body = gzip.decompress(body)
            self.leak(f"bucket {key}", key + body.decode("utf-8", "replace"), private)
            if built.get("/" + key) != body:
                self.report.mismatches.append(f"bucket object {key} differs from the built file")
        missing = {path.lstrip("/") for path in built} - set(keys)
        self.report.mismatches += [f"bucket lacks {key}" for key in sorted(missing)]

    def check_index(self, private: set[str]) -> None:
        from whoosh import index as whoosh_index

        generation = current_generation(Path(settings.SEARCH_INDEX_DIR))
        ix = whoosh_index.open_dir(str(generation))
        with ix.searcher() as searcher:
            stored = json.dumps(list(searcher.all_stored_fields()), ensure_ascii=False, default=str)
        self.leak("search index", stored, private)

    def check_same_as_full_build(self, built: dict[str, bytes]) -> None:
        out = self.scratch / f"full-{self.report.checks}"
        build_site(settings.CMS_API_URL, out, config=cms_site_config(), full=True)
        full = {"/" + p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        if built.keys() != full.keys():
            self.report.mismatches.append(f"paths differ: {sorted(built.keys() ^ full.keys())[:5]}")
        for path in full:
            if path in built and built[path] != full[path]:
                # Where they part, so a rare mismatch can be told apart afterwards (the run's JSON report keeps it).
                lines = zip(built[path].decode("utf-8", "replace").splitlines(), full[path].decode("utf-8", "replace").splitlines(), strict=False)
                first = next(((a, b) for a, b in lines if a != b), ("", ""))
                self.report.mismatches.append(f"{path} differs from a full build: {first[0][:300]!r} ≠ {first[1][:300]!r}")

    # -- the run ----------------------------------------------------------------------------------------
    def run(self, operations: int, build_every: int) -> Report:
        started = time.monotonic()
        self.set_up()
        self.check()
        for n in range(1, operations + 1):
            self.step()
            if n % build_every == 0 or n == operations:
                self.drain()
                self.check()
        self.report.seconds = time.monotonic() - started
        return self.report
