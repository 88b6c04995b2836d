"""Editor-managed search data (dictionary terms, hot words and their review), the public hot-word list and the
anonymous query log."""

from django.db import models

MAX_LOGGED_CHARS = 32


class SearchTerm(models.Model):
    """A word jieba must keep whole (四个自信); changing the list rebuilds the index in the background."""

    word = models.CharField("词语", max_length=30, unique=True, help_text="例如：四个自信、三会一课。保存后搜索索引会在后台重建。")
    created_at = models.DateTimeField("添加时间", auto_now_add=True)

    class Meta:
        verbose_name = "搜索词典词语"
        verbose_name_plural = "搜索词典词语"
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class HotWord(models.Model):
    """A word editors decided about, or one enough members searched that it waits for their decision.

    Pending words come from the query log (hotwords.refresh); editors approve, pin or block them, or add
    pins and blocks themselves. Only approved and pinned words can be public, blocked ones never (nor
    anything containing them, nor a suggestion that does).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审"
        APPROVED = "approved", "已批准"
        PINNED = "pinned", "置顶"
        BLOCKED = "blocked", "屏蔽"

    word = models.CharField("热词", max_length=MAX_LOGGED_CHARS, unique=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="置顶热词按数字从小到大排列。")
    visitors = models.PositiveIntegerField(
        "近期搜索人数", default=0, editable=False, help_text="最近一次刷新时，统计窗口内搜索过这个词的不同访客数。"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "热词"
        verbose_name_plural = "热词"
        ordering = ["order", "word"]

    def __str__(self) -> str:
        return self.word


class HotWordsOfStatus(models.Manager):
    """The rows of one status: each admin list below is a proxy of HotWord with one of these."""

    def __init__(self, status: str) -> None:
        super().__init__()
        self.status = status

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(status=self.status)


class ListStatusMixin:
    """Saving through a list's proxy puts the word on that list (a word added under 屏蔽热词 is blocked)."""

    list_status: str

    def save(self, *args, **kwargs) -> None:
        self.status = self.list_status
        super().save(*args, **kwargs)


class PendingHotWord(ListStatusMixin, HotWord):
    """待审热词: enough distinct visitors searched it; not public until an editor approves or pins it."""

    list_status = HotWord.Status.PENDING
    objects = HotWordsOfStatus(list_status)

    class Meta:
        proxy = True
        verbose_name = "待审热词"
        verbose_name_plural = "待审热词"
        ordering = ["-visitors", "word"]


class ApprovedHotWord(ListStatusMixin, HotWord):
    """已批准热词: public while enough members search it, ranked by how recently and how many."""

    list_status = HotWord.Status.APPROVED
    objects = HotWordsOfStatus(list_status)

    class Meta:
        proxy = True
        verbose_name = "已批准热词"
        verbose_name_plural = "已批准热词"
        ordering = ["-visitors", "word"]


class HotWordPin(ListStatusMixin, HotWord):
    """置顶热词: always shown, in editor order, before the ones members searched most."""

    list_status = HotWord.Status.PINNED
    objects = HotWordsOfStatus(list_status)

    class Meta:
        proxy = True
        verbose_name = "置顶热词"
        verbose_name_plural = "置顶热词"


class HotWordBlock(ListStatusMixin, HotWord):
    """屏蔽热词: never a hot word or a suggestion, nor is any word that contains it."""

    list_status = HotWord.Status.BLOCKED
    objects = HotWordsOfStatus(list_status)

    class Meta:
        proxy = True
        verbose_name = "屏蔽热词"
        verbose_name_plural = "屏蔽热词"
        ordering = ["word"]


# The lists editors work in; saving or deleting through any of them refreshes the public list (signals.py).
REVIEW_LISTS = (PendingHotWord, ApprovedHotWord, HotWordPin, HotWordBlock)


class ShownHotWords(models.Model):
    """The public hot words, in order, as the last refresh (hotwords.refresh) stored them: one row.

    /api/hotwords/ (which the static site is built from), the empty search page and /hot/<slug>/ all
    read this row, and only a refresh writes it, asking for a site rebuild whenever it changes, so what
    is shown never changes without a rebuild of the pages that show it.
    """

    words = models.JSONField("热词", default=list)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "当前展示的热词"
        verbose_name_plural = "当前展示的热词"

    def __str__(self) -> str:
        return "、".join(self.words)


class QueryLog(models.Model):
    """One visitor searched one text (operators and punctuation dropped) on one day; nothing about who.

    No address, browser or time of day is stored: `visitor` only tells distinct searchers of the same
    text on the same day apart, so one person repeating a search counts once.
    """

    text = models.CharField("搜索词", max_length=MAX_LOGGED_CHARS)
    day = models.DateField("日期")
    visitor = models.CharField(
        "访客标记",
        max_length=32,
        help_text=(
            "以 SECRET_KEY 和当天的北京时间日期为密钥，对客户端地址、浏览器标识和搜索词计算的 HMAC，只用来区分同一天"
            "搜同一个词的不同访客。密钥每天一换，同一人不同日子、不同词的记录无法相互关联；地址和浏览器标识从不保存。"
        ),
    )

    class Meta:
        verbose_name = "搜索记录"
        verbose_name_plural = "搜索记录"
        constraints = [models.UniqueConstraint(fields=["day", "text", "visitor"], name="search_log_one_row_per_visitor")]

    def __str__(self) -> str:
        return self.text
