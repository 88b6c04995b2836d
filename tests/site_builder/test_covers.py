"""Covers drawn from the title for items without a cover image: built, cached, renamed, swept, never crashing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image, ImageColor

from content_models.models import EBookPage, MapSitePage
from site_builder import covers
from site_builder.build import build_site, journal_file_for
from site_builder.pages import SiteConfig
from site_builder.render import render_item_page

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="/search/", hot_words_source=None)
COVER_IMG = re.compile(r'<div class="cover"><img src="(?P<src>[^"]+)" srcset="(?P<srcset>[^"]+)"')


def build(api_url: str, out: Path):
    return build_site(api_url, out, config=CONFIG)


def cover_of(out: Path, site_path: str) -> dict[str, str]:
    """The item page's cover: its src and srcset."""
    found = COVER_IMG.search((out / site_path.lstrip("/") / "index.html").read_text(encoding="utf-8"))
    assert found, f"{site_path} shows no cover"
    return found.groupdict()


def files_of(cover: dict[str, str]) -> set[str]:
    return {candidate.split()[0] for candidate in cover["srcset"].split(", ")}


def pixels(out: Path, src: str) -> Image.Image:
    return Image.open(out / src.lstrip("/")).convert("RGB")


def books_without_cover() -> list[EBookPage]:
    return list(EBookPage.objects.live().public().filter(district_only=False, cover__isnull=True).order_by("pk"))


def test_an_item_without_a_cover_gets_one_that_carries_its_title(cms_api_url, tmp_path):
    first, second = books_without_cover()[:2]
    first.title, second.title = "星火燎原：井冈山斗争纪实", "遵义会议与伟大转折"
    first.save_revision().publish()
    second.save_revision().publish()
    build(cms_api_url, tmp_path)

    one, two = cover_of(tmp_path, first.site_path), cover_of(tmp_path, second.site_path)
    assert one["src"].startswith("/covers/") and one["src"] != two["src"]
    for cover in (one, two):
        widths = dict(reversed(candidate.split()) for candidate in cover["srcset"].split(", "))
        assert set(widths) == {"160w", "320w"} and widths["160w"] == cover["src"]
        for path in widths.values():
            data = (tmp_path / path.lstrip("/")).read_bytes()
            assert data[8:12] == b"WEBP" and len(data) < 8 * 1024
    small = pixels(tmp_path, one["src"])
    assert small.width == 160 and pixels(tmp_path, one["srcset"].split()[-2]).width == 320
    colours = small.getcolors(maxcolors=4096)
    assert len(colours) > 4  # not a plain field: anti-aliased white strokes of the title, the gold tab
    assert sum(count for count, rgb in colours if rgb == (255, 255, 255)) > 300  # white text on the dark field
    assert small.tobytes() != pixels(tmp_path, two["src"]).tobytes()
    # The same cover on every list the item is on; the sitemap lists pages, not images.
    listed = [p for p in tmp_path.rglob("index.html") if one["src"] in p.read_text(encoding="utf-8")]
    assert len(listed) > 2
    assert "/covers/" not in (tmp_path / "sitemap.xml").read_text(encoding="utf-8")


def test_a_new_title_draws_a_new_cover_and_the_old_one_leaves_the_site(cms_api_url, tmp_path):
    book, other = books_without_cover()[:2]
    build(cms_api_url, tmp_path)
    old = cover_of(tmp_path, book.site_path)
    kept = tmp_path / cover_of(tmp_path, other.site_path)["src"].lstrip("/")
    before = kept.stat().st_mtime_ns
    journal_file_for(tmp_path).unlink()  # as a publish would: what the next build records starts from here

    book.title = "红色家书（修订版）"
    book.save_revision().publish()
    result = build(cms_api_url, tmp_path)
    new = cover_of(tmp_path, book.site_path)
    assert new["src"] != old["src"] and (tmp_path / new["src"].lstrip("/")).is_file()
    assert not (tmp_path / old["src"].lstrip("/")).exists()
    recorded = set(json.loads(journal_file_for(tmp_path).read_text(encoding="utf-8"))["paths"])
    # The next publish uploads the two new files and deletes the two old ones; no other cover was drawn again.
    assert {path for path in recorded if path.startswith("/covers/")} == files_of(old) | files_of(new)
    assert files_of(old) <= set(result.removed) and kept.stat().st_mtime_ns == before

    book.unpublish()
    result = build(cms_api_url, tmp_path)
    assert files_of(new) <= set(result.removed) and not (tmp_path / new["src"].lstrip("/")).exists()


def test_characters_the_font_lacks_become_boxes_not_a_failed_build(cms_api_url, tmp_path):
    site = MapSitePage.objects.live().public().filter(district_only=False, cover__isnull=True).order_by("pk").first()
    site.title = "朱镕基同志视察旧址 𠀀🇨🇳\u200b\t纪念館"  # not in GB2312: 镕, an extension-B character, a flag, 館
    site.save_revision().publish()
    build(cms_api_url, tmp_path)
    assert pixels(tmp_path, cover_of(tmp_path, site.site_path)["src"]).getcolors(maxcolors=4096)
    assert covers.drawable(site.title) == "朱□基同志视察旧址 □□□ 纪念□"


def test_long_titles_wrap_by_character_width_into_four_lines_at_most():
    face = covers.font(24)
    short, fitted = covers.wrap("中国共产党的一百年", face, 144, 4)  # 24-px characters: six to a line
    assert fitted and short == ["中国共产党的", "一百年"]
    assert covers.wrap("延安精神读本", face, 120, 4)[0] == ["延安精神", "读本"]  # not 「延安精神读 / 本」
    title = "中国共产党在东北地区领导抗日联军艰苦卓绝斗争十四年的光辉历程与宝贵经验（上卷）"
    lines, fitted = covers.wrap(title, face, 136, 4)
    assert not fitted and len(lines) == 4 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 136 for line in lines)
    assert "".join(lines)[:-1] == title[: len("".join(lines)) - 1]
    # Closing punctuation stays at the end of a line rather than starting the next.
    assert not any(line[0] in "，。、：；！？）》" for line in covers.wrap("长征，一部宣言书，一部宣传队，一部播种机。", face, 136, 4)[0])


def test_drawing_is_reproducible_and_colours_read_well_with_white_text():
    assert covers.draw("不忘初心", "图书", covers.PALETTE[0], 160) == covers.draw("不忘初心", "图书", covers.PALETTE[0], 160)
    assert covers.Cover.for_item(7, "不忘初心", "图书") == covers.Cover.for_item(7, "不忘初心", "图书")
    assert len({covers.Cover.for_item(n, "同名", "图书").colour for n in range(1, 40)}) == len(covers.PALETTE)

    def luminance(colour: str) -> float:
        channels = [c / 255 for c in ImageColor.getrgb(colour)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in covers.PALETTE:
        assert (1.05) / (luminance(colour) + 0.05) >= 7, colour  # WCAG AAA for the title
        assert (luminance(covers.GOLD) + 0.05) / (luminance(colour) + 0.05) >= 4.5, colour  # the gold tab and rule
    assert (luminance(covers.GOLD) + 0.05) / (luminance(covers.INK) + 0.05) >= 7  # the kind on its tab


def test_a_preview_shows_no_cover_that_only_a_build_draws():
    item = {
        "id": 9001, "item_type": "ebook", "title": "草稿：新时代党员读本", "site_path": "/books/9001/", "cover": None,
        "columns": [], "tags": [], "summary": "", "last_published_at": None,
    }
    assert "/covers/" not in render_item_page(item)
