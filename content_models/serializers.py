"""Serializer fields for the headless API: renditions, nested rows, resolved rich text.

An image or document that is not public media (content_models.visibility) serialises as null, so a
public page never names a file from a restricted collection; its editors still see it (the preview), and a
district's members the files of their district-only items (members.district_content).
"""

from rest_framework import serializers
from wagtail.images.models import Filter, SourceImageIOError
from wagtail.rich_text import expand_db_html

from .media import is_editor_for, is_member_media
from .visibility import public_media

# Small WebP renditions: phones on 2G get the 160-wide one; Chrome picks via srcset.
COVER_WIDTHS = (160, 320, 640)


# Built once: a Filter parses its spec on first use, and the builder's walk asks for some 30,000 renditions.
COVER_FILTERS = {f"w{width}": Filter(spec=f"width-{width}|format-webp|webpquality-70") for width in COVER_WIDTHS}


class MediaSerializer(serializers.Serializer):
    """An image or document, or None when the requester may not fetch its file."""

    def to_representation(self, instance) -> dict | None:
        return super().to_representation(instance) if self.may_fetch(instance) else None

    def may_fetch(self, instance) -> bool:
        # One query per model and API response: the builder's walk serialises thousands of covers.
        public_ids = self.context.setdefault("public_media_ids", {})
        model = type(instance)
        if model not in public_ids:
            public_ids[model] = set(public_media(model).values_list("pk", flat=True))
        if instance.pk in public_ids[model]:
            return True
        # A member's page of a district-only item (cms.api.page_record) names the files that member may fetch.
        if self.context.get("member") is not None:
            return is_member_media(self.context["member"], instance)
        # Only a draft preview shows an editor private files: public answers are the same for everyone (cacheable).
        request = self.context.get("request")
        return bool(self.context.get("preview")) and request is not None and is_editor_for(request.user, instance)


class CoverSerializer(MediaSerializer):
    """An image as {alt, w160: {url, full_url, width, height, alt}, w320: …, w640: …} (as Wagtail's ImageRenditionField
    writes each), all widths found in one pass over the prefetched renditions."""

    alt = serializers.CharField(source="default_alt_text", read_only=True)

    def to_representation(self, instance) -> dict | None:
        data = super().to_representation(instance)
        if data is None:
            return None
        filters = [instance.clean_filter_for_svg(image_filter) for image_filter in COVER_FILTERS.values()]
        try:
            found = instance.find_existing_renditions(*filters)
            # A missing one is made by get_rendition(): its get_or_create() is safe when parallel requests make the
            # same rendition (get_renditions()' bulk insert is not: the loser serves a file name that was never saved).
            renditions = [found.get(image_filter) or instance.get_rendition(image_filter) for image_filter in filters]
        except SourceImageIOError:
            return {**data, **{name: {"error": "SourceImageIOError"} for name in COVER_FILTERS}}
        for name, rendition in zip(COVER_FILTERS, renditions, strict=True):
            data[name] = {"url": rendition.url, "full_url": rendition.full_url, "width": rendition.width,
                          "height": rendition.height, "alt": rendition.alt}
        return data


class RichTextHTMLField(serializers.CharField):
    """Rich text with internal page and document links resolved to real URLs."""

    def to_representation(self, value: str) -> str:
        return expand_db_html(value or "")


class TagNamesField(serializers.Field):
    """Tag names, sorted; reads the prefetched tags instead of querying per item."""

    def to_representation(self, value) -> list[str]:
        return sorted(tag.name for tag in value.all())


class NamedSlugSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class DocumentSerializer(MediaSerializer):
    """A document; its url is the guarded /media/documents/… path (WAGTAILDOCS_SERVE_METHOD = "direct")."""

    title = serializers.CharField()
    url = serializers.CharField()
    file_size = serializers.IntegerField(read_only=True)
    file_extension = serializers.CharField(read_only=True)


class EpisodeMediaSerializer(MediaSerializer):
    """The light renditions of an episode's uploaded file (transcoding/): null until they are done, or when the
    file itself may not be fetched (restricted collection, district-only series): renditions are as private."""

    def to_representation(self, instance) -> dict | None:
        from transcoding.api import media_of

        return media_of(instance) if self.may_fetch(instance) else None


class EpisodeBaseSerializer(serializers.Serializer):
    """What every episode (集) shows; a subclass declares its media fields, which the API lists between
    duration_seconds and transcript (the order the builder has always seen)."""

    TRAILING = ("transcript", "site_path")

    number = serializers.IntegerField()
    title = serializers.CharField()
    duration_seconds = serializers.IntegerField()
    transcript = serializers.CharField()
    site_path = serializers.CharField()

    def get_fields(self) -> dict:
        fields = super().get_fields()  # base class fields first, then the subclass's
        for name in self.TRAILING:
            fields[name] = fields.pop(name)
        return fields


class EpisodeSerializer(EpisodeBaseSerializer):
    video_url = serializers.CharField()
    video_file = DocumentSerializer(allow_null=True)
    poster = CoverSerializer(allow_null=True)
    media = EpisodeMediaSerializer(source="video_file", allow_null=True)


class AudioEpisodeSerializer(EpisodeBaseSerializer):
    audio_url = serializers.CharField()
    audio_file = DocumentSerializer(allow_null=True)
    media = EpisodeMediaSerializer(source="audio_file", allow_null=True)


class IssueSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    number = serializers.IntegerField()
    date = serializers.DateField(allow_null=True)
    cover = CoverSerializer(allow_null=True)
    table_of_contents = serializers.CharField()
    document = DocumentSerializer(allow_null=True)
    url = serializers.CharField()
    site_path = serializers.CharField()
    reading = serializers.ReadOnlyField()  # reading.public: the page-by-page reader of the issue's document, or None


class SitePhotoSerializer(serializers.Serializer):
    caption = serializers.CharField()
    image = CoverSerializer()
