"""Render: turn a site plan into files with Pelican's machinery (settings, a Generator, its Jinja env, Writer).

The CatalogueGenerator joins a normal Pelican run through the `get_generators` signal whenever the
Pelican settings carry a RenderJob; Pelican's own article/page generators find no content and write nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import multiprocessing
import os
import pickle
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2
import pelican
from feedgenerator import Atom1Feed, get_tag_uri
from markupsafe import Markup
from pelican import Pelican, signals
from pelican.generators import Generator
from pelican.settings import read_settings
from pelican.writers import Writer

from . import safety
from .pages import KINDS, Page, PageGroup, SiteConfig, SitePlan, item_context, json_bytes

logger = logging.getLogger(__name__)

THEME_DIR = Path(__file__).resolve().parent.parent / "themes" / "default"
JOB_KEY = "SITE_BUILDER_JOB"
MAX_RENDER_PROCESSES = 4
# Below this many pages per process (the tests, the tiny demo) a fork costs more than the hashing and rendering it shares.
MIN_PAGES_PER_PROCESS = 2000
ITEM_TYPE_KINDS = {"ebook": "ebooks", "periodical": "periodicals", "series": "series", "audio": "audio", "site": "sites", "news": "news",
                   "activity": "activities"}


@dataclass
class RenderJob:
    """What the generator renders and, afterwards, what the site holds and what was (re)written.

    `previous` is the manifest of an earlier render into the same folder ({file site path: hash of
    everything its bytes depend on}); a page whose hash is unchanged and whose file is still there is
    not rendered again. `manifest` is this render's, to keep for the next one.
    """

    plan: SitePlan
    config: SiteConfig
    columns: list[dict]
    progress: bool = False
    previous: dict[str, str] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)  # site paths of every file of the site
    changed: set[str] = field(default_factory=set)  # site paths whose file was (re)written by this render
    manifest: dict[str, str] = field(default_factory=dict)
    rendered: int = 0  # HTML pages rendered (the rest were unchanged)


def code_version() -> str:
    """A hash of the theme and of the builder's code: any change to either means every page is rendered again."""
    digest = hashlib.sha256(f"pelican {pelican.__version__} jinja2 {jinja2.__version__}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted([*THEME_DIR.rglob("*"), *package.glob("*.py")]):
        if path.is_file():
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def input_hash(*parts: object) -> str:
    """A hash of render inputs (plain data and dataclasses such as HotWord), pickled: 3–4× faster than JSON over a
    seed-scale plan. Pickling is reversible, so equal hashes mean equal inputs; equal inputs that pickle differently
    (an object shared rather than repeated) would only cost a needless render."""
    return hashlib.sha256(pickle.dumps(parts, protocol=5)).hexdigest()


def cn_date(value: str | None) -> Markup:
    """'2024-12-31' or an ISO timestamp → <time>2024年12月31日</time>, which the theme never breaks across lines
    (a narrow screen would otherwise leave 「日」 alone on the next line)."""
    if not value:
        return Markup("")
    year, month, day = (int(part) for part in value[:10].split("-"))
    return Markup(f'<time datetime="{year:04d}-{month:02d}-{day:02d}">{year}年{month}月{day}日</time>')


def duration(seconds: int | None) -> str:
    minutes, rest = divmod(int(seconds or 0), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def file_size(size: int | None) -> str:
    return f"{(size or 0) / 1048576:.1f} MB" if (size or 0) >= 1048576 else f"{(size or 0) // 1024 + 1} KB"


def read_static(name: str) -> Markup:
    """A theme file inlined into the pages (CSS, the map script): the theme's own code, so not escaped."""
    return Markup((THEME_DIR / "static" / name).read_text(encoding="utf-8"))


def pelican_settings(config: SiteConfig, out_dir: Path, content_dir: Path) -> dict:
    """Pelican settings for our theme; Pelican's own blog outputs (index, archives, feeds) are all off."""
    return read_settings(
        override={
            "PATH": str(content_dir),
            "OUTPUT_PATH": str(out_dir),
            "THEME": str(THEME_DIR),
            "SITENAME": config.site_name,
            "SITEURL": config.site_url,
            "TIMEZONE": "Asia/Shanghai",
            "DEFAULT_LANG": "zh-hans",
            "READERS": {"rst": None},  # no content files are read; docutils would only warn about zh-hans
            "PLUGINS": [],  # no namespace-plugin discovery: builds must not depend on what else is installed
            "DELETE_OUTPUT_DIRECTORY": False,  # the builder removes stale files itself, keeping downloaded covers
            "DIRECT_TEMPLATES": [],
            "STATIC_PATHS": [],
            "THEME_STATIC_PATHS": [],  # CSS and the tiny map script are inlined into the pages
            "FEED_ALL_ATOM": None,
            "CATEGORY_FEED_ATOM": None,
            "AUTHOR_FEED_ATOM": None,
            "AUTHOR_FEED_RSS": None,
            "TRANSLATION_FEED_ATOM": None,
            "JINJA_ENVIRONMENT": {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "extensions": []},
            "JINJA_FILTERS": {"cn_date": cn_date, "duration": duration, "file_size": file_size, **safety.JINJA_FILTERS},
        }
    )


SITE_CONTEXT_KEYS = ("site_name", "site_url", "search_url", "nav_columns", "critical_css", "map_js", "assets")


def published_assets() -> dict[str, tuple[str, bytes]]:
    """The theme's files that pages load by URL (static/*.js scripts, *.svg pictures): name → (site path, bytes). The
    path carries a hash of the bytes, so nginx serves it `immutable` and a changed file is a new URL."""
    assets = {}
    for path in sorted(p for p in (THEME_DIR / "static").iterdir() if p.suffix in (".js", ".svg")):
        data = path.read_bytes()
        assets[path.name] = (f"/assets/{path.stem}.{hashlib.sha256(data).hexdigest()[:12]}{path.suffix}", data)
    return assets


def site_context(config: SiteConfig, columns: list[dict]) -> dict:
    """Variables every page's template sees (SITE_CONTEXT_KEYS; they are part of every page's hash)."""
    return {
        "site_name": config.site_name,
        "site_url": config.site_url,
        "search_url": config.search_url,
        "nav_columns": columns,
        "critical_css": read_static("site.css"),
        "map_js": read_static("map.js"),
        "assets": {name: site_path for name, (site_path, _data) in published_assets().items()},
    }


class CatalogueGenerator(Generator):
    """Writes every planned page with the theme's templates, then the feeds, GeoJSON, sitemap and robots.txt."""

    def generate_context(self) -> None:
        self.job: RenderJob = self.settings[JOB_KEY]
        self.context.update(site_context(self.job.config, self.job.columns))

    def generate_output(self, writer: Writer) -> None:
        global _rendering
        job = self.job
        shared = input_hash(code_version(), job.config, {k: v for k, v in self.context.items() if k in SITE_CONTEXT_KEYS})
        parts = render_processes(len(job.plan.pages) + sum(len(group.paths) for group in job.plan.groups))
        _rendering = (self, writer, shared, parts)
        try:
            if parts > 1:
                # Forked, so the helpers inherit the plan, the templates and Pelican's writer; only results come back.
                with ProcessPoolExecutor(parts - 1, mp_context=multiprocessing.get_context("fork")) as pool:
                    helpers = [pool.submit(_render_share, part) for part in range(1, parts)]
                    shares = [_render_share(0)] + [helper.result() for helper in helpers]
            else:
                shares = [_render_share(0)]
        finally:
            _rendering = None
        for group in job.plan.groups:
            job.written.update(group.paths)
        for manifest, changed, rendered in shares:
            job.manifest.update(manifest)
            job.written.update(manifest)
            job.changed.update(changed)
            job.rendered += rendered
        for path, data in published_assets().values():
            self.write_bytes(path, data)
        for feed in job.plan.feeds:
            self.write_bytes(feed["path"], atom_feed(feed, job.config))
        for path, data in job.plan.json_files.items():
            self.write_bytes(path, safety.html_safe_json(json_bytes(data)))
        self.write_bytes("/sitemap.xml", sitemap(job.plan.pages, job.config.site_url))
        self.write_bytes("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {job.config.site_url}/sitemap.xml\n".encode())

    def render_pages(self, writer: Writer, shared: str, pages: list[Page], progress: bool) -> RenderShare:
        """Hash each page's inputs and render those whose hash differs from the previous build's (or whose file
        is gone); returns {site path: hash}, the site paths written and how many were rendered."""
        job = self.job
        manifest: dict[str, str] = {}
        changed: list[str] = []
        if progress:
            from tqdm import tqdm

            pages = tqdm(pages, desc="生成页面", unit="页", file=sys.stderr)
        for page in pages:
            site_path = page.path if not page.path.endswith("/") else page.path + "index.html"
            digest = input_hash(shared, page.path, page.template, page.context)
            manifest[site_path] = digest
            if job.previous.get(site_path) == digest and (Path(self.output_path) / page.save_as).is_file():
                continue
            writer.write_file(page.save_as, self.get_template(page.template), self.context, page_path=page.path, **page.context)
            changed.append(site_path)
        return manifest, changed, len(changed)

    def render_groups(self, writer: Writer, shared: str, groups: list[PageGroup]) -> RenderShare:
        """render_pages() for page groups: one hash per group (its key in the manifest); a group whose hash is
        unchanged and whose first and last files are there is not even loaded. Its files are not in the manifest
        one by one: generate_output counts every group's paths among the site's files."""
        manifest: dict[str, str] = {}
        changed: list[str] = []
        out = Path(self.output_path)
        for group in groups:
            digest = input_hash(shared, group.key, group.inputs)
            manifest[group.key] = digest
            if self.job.previous.get(group.key) == digest and all(
                (out / path.lstrip("/")).is_file() for path in group.paths[:1] + group.paths[-1:]
            ):
                continue
            for page in group.load():
                writer.write_file(page.save_as, self.get_template(page.template), self.context, page_path=page.path, **page.context)
            changed += group.paths
        return manifest, changed, len(changed)

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write a generated file unless it already holds exactly these bytes."""
        target = Path(self.output_path) / path.lstrip("/")
        self.job.written.add(path)
        if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.job.changed.add(path)


RenderShare = tuple[dict[str, str], list[str], int]  # a process's {site path: hash}, paths written, pages rendered

# What a render's processes share, set by generate_output() just before it forks (nothing is pickled on the way in):
# the generator, Pelican's writer, the site-wide hash and how many processes take a share of the pages.
_rendering: tuple[CatalogueGenerator, Writer, str, int] | None = None


def render_processes(pages: int) -> int:
    """Processes to render `pages` pages: one per usable core, one when the pages are too few to pay a fork."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_RENDER_PROCESSES, pages // MIN_PAGES_PER_PROCESS))


def _render_share(part: int) -> RenderShare:
    """Every parts-th page from `part` on (the building process or a forked helper)."""
    assert _rendering is not None
    generator, writer, shared, parts = _rendering
    plan = generator.job.plan
    manifest, changed, rendered = generator.render_pages(writer, shared, plan.pages[part::parts], progress=generator.job.progress and part == 0)
    in_groups = generator.render_groups(writer, shared, plan.groups[part::parts])
    return {**manifest, **in_groups[0]}, changed + in_groups[1], rendered + in_groups[2]


def _generators_for(pelican: Pelican) -> type[Generator] | None:
    """get_generators receiver: add ours to Pelican runs started by this builder only."""
    return CatalogueGenerator if JOB_KEY in pelican.settings else None


signals.get_generators.connect(_generators_for)


class StableAtom1Feed(Atom1Feed):
    """An Atom feed whose <updated> never comes from the clock (feedgenerator uses now() for empty feeds)."""

    fallback_date = datetime(2021, 7, 1, tzinfo=UTC)

    def latest_post_date(self) -> datetime:
        dates = [item["updateddate"] or item["pubdate"] for item in self.items]
        dates = [d for d in dates if d]
        return max(dates) if dates else self.fallback_date


def atom_feed(feed: dict, config: SiteConfig) -> bytes:
    """A column's Atom feed; dates are the items' publication times, so equal content gives equal bytes."""
    atom = StableAtom1Feed(
        title=feed["title"],
        link=feed["link"],
        description=feed["description"],
        feed_url=config.site_url + feed["path"],
        language="zh-hans",
    )
    for item in feed["entries"]:
        link = config.site_url + item["site_path"]
        first = item.get("meta", {}).get("first_published_at") or item["last_published_at"]
        atom.add_item(
            title=item["title"],
            link=link,
            description=item.get("summary", ""),
            unique_id=get_tag_uri(link, datetime.fromisoformat(first)),
            pubdate=datetime.fromisoformat(first),
            updateddate=datetime.fromisoformat(item["last_published_at"]),
            categories=item.get("tags") or None,
        )
    buffer = io.StringIO()
    atom.write(buffer, "utf-8")
    return buffer.getvalue().encode("utf-8")


def sitemap(pages: list[Page], site_url: str) -> bytes:
    rows = []
    for page in sorted(pages, key=lambda p: p.path):
        if not page.in_sitemap:
            continue
        lastmod = f"<lastmod>{page.lastmod}</lastmod>" if page.lastmod else ""
        rows.append(f"<url><loc>{escape(site_url + page.path)}</loc>{lastmod}</url>")
    body = "\n".join(rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{body}\n</urlset>\n'
    ).encode()


def render_plan(
    plan: SitePlan,
    config: SiteConfig,
    columns: list[dict],
    out_dir: Path,
    *,
    progress: bool = False,
    previous: dict[str, str] | None = None,
) -> RenderJob:
    """Run Pelican over the plan into out_dir; returns the job with the files of the site and those written.

    With `previous` (an earlier job's manifest for this folder) only pages whose inputs changed are rendered.
    """
    job = RenderJob(plan=plan, config=config, columns=columns, progress=progress, previous=previous or {})
    with _empty_content_dir() as content_dir:
        settings = pelican_settings(config, out_dir, content_dir)
        settings[JOB_KEY] = job
        # Pelican prints a "Processed 0 articles" summary about its blog generators; it would only confuse.
        with contextlib.redirect_stdout(io.StringIO()):
            Pelican(settings).run()
    return job


@contextlib.contextmanager
def _empty_content_dir():
    """Pelican insists on a content folder; ours is always empty (content comes from the API)."""
    with tempfile.TemporaryDirectory(prefix="site-builder-content-") as name:
        yield Path(name)


def render_item_page(item: dict, config: SiteConfig | None = None, columns: list[dict] | None = None) -> str:
    """The HTML of one item's page from its API dict (as /api/v2/pages/<id>/ or the preview endpoint returns it).

    Uses the same settings, theme and templates as a full build; covers point at their /media/… site paths.
    """
    config = config or SiteConfig()
    if not config.search_url:
        config = replace(config, search_url="/search/")
    kind = ITEM_TYPE_KINDS.get(item.get("item_type", ""))
    if kind is None:
        raise ValueError(f"not a catalogue item: item_type={item.get('item_type')!r}")
    with _empty_content_dir() as content_dir:
        settings = pelican_settings(config, content_dir, content_dir)
        context = {**settings, **site_context(config, columns or item.get("columns", []))}
        generator = CatalogueGenerator(context=context, settings=settings, path=str(content_dir), theme=str(THEME_DIR), output_path=str(content_dir))
        template = generator.get_template(KINDS[kind][2])
        return template.render({**context, "page_path": item.get("site_path", "/"), **item_context(item, kind, config, drawn_cover=False)})
