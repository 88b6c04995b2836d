"""The builder trusts no URL and no HTML it is given: scheme checks and nh3 cleaning as pages render.

The end-to-end test writes hostile values straight into the database (no form validation), builds the
site over the real API and reads every file it wrote.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from content_models.models import EBookPage, NewsPage, PeriodicalIssue, VideoEpisode
from site_builder.build import build_site
from site_builder.pages import SiteConfig
from site_builder.render import THEME_DIR, render_item_page
from site_builder.safety import marked_snippet, rich_text, safe_srcset, safe_url

CONFIG = SiteConfig(site_url="https://dangshi.example.cn", search_url="https://cms.example.cn/search/", hot_words_source=None)
TEMPLATES = THEME_DIR / "templates"
MAP_JS = (THEME_DIR / "static" / "map.js").read_text(encoding="utf-8")

HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript&#58;alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
]
SAFE_URLS = [
    "https://www.12371.cn/2021/07/01/ARTI1625121.shtml",
    "http://reader.example.cn/book/0001",
    "/news/12/",
    "/media/images/cover.width-160.webp",
    "//video.example.cn/01.mp4",
    "?q=%E5%9B%9B%E4%B8%AA%E8%87%AA%E4%BF%A1",
    "periodicals/3/2021-07/",
]
HOSTILE_BODY = (
    '<h2>学习七一重要讲话</h2><p>学习<a href="javascript:alert(1)">点此学习</a>'
    '<a href=" JAVASCRIPT:alert(2)" onclick="alert(3)">再点</a>'
    '<img src="x" onerror="alert(4)" alt="图">'
    "<script>alert(5)</script>"
    '<a href="https://www.12371.cn/">共产党员网</a>'
    '<a href="/news/1/">本站要闻</a></p>'
    '<p><b>未闭合的粗体'
)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_script_and_data_urls_are_dropped(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize("url", SAFE_URLS)
def test_http_https_and_relative_urls_pass_unchanged(url):
    assert safe_url(url) == url


def test_srcset_with_one_bad_candidate_is_dropped_whole():
    good = "/media/images/a.width-160.webp 160w, /media/images/a.width-320.webp 320w"
    assert safe_srcset(good) == good
    assert safe_srcset("/media/images/a.width-160.webp 160w, javascript:alert(1) 320w") == ""


def test_rich_text_keeps_the_editors_markup_and_drops_script():
    clean = str(rich_text(HOSTILE_BODY))
    assert "<h2>学习七一重要讲话</h2>" in clean
    assert '<a href="https://www.12371.cn/" rel="noopener">共产党员网</a>' in clean
    assert '<a href="/news/1/" rel="noopener">本站要闻</a>' in clean
    assert '<img src="x" alt="图">' in clean
    assert "<b>未闭合的粗体</b></p>" in clean  # balanced, so it cannot swallow the rest of the page
    lowered = clean.lower()
    for bad in ("javascript", "onerror", "onclick", "<script", "alert(5)"):
        assert bad not in lowered, bad


def test_snippets_keep_their_marks_and_nothing_else():
    snippet = '学习<mark>四个自信</mark>，&lt;b&gt;不是标签&lt;/b&gt;<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">链接</a>'
    assert str(marked_snippet(snippet)) == "学习<mark>四个自信</mark>，&lt;b&gt;不是标签&lt;/b&gt;链接"


def test_no_template_marks_data_as_safe():
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", source), template.name


def test_every_url_attribute_in_the_theme_goes_through_the_scheme_check():
    """An href/src/… whose value starts with a template expression must be filtered by safe_url (or be a
    variable set from safe_url in the same template); a literal start ("/columns/…", "tel:") fixes the scheme."""
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text(encoding="utf-8")
        checked = set(re.findall(r"{%\s*set\s+(\w+)\s*=[^%]*\|\s*safe_url", source))
        for attribute, value in re.findall(r'\b(href|src|srcset|action|poster)="({{[^"]*)"', source):
            first = re.match(r"{{\s*(.*?)\s*}}", value).group(1)
            assert re.search(r"\|\s*safe_(url|srcset)\s*$", first) or first in checked, f"{template.name}: {attribute}={value}"


def test_preview_of_a_hostile_api_item_has_no_live_script():
    """render_item_page (the admin preview) renders whatever dict it is given through the same templates."""
    item = {
        "id": 7, "item_type": "news", "title": "学习要闻", "site_path": "/news/7/", "columns": [], "tags": [],
        "date": "2024-07-01", "source": "南关区委组织部", "summary": "", "body": HOSTILE_BODY,
    }
    page = render_item_page(item, CONFIG)
    assert "共产党员网" in page and "未闭合的粗体" in page
    assert_no_live_script(page, "preview")


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of every <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def scheme_of(url: str) -> str:
    """What a browser takes for the scheme (decoded entities, no tabs/newlines/controls), lower case."""
    probe = re.sub(r"[\x00-\x20]", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", probe)
    return match.group(1) if match else ""


def assert_no_live_script(page: str, where: str) -> None:
    parser = Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        if tag == "script" and "src" in attrs:  # only the theme's own files (static/*.js, published under /assets/)
            assert re.fullmatch(r"/assets/[a-z_-]+\.[0-9a-f]{12}\.js", attrs["src"]), f"{where}: <script src={attrs['src']!r}>"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}>"
            if name in ("href", "src", "action", "poster", "srcset") and value:
                # the theme's own: tel: for a site's phone, an empty data: favicon
                allowed = {"", "http", "https", "tel"} | ({"data"} if (tag, value) == ("link", "data:,") else set())
                assert scheme_of(value) in allowed, f"{where}: <{tag} {name}={value!r}>"
    for script in parser.scripts:
        assert script in (MAP_JS, ""), f"{where}: a <script> that is not the theme's map script"


def test_hostile_values_stored_in_the_database_never_reach_a_built_page(cms_api_url, tmp_path):
    series_episode = VideoEpisode.objects.filter(page__live=True, page__district_only=False).order_by("pk").first()
    VideoEpisode.objects.filter(pk=series_episode.pk).update(video_url=" JavaScript:alert('视频')", video_file=None)
    issue = PeriodicalIssue.objects.filter(page__live=True, page__district_only=False).order_by("pk").first()
    PeriodicalIssue.objects.filter(pk=issue.pk).update(url="java\tscript:alert('期刊')", document=None)
    book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    EBookPage.objects.filter(pk=book.pk).update(reader_url="data:text/html,<script>alert('图书')</script>")
    news = NewsPage.objects.live().filter(district_only=False).order_by("pk").first()
    NewsPage.objects.filter(pk=news.pk).update(body=HOSTILE_BODY)
    # What a broken or compromised search service could hand the builder for its hot-word pages.
    hot_words = tmp_path / "hot.json"
    hot_words.write_text(json.dumps({"hot_words": [
        {"word": "三会一课<script>alert(6)</script>", "url": "/hot/sanhui/", "results": [
            {"title": "<script>alert(7)</script>三会一课讲义", "url": news.site_path, "type": "news",
             "cover": "javascript:alert(9)", "date": "2024-07-01",
             "snippet": '落实<mark>三会一课</mark>制度<img src=x onerror="alert(10)"><script>alert(11)</script>'},
            {"title": "三会一课外链", "url": "javascript:alert(8)", "type": "ebook", "cover": None, "date": "2024-07-01",
             "snippet": "外链"},
            {"title": "三会一课学习手册", "url": book.site_path, "type": "ebook", "cover": None, "date": "2024-07-01",
             "snippet": "<mark>三会一课</mark>学习手册"},
        ]},
        {"word": "白山黑水", "url": "vbscript:msgbox(12)"},
    ]}, ensure_ascii=False), encoding="utf-8")

    out = tmp_path / "site"
    build_site(cms_api_url, out, config=replace(CONFIG, hot_words_source=str(hot_words)))

    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for path, data in files.items():
        lowered = data.lower()
        for bad in (rb"java\s*script\s*:", rb"vb\s*script\s*:", rb"data:text", rb"onerror", rb"onclick", rb"alert\((1|2|3|4|5|8|9|10|11|12)\)"):
            assert not re.search(bad, lowered), f"{path}: {bad!r}"
        if path.endswith(".html"):
            assert_no_live_script(data.decode("utf-8"), path)
        else:
            assert b"<script" not in lowered, path

    def page(site_path: str) -> str:
        return (out / site_path.lstrip("/") / "index.html").read_text(encoding="utf-8")

    # The items are still there, only without the dangerous links.
    episode_page = page(series_episode.site_path)
    assert series_episode.title in episode_page and "<video" not in episode_page and "打开视频" not in episode_page
    issue_page = page(issue.site_path)
    assert issue.page.title in issue_page and "在线阅读本期" not in issue_page
    book_page = page(book.site_path)
    assert book.title in book_page and "在线阅读" not in book_page
    news_page = page(news.site_path)
    assert '<a href="https://www.12371.cn/" rel="noopener">共产党员网</a>' in news_page
    assert "点此学习" in news_page and "<b>未闭合的粗体</b>" in news_page
    hot_page = page("/hot/sanhui/")
    assert "落实<mark>三会一课</mark>制度" in hot_page and "&lt;script&gt;alert(7)&lt;/script&gt;三会一课讲义" in hot_page
    assert f'href="{book.site_path}"' in hot_page and "三会一课外链" not in hot_page  # names only pages of the build
    assert ">白山黑水</a>" not in page("/")  # a hot word whose link is unsafe is left out, not linked to nothing
    words = json.loads(files["hot/words.json"])
    assert words == [{"word": "三会一课<script>alert(6)</script>", "url": "/hot/sanhui/"}]
