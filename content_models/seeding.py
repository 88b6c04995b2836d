"""Creates the demo catalogue at a given scale: deterministic, idempotent, fast enough for the seed's figures."""

import io
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from . import demo_data as data
from .pages import (
    EBookPage,
    HomePage,
    LibraryItemPage,
    MapSitePage,
    NewsPage,
    PeriodicalIssue,
    PeriodicalPage,
    SectionPage,
    SiteRelatedLink,
    VideoEpisode,
    VideoSeriesPage,
)
from .taxonomy import Column, District
from .workspaces import ensure_city_workspace

BATCH = 50  # pages per transaction: few fsyncs on SQLite, short locks on PostgreSQL
PALETTE = ["#8B0000", "#B22222", "#A0522D", "#7B1F1F", "#9C2A00", "#5C3317", "#8E1B1B", "#6B2D2D"]


def cover_image_bytes(index: int) -> bytes:
    """A small 240×320 cover: a dark red field, a gold band and a star-like mark, varied by index."""
    rng = random.Random(index)
    image = PILImage.new("RGB", (240, 320), PALETTE[index % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    band = rng.randint(40, 220)
    draw.rectangle([0, band, 240, band + 18], fill="#D4A017")
    cx, cy, r = rng.randint(60, 180), rng.randint(40, 120), rng.randint(14, 30)
    draw.regular_polygon((cx, cy, r), n_sides=5, rotation=rng.randint(0, 72), fill="#FFD700")
    for line in range(rng.randint(2, 5)):
        y = 250 + line * 12
        draw.rectangle([30, y, 30 + rng.randint(80, 180), y + 4], fill="#F5DEB3")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def ensure_covers(count: int) -> list[Image]:
    collection = Collection.objects.filter(name="演示封面").first() or Collection.get_first_root_node().add_child(name="演示封面")
    existing = {img.title: img for img in Image.objects.filter(collection=collection)}
    covers = []
    for index in range(count):
        title = f"演示封面 {index + 1:02d}"
        if title not in existing:
            image = Image(title=title, collection=collection)
            image.file = ImageFile(io.BytesIO(cover_image_bytes(index)), name=f"demo-cover-{index + 1:02d}.png")
            image.save()
            existing[title] = image
        covers.append(existing[title])
    return covers


def ensure_districts() -> list[District]:
    districts = []
    for order, (name, slug, lat, lng) in enumerate(data.DISTRICTS, start=1):
        district = District.objects.filter(slug=slug).first()
        if district is None:
            district = District.objects.create(name=name, slug=slug, order=order, latitude=lat, longitude=lng)
        districts.append(district)
    return districts


class Seeder:
    """Builds each type's items; `plan_*` methods yield (slug, parent section, unsaved page, publish?)."""

    def __init__(self, scale: data.Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.city = ensure_city_workspace()
        self.districts = ensure_districts()
        self.sections = {d.pk: SectionPage.objects.get(district=d) for d in self.districts}
        self.columns = list(Column.objects.order_by("order"))
        self.covers = ensure_covers(scale.covers)

    # -- helpers -------------------------------------------------------------
    def section_for(self, index: int) -> SectionPage:
        """About a third of the catalogue belongs to a district, the rest is city-wide."""
        if index % 3 == 2:
            return self.sections[self.districts[index % len(self.districts)].pk]
        return self.city

    def columns_for(self, index: int) -> list[Column]:
        first = self.columns[index % len(self.columns)]
        second = self.columns[(index * 3 + 1) % len(self.columns)]
        return [first] if first == second or index % 2 else [first, second]

    def cover(self, index: int):
        """A demo image for every third item; the others show the cover the builder draws from their title."""
        return self.covers[(index // 3) % len(self.covers)] if index % 3 == 0 else None

    # -- plans -----------------------------------------------------------------
    def plan_ebooks(self) -> Iterator[tuple]:
        rng = self.rng
        for i in range(self.scale.ebooks):
            topic = data.BOOK_TOPICS[i % len(data.BOOK_TOPICS)]
            form = data.BOOK_FORMS[(i // len(data.BOOK_TOPICS)) % len(data.BOOK_FORMS)]
            page = EBookPage(
                title=f"{topic}{form}", slug=f"ebook-{i + 1:04d}", summary=data.summary(rng, topic),
                authors=data.people(rng), publisher=rng.choice(data.PUBLISHERS), year=rng.randint(1995, 2024),
                isbn=data.isbn13(i + 1), page_count=rng.randint(120, 520), cover=self.cover(i),
                reader_url=f"https://reader.example.cn/book/{i + 1:04d}",
            )
            # The last book of a run stays a draft, so every catalogue shows one.
            yield page, self.section_for(i), self.columns_for(i), [topic], i != self.scale.ebooks - 1

    def plan_periodicals(self) -> Iterator[tuple]:
        rng = self.rng
        low, high = self.scale.issues_per_periodical
        for i in range(self.scale.periodicals):
            prefix = data.PERIODICAL_PREFIXES[i % len(data.PERIODICAL_PREFIXES)]
            kind = data.PERIODICAL_KINDS[(i // len(data.PERIODICAL_PREFIXES)) % len(data.PERIODICAL_KINDS)]
            page = PeriodicalPage(
                title=f"{prefix}{kind}", slug=f"periodical-{i + 1:04d}",
                summary=f"《{prefix}{kind}》是面向基层党员的{kind}类刊物，及时传达党的声音，交流基层党建经验。",
                publisher=f"中共{rng.choice(['吉林省委', '长春市委', '吉林省委组织部', '长春市委宣传部'])}",
                issn=data.issn(i + 1), cn_number=f"CN 22-{1000 + i:04d}/D", frequency=rng.choice(data.FREQUENCIES),
                cover=self.cover(i),
            )
            for n in range(rng.randint(low, high)):
                year, number = 2024 - n // 12, 12 - n % 12
                page.issues.add(PeriodicalIssue(
                    year=year, number=number, date=date(year, number, 1), cover=self.cover(i + n),
                    table_of_contents="\n".join(
                        f"{rng.choice(data.BOOK_TOPICS)}的{rng.choice(data.EPISODE_TOPICS)}" for _ in range(5)
                    ),
                    url=f"https://reader.example.cn/periodical/{i + 1:04d}/{year}-{number:02d}",
                ))
            yield page, self.section_for(i), self.columns_for(i), [kind], True

    def plan_series(self) -> Iterator[tuple]:
        rng = self.rng
        counts = data.split_evenly(self.scale.episodes, self.scale.series, random.Random(7))
        for i in range(self.scale.series):
            topic = data.BOOK_TOPICS[(i * 7) % len(data.BOOK_TOPICS)]
            form = data.SERIES_FORMS[i % len(data.SERIES_FORMS)]
            presenter = data.person(rng)
            page = VideoSeriesPage(
                title=f"{topic}{form}" + (f"（第{i // 400 + 1}季）" if i >= 400 else ""),
                slug=f"series-{i + 1:04d}", code=f"SP{i + 1:04d}",
                summary=f"{presenter}主讲，分{counts[i]}集讲述{topic}。", presenter=presenter,
                producer="长春社区大学", cover=self.cover(i),
            )
            for n in range(1, counts[i] + 1):
                subject = data.EPISODE_TOPICS[(i + n) % len(data.EPISODE_TOPICS)]
                page.episodes.add(VideoEpisode(
                    number=n, title=f"第{n}集 {topic}的{subject}", duration_seconds=rng.randint(300, 2400),
                    video_url=f"https://video.example.cn/{i + 1:04d}/{n:02d}.mp4",
                    transcript=f"同志们好！今天我们学习{topic}的{subject}。" * 3,
                ))
            yield page, self.section_for(i), self.columns_for(i), [topic], True

    def plan_sites(self) -> Iterator[tuple]:
        rng = self.rng
        for i in range(self.scale.sites):
            district = self.districts[i % len(self.districts)]
            _, _, lat, lng = data.DISTRICTS[i % len(data.DISTRICTS)]
            kind = data.SITE_KINDS[(i // len(self.districts)) % len(data.SITE_KINDS)]
            names = data.SITE_NAMES[kind]
            name = f"{district.name}{names[(i // 7) % len(names)]}"
            if i >= len(self.districts) * len(data.SITE_KINDS):
                name += f"（{i // (len(self.districts) * len(data.SITE_KINDS)) + 1}号点）"
            page = MapSitePage(
                title=name, slug=f"site-{i + 1:04d}", kind=kind,
                summary=f"{name}是{district.name}重要的{kind}，常年面向党员群众开放，开展党史学习教育。",
                address=f"吉林省长春市{district.name}{rng.choice(data.ROADS)}{rng.randint(1, 3999)}号",
                latitude=data.jitter(rng, lat), longitude=data.jitter(rng, lng),
                opening_hours="周二至周日 9:00—16:30（周一闭馆）", phone=f"0431-8{rng.randint(1000000, 9999999)}",
                cover=self.cover(i),
            )
            yield page, self.sections[district.pk], self.columns_for(i), [kind], True

    def plan_news(self) -> Iterator[tuple]:
        rng = self.rng
        for i in range(self.scale.news):
            district = self.districts[i % len(self.districts)]
            action = data.NEWS_ACTIONS[i % len(data.NEWS_ACTIONS)]
            day = date(2024, 12, 31) - timedelta(days=i * 3)
            # Every tenth item is for its district only: it must never reach the public site.
            district_only = i % 10 == 1
            page = NewsPage(
                title=f"{district.name}{action}" + ("（内部通知）" if district_only else ""),
                slug=f"news-{i + 1:04d}", date=day, source=f"{district.name}委组织部", district_only=district_only,
                summary=f"{day.month}月{day.day}日，{district.name}{action}，{rng.randint(30, 300)}余名党员参加。",
                body=(
                    f"<p>{day.year}年{day.month}月{day.day}日，{district.name}{action}。</p>"
                    f"<p>活动中，老党员们结合亲身经历，讲述了{rng.choice(data.BOOK_TOPICS)}的感人故事。"
                    "大家表示，要以史为鉴、开创未来，深入学习贯彻习近平新时代中国特色社会主义思想，"
                    "把学习成果转化为服务群众的实际行动。</p>"
                ),
                cover=self.cover(i),
            )
            yield page, self.sections[district.pk], [self.columns[0]], ["基层动态"], True

    # -- creation --------------------------------------------------------------
    def create(self, plan: Iterator[tuple], existing: set[str], advance: Callable[[int], None]) -> int:
        created = 0
        batch: list[tuple] = []
        for entry in plan:
            page = entry[0]
            if page.slug in existing:
                advance(1)
                continue
            batch.append(entry)
            if len(batch) >= BATCH:
                created += self.save_batch(batch)
                advance(len(batch))
                batch = []
        if batch:
            created += self.save_batch(batch)
            advance(len(batch))
        return created

    @transaction.atomic
    def save_batch(self, batch: list[tuple]) -> int:
        for page, section, columns, tags, publish in batch:
            page.columns = columns
            page.tags.add(*tags)
            page.live = False  # live only once its revision is published
            section.add_child(instance=page)
            revision = page.save_revision(log_action=True)
            if publish:
                revision.publish(log_action=True)
        return len(batch)


def seed(scale_name: str, seed_value: int = 2021, progress: Callable[[str, int], Callable[[int], None]] | None = None) -> dict[str, int]:
    """Create whatever of the demo catalogue is missing; returns the number created per type."""
    scale = data.SCALES[scale_name]
    seeder = Seeder(scale, seed_value)
    existing = set(LibraryItemPage.objects.values_list("slug", flat=True))
    plans = {
        "ebooks": (seeder.plan_ebooks, scale.ebooks),
        "periodicals": (seeder.plan_periodicals, scale.periodicals),
        "series": (seeder.plan_series, scale.series),
        "sites": (seeder.plan_sites, scale.sites),
        "news": (seeder.plan_news, scale.news),
    }
    created = {}
    for name, (plan, total) in plans.items():
        advance = progress(name, total) if progress else (lambda n: None)
        created[name] = seeder.create(plan(), existing, advance)
    if RESTRICTED_SLUG not in existing:
        add_privacy_cases(seeder)
    from transcoding.demo import add_demo_media  # a generated video and audio talk, transcoded

    created["media"] = add_demo_media(seeder.city, seeder.columns_for(0))
    from reading.demo import add_demo_documents  # generated PDFs/EPUB on a few items, with their reader pages

    created["documents"] = add_demo_documents()
    from activities.demo import add_demo_activities  # issue 13's activities: an essay call, a lecture, a live talk…

    created["activities"] = add_demo_activities()
    add_banner()
    return created


def add_banner() -> None:
    """The front page's banner, pointing at the newest public news, unless an editor has set one already."""
    home = HomePage.objects.first()
    news = NewsPage.objects.live().filter(district_only=False, view_restrictions__isnull=True).order_by("-date", "pk").first()
    if home is None or home.banner_title or news is None:
        return
    home.banner_title = "党史学习教育专题"
    home.banner_text = "学党史、悟思想、办实事、开新局：本月新上架的图书、视频和红色地标，点这里开始学习。"
    home.banner_page = news
    home.save_revision().publish()


RESTRICTED_SLUG = "news-restricted"


@transaction.atomic
def add_privacy_cases(seeder: Seeder) -> None:
    """What editors do that must never leak, present in every catalogue so tests and the demo exercise it:
    a password-protected news item whose cover sits in a login-only collection, moved between districts
    after publishing; and map sites whose 相关资源 point at public, draft, district-only and protected items."""
    internal = Collection.objects.filter(name="内部资料").first() or Collection.get_first_root_node().add_child(name="内部资料")
    CollectionViewRestriction.objects.get_or_create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    cover = Image(title="内部资料封面", collection=internal)
    cover.file = ImageFile(io.BytesIO(cover_image_bytes(99)), name="internal-cover.png")
    cover.save()
    first, second = seeder.districts[0], seeder.districts[1 % len(seeder.districts)]
    news = NewsPage(
        title="支部书记内部学习资料（凭密码阅读）", slug=RESTRICTED_SLUG, date=date(2024, 12, 1), source="市委组织部",
        summary="仅供支部书记学习的内部资料。", body="<p>本资料仅供支部书记内部学习，请勿外传。</p>", cover=cover,
    )
    seeder.save_batch([(news, seeder.sections[first.pk], [seeder.columns[0]], ["内部资料"], True)])
    PageViewRestriction.objects.create(page=news, restriction_type=PageViewRestriction.PASSWORD, password="dangshi-2021")
    news.move(seeder.sections[second.pk], pos="last-child")  # an editor moved it to another district's section

    books = list(EBookPage.objects.live().filter(district_only=False).order_by("pk"))
    hidden = [news, *EBookPage.objects.filter(live=False).order_by("pk")[:1], *NewsPage.objects.filter(district_only=True)[:1]]
    for index, site in enumerate(MapSitePage.objects.live().order_by("pk")):
        related = books[index % len(books): index % len(books) + 1] + hidden if books else hidden
        site.related_links = [SiteRelatedLink(related=page, sort_order=n) for n, page in enumerate(related)]
        site.save_revision().publish()
