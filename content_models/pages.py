"""The page tree: home → sections (全市 or one 县市区) → catalogue items.

Every item page is headless: its public URL is on the static site (`site_path`), the CMS only
serves the admin, the API and previews. District editors get page permissions on their own
section only, which is what keeps them inside their district.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_headless_preview.models import HeadlessPreviewMixin

from .forms import LibraryItemForm
from .serializers import (
    AudioEpisodeSerializer,
    CoverSerializer,
    DocumentSerializer,
    EpisodeSerializer,
    IssueSerializer,
    NamedSlugSerializer,
    RichTextHTMLField,
    SitePhotoSerializer,
    TagNamesField,
)
from .taxonomy import Column, District
from .validators import (
    normalize_cn,
    normalize_isbn,
    normalize_issn,
    validate_cn,
    validate_isbn,
    validate_issn,
    validate_latitude,
    validate_longitude,
)
from .visibility import public_page_ids

IMAGE_MODEL = "wagtailimages.Image"
DOCUMENT_MODEL = "content_models.LibraryDocument"


class StaticSiteURLMixin:
    """Report the page's URL on the static site, so "view live" and rich-text links point there."""

    def get_site_path(self) -> str:
        raise NotImplementedError

    @property
    def site_path(self) -> str:
        return self.get_site_path()

    def get_url_parts(self, request=None):
        possible_sites = self._get_relevant_site_root_paths(request)
        if not possible_sites:
            return None
        return (possible_sites[0][0], settings.PUBLIC_SITE_URL, self.get_site_path())


class HomePage(StaticSiteURLMixin, Page):
    """The root of the library; holds one section per district plus the city-wide one, and the front page's banner."""

    banner_title = models.CharField("横幅标题", max_length=40, blank=True, help_text="留空则首页不显示横幅。")
    banner_text = models.CharField("横幅说明", max_length=120, blank=True)
    banner_page = models.ForeignKey(
        "content_models.LibraryItemPage", verbose_name="横幅链接的资源", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", help_text="资源不公开时横幅不显示链接。",
    )
    banner_url = models.URLField("横幅链接地址", blank=True, help_text="活动等其他地址；选了资源时以资源为准。")

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("banner_title"), FieldPanel("banner_text"), PageChooserPanel("banner_page"), FieldPanel("banner_url")],
            heading="首页横幅",
        ),
    ]
    subpage_types = ["content_models.SectionPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = verbose_name_plural = "资源库首页"

    def get_site_path(self) -> str:
        return "/"


class SectionPage(StaticSiteURLMixin, Page):
    """A folder of items: city-wide (no district) or one district's, with that district's editors."""

    district = models.OneToOneField(
        District, verbose_name="县市区", null=True, blank=True, on_delete=models.PROTECT,
        related_name="section", help_text="留空表示全市内容。",
    )

    content_panels = Page.content_panels + [FieldPanel("district")]
    parent_page_types = ["content_models.HomePage"]
    subpage_types = [
        "content_models.EBookPage",
        "content_models.PeriodicalPage",
        "content_models.VideoSeriesPage",
        "content_models.AudioSeriesPage",
        "content_models.MapSitePage",
        "content_models.NewsPage",
        "activities.ActivityPage",
    ]

    class Meta:
        verbose_name = verbose_name_plural = "内容分区"

    def get_site_path(self) -> str:
        return f"/districts/{self.district.slug}/" if self.district_id else "/"


class ItemTag(TaggedItemBase):
    content_object = ParentalKey("content_models.LibraryItemPage", related_name="tagged_items", on_delete=models.CASCADE)

    class Meta:
        verbose_name = verbose_name_plural = "资源标签"


class LibraryItemPage(StaticSiteURLMixin, HeadlessPreviewMixin, Page):
    """What every catalogue item shares: summary, cover, columns, district, tags, visibility."""

    item_type = ""  # set by each concrete type; used in URLs, the API and the search index

    summary = models.TextField("简介", blank=True)
    cover = models.ForeignKey(
        IMAGE_MODEL, verbose_name="封面", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    columns = ParentalManyToManyField(Column, verbose_name="栏目", related_name="items")
    district = models.ForeignKey(
        District, verbose_name="县市区", null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="items", help_text="由所在分区决定。",
    )
    district_only = models.BooleanField(
        "仅限本县市区", default=False, help_text="勾选后不在公开网站、订阅、站点地图和搜索中出现。"
    )
    tags = ClusterTaggableManager("标签", through=ItemTag, blank=True)

    parent_page_types = ["content_models.SectionPage"]
    subpage_types: list[str] = []
    is_creatable = False
    base_form_class = LibraryItemForm
    api_prefetch: tuple[str, ...] = ()  # related rows the API serialises, fetched in bulk
    listing_prefetch: tuple[str, ...] = ()  # related rows the cheap listing (fields=_,…) needs, fetched in bulk

    common_panels = [
        FieldPanel("summary"),
        FieldPanel("cover"),
        FieldPanel("columns", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
        FieldPanel("district_only"),
    ]

    search_fields = Page.search_fields + [index.SearchField("summary")]

    api_fields = [
        APIField("item_type"),
        APIField("site_path"),
        APIField("summary"),
        APIField("cover", serializer=CoverSerializer(allow_null=True)),
        APIField("columns", serializer=NamedSlugSerializer(many=True)),
        APIField("district", serializer=NamedSlugSerializer(allow_null=True)),
        APIField("tags", serializer=TagNamesField(read_only=True)),
        APIField("last_published_at"),
        APIField("related_ids"),
        APIField("media_revision"),
        APIField("reading_revision"),
    ]

    class Meta:
        verbose_name = verbose_name_plural = "资源"

    def reading_document_ids(self) -> list[int]:
        """The item's documents that may have page-by-page reader pages (reading/): none for most types."""
        return []

    @property
    def reading_revision(self) -> str:
        """Changes when the reader pages of the item's documents appear, change or go ("" for none): a builder
        refetches the item then, though nothing was published."""
        from reading.public import reading_revision

        return reading_revision(self)

    @property
    def media_revision(self) -> str:
        """Changes when the light video/audio renditions of the item's files change ("" for types without any):
        a builder refetches the item then, though nothing was published."""
        return ""

    @property
    def related_ids(self) -> list[int]:
        """Ids of the public items this one shows (none for most types): a builder refetches it when they change."""
        return []

    url_prefix = "items"

    def get_site_path(self) -> str:
        return f"/{self.url_prefix}/{self.pk}/"

    def district_from_tree(self) -> int | None:
        """The district of the section this page sits in (None for 全市): the tree decides, nothing stored."""
        section = SectionPage.objects.ancestor_of(self).first() if self.path else None
        return section.district_id if section else None

    def save(self, *args, **kwargs):
        self.district_id = self.district_from_tree()
        return super().save(*args, **kwargs)


class EBookPage(LibraryItemPage):
    """电子图书: a book as a PDF/EPUB document and/or a link to an online reader."""

    item_type = "ebook"
    url_prefix = "books"

    authors = models.CharField("作者", max_length=200, blank=True, help_text="多位作者用顿号“、”分隔。")
    publisher = models.CharField("出版社", max_length=100, blank=True)
    year = models.PositiveSmallIntegerField("出版年份", null=True, blank=True)
    isbn = models.CharField("ISBN", max_length=20, blank=True, validators=[validate_isbn])
    page_count = models.PositiveIntegerField("页数", null=True, blank=True)
    document = models.ForeignKey(
        DOCUMENT_MODEL, verbose_name="电子书文件", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="PDF 或 EPUB。",
    )
    reader_url = models.URLField("在线阅读地址", blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("authors"),
                FieldRowPanel([FieldPanel("publisher"), FieldPanel("year")]),
                FieldRowPanel([FieldPanel("isbn"), FieldPanel("page_count")]),
            ],
            heading="书目信息",
        ),
        MultiFieldPanel([FieldPanel("document"), FieldPanel("reader_url")], heading="阅读方式"),
    ] + LibraryItemPage.common_panels

    search_fields = LibraryItemPage.search_fields + [index.SearchField("authors"), index.FilterField("isbn")]
    input_normalizers = {"isbn": normalize_isbn}
    api_prefetch = ("document",)

    api_fields = LibraryItemPage.api_fields + [
        APIField("authors"),
        APIField("publisher"),
        APIField("year"),
        APIField("isbn"),
        APIField("page_count"),
        APIField("document", serializer=DocumentSerializer(allow_null=True)),
        APIField("reader_url"),
        APIField("reading"),
    ]

    class Meta:
        verbose_name = "电子图书"
        verbose_name_plural = "电子图书"
        constraints = [
            models.UniqueConstraint(
                fields=["isbn"], condition=~models.Q(isbn=""), name="unique_ebook_isbn",
                violation_error_message="已有使用该 ISBN 的电子图书。",
            )
        ]

    def reading_document_ids(self) -> list[int]:
        return [self.document_id] if self.document_id else []

    @property
    def reading(self) -> dict | None:
        """The book's page-by-page reader (reading/): None without a document, or while it is private or unprocessed."""
        from reading.public import reading_of

        return reading_of(self, self.document_id)

    def clean(self) -> None:
        super().clean()
        if not self.document_id and not self.reader_url:
            raise ValidationError({"reader_url": "请上传电子书文件或填写在线阅读地址（至少一项）。"})


class PeriodicalPage(LibraryItemPage):
    """党刊: a periodical with its issues (期)."""

    item_type = "periodical"
    url_prefix = "periodicals"
    FREQUENCIES = [(f, f) for f in ("周刊", "旬刊", "半月刊", "月刊", "双月刊", "季刊", "半年刊", "年刊")]

    publisher = models.CharField("主办单位", max_length=100, blank=True)
    issn = models.CharField("ISSN", max_length=12, blank=True, validators=[validate_issn])
    cn_number = models.CharField("CN 刊号", max_length=20, blank=True, validators=[validate_cn])
    frequency = models.CharField("刊期", max_length=10, choices=FREQUENCIES, default="月刊")

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("publisher"),
                FieldRowPanel([FieldPanel("issn"), FieldPanel("cn_number"), FieldPanel("frequency")]),
            ],
            heading="刊物信息",
        ),
    ] + LibraryItemPage.common_panels + [InlinePanel("issues", label="期", heading="各期")]

    input_normalizers = {"issn": normalize_issn, "cn_number": normalize_cn}
    api_prefetch = ("issues__cover__renditions", "issues__document")
    unique_child_rows = {"issues": (("year", "number"), "{year}年第{number}期重复：同一刊物中每期的年份和期号不能相同。")}

    api_fields = LibraryItemPage.api_fields + [
        APIField("publisher"),
        APIField("issn"),
        APIField("cn_number"),
        APIField("frequency"),
        APIField("issues", serializer=IssueSerializer(many=True)),
    ]

    class Meta:
        verbose_name = "党刊"
        verbose_name_plural = "党刊"
        constraints = [
            models.UniqueConstraint(
                fields=["issn"], condition=~models.Q(issn=""), name="unique_periodical_issn",
                violation_error_message="已有使用该 ISSN 的党刊。",
            )
        ]

    def reading_document_ids(self) -> list[int]:
        return [issue.document_id for issue in self.issues.all() if issue.document_id]


class PeriodicalIssue(models.Model):
    """One issue (期) of a periodical; (year, number) is unique within it."""

    page = ParentalKey(PeriodicalPage, on_delete=models.CASCADE, related_name="issues")
    year = models.PositiveSmallIntegerField("年份")
    number = models.PositiveSmallIntegerField("期号")
    date = models.DateField("出版日期", null=True, blank=True)
    cover = models.ForeignKey(IMAGE_MODEL, verbose_name="封面", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    table_of_contents = models.TextField("目录", blank=True, help_text="每行一篇文章。")
    document = models.ForeignKey(DOCUMENT_MODEL, verbose_name="文件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    url = models.URLField("在线阅读地址", blank=True)

    panels = [
        FieldRowPanel([FieldPanel("year"), FieldPanel("number"), FieldPanel("date")]),
        FieldPanel("cover"),
        FieldPanel("table_of_contents"),
        FieldRowPanel([FieldPanel("document"), FieldPanel("url")]),
    ]

    class Meta:
        verbose_name = verbose_name_plural = "期"
        ordering = ["-year", "-number"]
        unique_together = [("page", "year", "number")]

    def __str__(self) -> str:
        return f"{self.year}年第{self.number}期"

    @property
    def site_path(self) -> str:
        return f"/periodicals/{self.page_id}/{self.year}-{self.number:02d}/"

    @property
    def reading(self) -> dict | None:
        """The issue's page-by-page reader (reading/), or None (see EBookPage.reading)."""
        from reading.public import reading_of

        return reading_of(self, self.document_id)


class EpisodeSeries:
    """The panels and API fields of a series of episodes (专题视频, 音频): its code, presenter, producer and 各集.
    The fields stay in each page: `code` has its own help text and unique message (in the migrations), and a model
    base class first among the page's bases would make ruff (DJ008) ask each page for a `__str__` Page already has."""

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("code"), FieldPanel("presenter"), FieldPanel("producer")]),
    ] + LibraryItemPage.common_panels + [InlinePanel("episodes", label="集", heading="各集")]
    search_fields = LibraryItemPage.search_fields + [index.SearchField("presenter")]
    series_api_fields = LibraryItemPage.api_fields + [APIField("code"), APIField("presenter"), APIField("producer")]


class Episode(models.Model):
    """One episode (集); its number is unique within the series and sets the order. A subclass adds its `page`,
    its media fields (`<media>_url`, `<media>_file`) and names them: medium ("video"), kind ("视频") and the site's url_prefix."""

    medium = kind = url_prefix = ""

    number = models.PositiveSmallIntegerField("集数")
    title = models.CharField("标题", max_length=200)
    duration_seconds = models.PositiveIntegerField("时长（秒）", default=0)
    transcript = models.TextField("文字稿", blank=True)

    class Meta:
        abstract = True
        verbose_name = verbose_name_plural = "集"
        ordering = ["number"]
        unique_together = [("page", "number")]

    def __str__(self) -> str:
        return f"第{self.number}集 {self.title}"

    @property
    def site_path(self) -> str:
        return f"/{self.url_prefix}/{self.page_id}/{self.number}/"

    def clean(self) -> None:
        if not getattr(self, f"{self.medium}_url") and not getattr(self, f"{self.medium}_file_id"):
            raise ValidationError({f"{self.medium}_url": f"请填写{self.kind}地址或上传{self.kind}文件（至少一项）。"})


class VideoSeriesPage(EpisodeSeries, LibraryItemPage):
    """专题视频: a series with ordered episodes (集)."""

    item_type = "series"
    url_prefix = "videos"

    code = models.CharField(
        "系列编号", max_length=30, unique=True, help_text="导入时识别系列用，如 SP0001。",
        error_messages={"unique": "已有使用该编号的专题视频。"},
    )
    presenter = models.CharField("主讲人", max_length=100, blank=True)
    producer = models.CharField("出品单位", max_length=100, blank=True)

    api_prefetch = ("episodes__poster__renditions", "episodes__video_file__transcode")
    listing_prefetch = ("episodes__video_file__transcode",)
    unique_child_rows = {"episodes": (("number",), "第{number}集的集数重复：同一专题中每集的集数不能相同。")}

    api_fields = EpisodeSeries.series_api_fields + [APIField("episodes", serializer=EpisodeSerializer(many=True))]

    class Meta:
        verbose_name = "专题视频"
        verbose_name_plural = "专题视频"

    @property
    def media_revision(self) -> str:
        from transcoding.api import media_revision

        return media_revision(episode.video_file for episode in self.episodes.all())


class VideoEpisode(Episode):
    """One video episode (集)."""

    medium, kind, url_prefix = "video", "视频", "videos"

    page = ParentalKey(VideoSeriesPage, on_delete=models.CASCADE, related_name="episodes")
    video_url = models.URLField("视频地址", blank=True)
    video_file = models.ForeignKey(DOCUMENT_MODEL, verbose_name="视频文件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    poster = models.ForeignKey(IMAGE_MODEL, verbose_name="海报", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    panels = [
        FieldRowPanel([FieldPanel("number"), FieldPanel("title"), FieldPanel("duration_seconds")]),
        FieldRowPanel([FieldPanel("video_url"), FieldPanel("video_file")]),
        FieldPanel("poster"),
        FieldPanel("transcript"),
    ]


class AudioSeriesPage(EpisodeSeries, LibraryItemPage):
    """音频: talks and broadcasts as a series of episodes (集), shown and played like video episodes."""

    item_type = "audio"
    url_prefix = "audio"

    code = models.CharField(
        "系列编号", max_length=30, unique=True, help_text="识别系列用，如 YP0001。",
        error_messages={"unique": "已有使用该编号的音频。"},
    )
    presenter = models.CharField("主讲人", max_length=100, blank=True)
    producer = models.CharField("出品单位", max_length=100, blank=True)

    api_prefetch = ("episodes__audio_file__transcode",)
    listing_prefetch = api_prefetch
    unique_child_rows = {"episodes": (("number",), "第{number}集的集数重复：同一音频中每集的集数不能相同。")}

    api_fields = EpisodeSeries.series_api_fields + [APIField("episodes", serializer=AudioEpisodeSerializer(many=True))]

    class Meta:
        verbose_name = "音频"
        verbose_name_plural = "音频"

    @property
    def media_revision(self) -> str:
        from transcoding.api import media_revision

        return media_revision(episode.audio_file for episode in self.episodes.all())


class AudioEpisode(Episode):
    """One audio episode (集)."""

    medium, kind, url_prefix = "audio", "音频", "audio"

    page = ParentalKey(AudioSeriesPage, on_delete=models.CASCADE, related_name="episodes")
    audio_url = models.URLField("音频地址", blank=True)
    audio_file = models.ForeignKey(DOCUMENT_MODEL, verbose_name="音频文件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    panels = [
        FieldRowPanel([FieldPanel("number"), FieldPanel("title"), FieldPanel("duration_seconds")]),
        FieldRowPanel([FieldPanel("audio_url"), FieldPanel("audio_file")]),
        FieldPanel("transcript"),
    ]


class MapSitePage(LibraryItemPage):
    """地图标注: a red site with WGS-84 coordinates."""

    item_type = "site"
    url_prefix = "sites"
    KINDS = [(k, k) for k in ("革命遗址", "纪念馆", "爱国主义教育基地", "党群服务中心", "烈士陵园", "红色教育基地")]
    COORDINATE_HELP = "WGS-84 坐标（GPS 原始坐标）。注意：高德、腾讯等国内地图使用 GCJ-02 坐标，网站生成地图链接时会自动换算。"

    kind = models.CharField("类别", max_length=20, choices=KINDS)
    address = models.CharField("地址", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, validators=[validate_latitude], help_text=COORDINATE_HELP)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, validators=[validate_longitude], help_text=COORDINATE_HELP)
    opening_hours = models.CharField("开放时间", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("address")]),
        FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")], heading="坐标（WGS-84）"),
        FieldRowPanel([FieldPanel("opening_hours"), FieldPanel("phone")]),
    ] + LibraryItemPage.common_panels + [
        InlinePanel("photos", label="照片", heading="照片"),
        InlinePanel("related_links", label="相关资源", heading="相关资源"),
    ]

    search_fields = LibraryItemPage.search_fields + [index.SearchField("address")]
    api_prefetch = ("photos__image__renditions", "related_links")

    api_fields = LibraryItemPage.api_fields + [
        APIField("kind"),
        APIField("address"),
        APIField("latitude"),
        APIField("longitude"),
        APIField("opening_hours"),
        APIField("phone"),
        APIField("photos", serializer=SitePhotoSerializer(many=True)),
        APIField("related_items"),
    ]

    class Meta:
        verbose_name = "地图标注"
        verbose_name_plural = "地图标注"

    # (public ids, {id: specific page}) resolved for a whole API listing by resolve_related(); None: ask per page.
    _resolved_related: tuple[set[int], dict[int, Page]] | None = None

    @classmethod
    def resolve_related(cls, pages: list["MapSitePage"]) -> None:
        """Resolve the related resources of many sites at once (the API lists 500 per request): a few queries in all
        instead of several per site. Same rule as related_ids: only public pages."""
        linked = {pk for page in pages for pk in page._linked_ids()}
        public = public_page_ids(linked) if linked else set()
        specific = LibraryItemPage.objects.filter(pk__in=public).specific().in_bulk() if public else {}
        for page in pages:
            page._resolved_related = (public, specific)

    def _linked_ids(self) -> list[int]:
        # The editor's order; links saved without one keep the order they were added in (pk), on every database.
        links = sorted(self.related_links.all(), key=lambda link: (link.sort_order is None, link.sort_order or 0, link.pk or 0))
        return list(dict.fromkeys(link.related_id for link in links))

    @property
    def related_ids(self) -> list[int]:
        """The related resources that are themselves public, in the editor's order; private ones are left out."""
        linked = self._linked_ids()
        if self._resolved_related is not None:
            public = self._resolved_related[0]
        else:
            public = public_page_ids(linked) if linked else set()
        return [pk for pk in linked if pk in public]

    @property
    def related_items(self) -> list[dict]:
        ids = self.related_ids
        if self._resolved_related is not None:
            pages = self._resolved_related[1]
        else:
            pages = LibraryItemPage.objects.filter(pk__in=ids).specific().in_bulk() if ids else {}
        return [
            {"id": pk, "title": pages[pk].title, "item_type": pages[pk].item_type, "site_path": pages[pk].site_path}
            for pk in ids
            if pk in pages
        ]


class SitePhoto(Orderable):
    page = ParentalKey(MapSitePage, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey(IMAGE_MODEL, verbose_name="照片", on_delete=models.CASCADE, related_name="+")
    caption = models.CharField("说明", max_length=200, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = verbose_name_plural = "地标照片"


class SiteRelatedLink(Orderable):
    page = ParentalKey(MapSitePage, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(LibraryItemPage, verbose_name="相关资源", on_delete=models.CASCADE, related_name="+")

    panels = [PageChooserPanel("related", ["content_models.EBookPage", "content_models.PeriodicalPage", "content_models.VideoSeriesPage", "content_models.AudioSeriesPage", "content_models.NewsPage"])]

    class Meta(Orderable.Meta):
        verbose_name = verbose_name_plural = "相关资源链接"


class NewsPage(LibraryItemPage):
    """时政要闻-style news article."""

    item_type = "news"
    url_prefix = "news"

    date = models.DateField("日期")
    source = models.CharField("来源", max_length=100, blank=True)
    body = RichTextField("正文", features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link", "image"])

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("date"), FieldPanel("source")]),
        FieldPanel("body"),
    ] + LibraryItemPage.common_panels

    search_fields = LibraryItemPage.search_fields + [index.SearchField("body")]

    api_fields = LibraryItemPage.api_fields + [
        APIField("date"),
        APIField("source"),
        APIField("body", serializer=RichTextHTMLField()),
    ]

    class Meta:
        verbose_name = "新闻"
        verbose_name_plural = "新闻"
