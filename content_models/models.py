"""Every model of the app, gathered so Django finds them (defined in the topic modules)."""

from .documents import LibraryDocument
from .pages import (
    AudioEpisode,
    AudioSeriesPage,
    EBookPage,
    HomePage,
    ItemTag,
    LibraryItemPage,
    MapSitePage,
    NewsPage,
    PeriodicalIssue,
    PeriodicalPage,
    SectionPage,
    SitePhoto,
    SiteRelatedLink,
    VideoEpisode,
    VideoSeriesPage,
)
from .taxonomy import Column, District

__all__ = [
    "AudioEpisode",
    "AudioSeriesPage",
    "Column",
    "District",
    "EBookPage",
    "HomePage",
    "ItemTag",
    "LibraryDocument",
    "LibraryItemPage",
    "MapSitePage",
    "NewsPage",
    "PeriodicalIssue",
    "PeriodicalPage",
    "SectionPage",
    "SitePhoto",
    "SiteRelatedLink",
    "VideoEpisode",
    "VideoSeriesPage",
]
