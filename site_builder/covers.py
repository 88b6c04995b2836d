"""Covers drawn from an item's title and kind for items without a cover image, so lists stay scannable.

Drawn with Pillow in the theme's CJK font (WenQuanYi Micro Hei, GB2312 subset) as WebP at the widths of the
CMS's cover renditions. A file's name is a hash of everything its pixels depend on (title, kind, colour, width,
style, font, Pillow), so an unchanged cover is never drawn twice and a changed title gets a new name (cacheable
forever). Nothing here imports Django: the builder draws them from what the API says.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from math import cos, pi, sin
from pathlib import Path

import PIL
from fontTools.ttLib import TTFont
from PIL import Image, ImageColor, ImageDraw, ImageFont

FONT_FILE = Path(__file__).resolve().parent.parent / "themes" / "default" / "fonts" / "wqy-microhei-gb2312.ttf"
STYLE_VERSION = "2"  # bump when the drawing below changes: every cover gets a new name and is drawn again
WIDTHS = (160, 320)  # the CMS's w160 and w320 cover renditions
ASPECT = 4 / 3  # height / width, as the demo and most book covers
PREFIX = "/covers/"
# Dark fields that white text reads on at ≥ 7:1 (WCAG AAA); the id picks one so neighbours in a list differ.
PALETTE = ("#8B1A1A", "#1D3F6E", "#1E5631", "#5A2A6E", "#7A3E00", "#0F4C5C", "#3A3A3A")
GOLD = "#FFD54F"
INK = "#1A1A1A"
MAX_LINES = 4
ELLIPSIS = "…"
MISSING = "□"  # stands in for a character the GB2312 font has no glyph for
# A line never starts with closing punctuation (it stays at the end of the line before).
NO_LINE_START = set("，。、：；！？）》」』”’…,.:;!?)]")
# Every pixel is snapped to the cover's few colours and the blends between them that anti-aliased edges use, then
# stored losslessly: a 160-px cover is ~1.8 KB and a 320-px one ~3.3 KB (lossy WebP at q60: 4.3 and 9 KB, and
# blurred strokes).
BLENDS = (0.25, 0.5, 0.75)
DRAW_WORKERS = 4  # Pillow releases the GIL while it rasterises and encodes


def _font_digest() -> str:
    return hashlib.sha256(FONT_FILE.read_bytes()).hexdigest()[:16]


@cache
def style_key() -> str:
    """What every cover's pixels depend on besides its own text: this file's style, the font and Pillow (libwebp)."""
    return f"{STYLE_VERSION}/{_font_digest()}/{PIL.__version__}"


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


@cache
def glyphs() -> frozenset[int]:
    """The code points the font has a glyph for (its cmap; GB2312's codec differs on a few, e.g. the em dash)."""
    return frozenset(TTFont(FONT_FILE, lazy=True).getBestCmap())


def drawable(text: str) -> str:
    """The text as the font can draw it: one space for each run of white space, no control or invisible characters,
    a box for characters outside GB2312 (a rare name character, emoji) so nothing crashes and nothing silently merges."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        elif not char.isprintable():
            continue
        else:
            out.append(char if ord(char) in glyphs() else MISSING)
    return "".join(out).strip()


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float, max_lines: int) -> tuple[list[str], bool]:
    """Lines of `text` no wider than `width` by character width, at most `max_lines` (the last one ending in an
    ellipsis when the text is longer); returns (lines, whether everything fitted)."""
    lines: list[str] = []
    line, used = "", 0.0
    for char in text:
        advance = face.getlength(char)
        if line and used + advance > width and char not in NO_LINE_START:
            lines.append(line.rstrip())
            line, used = ("", 0.0) if char == " " else (char, advance)
            continue
        line += char
        used += advance
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) <= max_lines:
        # No lone last character (「延安精神读 / 本」): the line above lends it one.
        if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2 and lines[-2][-1] not in NO_LINE_START:
            lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]
        return lines, True
    last = lines[max_lines - 1]
    while last and face.getlength(last + ELLIPSIS) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS], False


@cache
def palette(colour: str) -> Image.Image:
    """A palette image of a cover's colours (field, white, gold, ink) and the edge blends between those that touch."""
    field, white, gold, ink = (ImageColor.getrgb(c) for c in (colour, "#FFFFFF", GOLD, INK))
    colours = [field, white, gold, ink]
    for start, end in ((field, white), (field, gold), (gold, ink)):
        colours += [tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True)) for t in BLENDS]
    flat = [value for rgb in colours for value in rgb]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + flat[:3] * (256 - len(colours)))
    return image


def star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """The ten corners of a five-pointed star, point up."""
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.4
        angle = -pi / 2 + i * pi / 5
        points.append((cx + r * cos(angle), cy + r * sin(angle)))
    return points


def draw(title: str, kind: str, colour: str, width: int) -> bytes:
    """One cover as WebP bytes: the kind on a gold tab, a gold rule, the title in large white type, a star."""
    scale = width / 160
    height = round(width * ASPECT)
    pad = round(12 * scale)
    image = Image.new("RGB", (width, height), colour)
    pen = ImageDraw.Draw(image)

    label = font(round(14 * scale))
    kind = drawable(kind) or "资料"
    tab_width = label.getlength(kind) + 2 * round(6 * scale)
    pen.rounded_rectangle((pad, pad, pad + tab_width, pad + round(24 * scale)), radius=round(4 * scale), fill=GOLD)
    pen.text((pad + round(6 * scale), pad + round(12 * scale)), kind, font=label, fill=INK, anchor="lm")
    rule = pad + round(32 * scale)
    pen.rectangle((pad, rule, width - pad, rule + max(1, round(2 * scale))), fill=GOLD)

    # The largest size at which the whole title fits in MAX_LINES; the smallest, with an ellipsis, otherwise.
    text = drawable(title) or "无题"
    for size in (24, 21, 18):
        face = font(round(size * scale))
        lines, fitted = wrap(text, face, width - 2 * pad, MAX_LINES)
        if fitted:
            break
    step = round(face.size * 1.3)
    top = rule + round(12 * scale)
    for row, line in enumerate(lines):
        pen.text((pad, top + row * step), line, font=face, fill="#FFFFFF", anchor="la")

    pen.polygon(star_points(width - pad - 10 * scale, height - pad - 10 * scale, 10 * scale), fill=GOLD)
    buffer = io.BytesIO()
    image.quantize(palette=palette(colour), dither=Image.Dither.NONE).save(buffer, "WEBP", lossless=True, quality=60, method=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class Cover:
    """The drawn cover of one item: what it says and which colour it has decide its files' names."""

    title: str
    kind: str
    colour: str

    @classmethod
    def for_item(cls, item_id: int, title: str, kind: str) -> Cover:
        return cls(title=title, kind=kind, colour=PALETTE[zlib.crc32(str(item_id).encode()) % len(PALETTE)])

    def path(self, width: int) -> str:
        digest = hashlib.sha256(f"{style_key()}\0{self.kind}\0{self.title}\0{self.colour}\0{width}".encode()).hexdigest()
        # ".<hex>.webp": the name carries a hash of what it depends on, so caches may keep it for good.
        return f"{PREFIX}cover-{width}.{digest[:20]}.webp"

    def files(self) -> dict[str, int]:
        """Site path → width of each file."""
        return {self.path(width): width for width in WIDTHS}

    def image(self) -> dict:
        """The <img> fields pages.image() gives a real cover: src (w160), srcset, size; no alt, the title is beside it."""
        return {
            "src": self.path(WIDTHS[0]),
            "srcset": ", ".join(f"{self.path(width)} {width}w" for width in WIDTHS),
            "width": WIDTHS[0],
            "height": round(WIDTHS[0] * ASPECT),
            "alt": "",
        }


def write_covers(covers: Iterable[Cover], out_dir: Path, *, drawn: set[str] | None = None) -> list[str]:
    """Draw every file of `covers` into out_dir that an earlier build did not leave there.

    Returns the site paths of every file, drawn or reused; those drawn are added to `drawn`.
    """
    wanted: dict[str, tuple[Cover, int]] = {}
    for cover in covers:
        for path, width in cover.files().items():
            wanted[path] = (cover, width)

    def write(site_path: str) -> str:
        target = os.path.join(out_dir, site_path.lstrip("/"))
        cover, width = wanted[site_path]
        data = draw(cover.title, cover.kind, cover.colour, width)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        partial = target + ".part"
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, target)  # never a half-written image under its real name
        return site_path

    missing = [path for path in sorted(wanted) if not os.path.isfile(os.path.join(out_dir, path.lstrip("/")))]
    with ThreadPoolExecutor(max_workers=DRAW_WORKERS, thread_name_prefix="cover") as pool:
        new = list(pool.map(write, missing))
    if drawn is not None:
        drawn.update(new)
    return sorted(wanted)
