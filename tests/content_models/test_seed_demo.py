"""seed_demo: deterministic, idempotent, at the seed document's figures."""

import random

import pytest
from django.core.management import call_command

from activities.models import ActivityPage
from content_models import demo_data
from content_models.models import (
    AudioSeriesPage,
    District,
    EBookPage,
    LibraryItemPage,
    MapSitePage,
    PeriodicalIssue,
    VideoEpisode,
)
from content_models.seeding import Seeder
from content_models.validators import isbn_is_valid, issn_is_valid, normalize_isbn


@pytest.mark.django_db
def test_rerunning_seed_demo_creates_nothing_twice(tiny_catalogue, capsys):
    counts = (LibraryItemPage.objects.count(), VideoEpisode.objects.count(), PeriodicalIssue.objects.count())
    call_command("seed_demo", "--scale", "tiny")
    assert "ebooks 0，periodicals 0，series 0，sites 0，news 0" in capsys.readouterr().out
    assert counts == (LibraryItemPage.objects.count(), VideoEpisode.objects.count(), PeriodicalIssue.objects.count())
    scale = demo_data.SCALES["tiny"]
    # …plus the password-protected news item every catalogue carries (seeding.add_privacy_cases), the demo's
    # audio series with its generated talk (transcoding.demo) and its five learning activities (activities.demo).
    assert ActivityPage.objects.count() == 5
    assert counts[0] == scale.ebooks + scale.periodicals + scale.series + scale.sites + scale.news + 2 + 5
    assert AudioSeriesPage.objects.count() == 1
    assert counts[1] == scale.episodes


@pytest.mark.django_db
def test_the_same_seed_plans_the_same_catalogue(tiny_catalogue):
    def plan(seed: int) -> list[tuple]:
        return [(p.title, p.isbn, p.authors, p.year) for p, *_ in Seeder(demo_data.SCALES["tiny"], seed).plan_ebooks()]

    assert plan(2021) == plan(2021)
    assert plan(2021) != plan(1949)


@pytest.mark.django_db
def test_seeded_content_is_valid_and_spread_over_districts(tiny_catalogue):
    for book in EBookPage.objects.all():
        assert isbn_is_valid(normalize_isbn(book.isbn)), book.isbn
        book.full_clean()
    assert District.objects.count() == len(demo_data.DISTRICTS)
    for site in MapSitePage.objects.all():
        site.full_clean()
        assert site.district is not None
    assert EBookPage.objects.filter(live=False).count() == 1


def test_seed_scale_matches_the_seed_document():
    scale = demo_data.SCALES["seed"]
    assert (scale.ebooks, scale.periodicals, scale.series, scale.episodes) == (1400, 275, 753, 6488)
    counts = demo_data.split_evenly(scale.episodes, scale.series, random.Random(7))
    assert sum(counts) == 6488 and min(counts) >= 1
    assert all(issn_is_valid(demo_data.issn(n)) for n in range(1, 300))
    assert len({demo_data.isbn13(n) for n in range(1, 1401)}) == 1400
