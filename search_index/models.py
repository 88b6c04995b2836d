"""Editor-managed search data (dictionary terms, pinned and blocked hot words) and the anonymous query log."""

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


class HotWordPin(models.Model):
    """A hot word editors always show, before the ones members searched most."""

    word = models.CharField("热词", max_length=30, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面。")

    class Meta:
        verbose_name = "置顶热词"
        verbose_name_plural = "置顶热词"
        ordering = ["order", "word"]

    def __str__(self) -> str:
        return self.word


class HotWordBlock(models.Model):
    """A word that never appears as a hot word or a suggestion."""

    word = models.CharField("屏蔽词", max_length=30, unique=True)

    class Meta:
        verbose_name = "屏蔽热词"
        verbose_name_plural = "屏蔽热词"
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class QueryLog(models.Model):
    """One search as typed (normalised, cut to MAX_LOGGED_CHARS) and when: nothing about who searched."""

    text = models.CharField(max_length=MAX_LOGGED_CHARS)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "搜索记录"
        verbose_name_plural = "搜索记录"
        indexes = [models.Index(fields=["text", "created_at"])]

    def __str__(self) -> str:
        return self.text
