"""Columns (栏目) and districts (县市区): the two ways the catalogue is sliced."""

from django.db import models
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

from .validators import validate_latitude, validate_longitude


class Column(models.Model):
    """One of the seven first-level columns; slugs are stable because URLs use them."""

    name = models.CharField("名称", max_length=20, unique=True)
    slug = models.SlugField(
        "网址标识", max_length=40, unique=True, help_text="用于页面网址，发布后请勿修改。"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    description = models.TextField("说明", blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("order"), FieldPanel("description")]

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "栏目"
        verbose_name_plural = "栏目"

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A 县市区 or development area. Saving one gives it a section page, a collection and an editor group."""

    name = models.CharField("名称", max_length=30, unique=True)
    slug = models.SlugField("网址标识", max_length=40, unique=True, help_text="用于页面网址，发布后请勿修改。")
    order = models.PositiveSmallIntegerField("排序", default=0)
    latitude = models.DecimalField(
        "中心纬度", max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[validate_latitude], help_text="WGS-84 坐标（GPS）。",
    )
    longitude = models.DecimalField(
        "中心经度", max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[validate_longitude], help_text="WGS-84 坐标（GPS）。",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("order"),
        MultiFieldPanel([FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")])], heading="中心点"),
    ]

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "县市区"
        verbose_name_plural = "县市区"

    def __str__(self) -> str:
        return self.name

    @property
    def editor_group_name(self) -> str:
        return f"{self.name}编辑"
