"""Search, suggestion and hot-word endpoints: HTML in the site's theme (no JavaScript) and JSON.

They need only settings.SEARCH_INDEX_DIR and the QueryLog table, so they can run on their own
(cms/settings/search.py) on as many machines as the traffic wants.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_GET
from markupsafe import Markup

from site_builder.safety import JINJA_FILTERS

from . import hotwords
from .indexer import IndexNotFoundError
from .query import MAX_PAGE, SearchResult, search, suggest
from .sync import read_labels

THEME_DIR = Path(__file__).resolve().parent.parent / "themes" / "default"
TYPE_LABELS = {
    "ebook": "图书", "periodical": "党刊", "issue": "期刊", "series": "视频", "episode": "视频分集",
    "audio": "音频", "audio_episode": "音频分集", "site": "红色地标", "news": "要闻",
    "activity": "学习活动", "page": "书刊正文",
}
SEARCH_MAX_AGE = 60
SUGGEST_MAX_AGE = 300
PER_PAGE = 10
MAX_PARAM_CHARS = 64


def index_dir() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def cn_date(value: str | None) -> str:
    if not value or len(value) < 10:
        return value or ""
    year, month, day = value[:10].split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


@lru_cache(maxsize=1)
def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(THEME_DIR / "templates")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["duration"] = lambda s: f"{int(s or 0) // 60}分{int(s or 0) % 60:02d}秒"
    env.filters["file_size"] = lambda n: f"{(n or 0) // 1024 + 1} KB"
    env.filters.update(JINJA_FILTERS)  # URL checks and snippet cleaning, as in the static site
    return env


@lru_cache(maxsize=1)
def critical_css() -> Markup:
    try:
        return Markup((THEME_DIR / "static" / "site.css").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Markup("")


def render(template: str, context: dict, status: int = 200, max_age: int | None = SEARCH_MAX_AGE) -> HttpResponse:
    """A page of the public site rendered live in the theme; `max_age=None` for a member's own page (never cached)."""
    labels = read_labels(index_dir())
    base = {
        "site_name": "党史学习资源库",
        "site_url": "",
        "search_url": "/search/",
        "nav_columns": [{"slug": s, "name": n} for s, n in labels.get("column", {}).items()],
        "critical_css": critical_css(),
    }
    html = jinja_env().get_template(template).render({**base, **context})
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    return cache(response, max_age)


def cache(response: HttpResponse, max_age: int | None) -> HttpResponse:
    response["Cache-Control"] = "private, no-store" if max_age is None else f"public, max-age={max_age}"
    return response


def json_response(data, max_age: int = SEARCH_MAX_AGE, status: int = 200) -> HttpResponse:
    """UTF-8 JSON with <, > and & escaped, so it is safe even if someone pastes it into HTML."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return cache(HttpResponse(body, status=status, content_type="application/json; charset=utf-8"), max_age)


def _param(request: HttpRequest, name: str) -> str:
    return (request.GET.get(name) or "")[:MAX_PARAM_CHARS].strip()


def _filter(request: HttpRequest, name: str) -> str | None:
    value = _param(request, name)
    return value if value and value.replace("-", "").replace("_", "").isalnum() and value.isascii() else None


def _page(request: HttpRequest) -> int:
    try:
        return min(max(int(_param(request, "page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def run_search(request: HttpRequest) -> tuple[str, dict, SearchResult | None]:
    """(raw q, filters, result or None when no index is built yet); logs the query when it is worth it."""
    raw = (request.GET.get("q") or "")[:400]
    filters = {"type": _filter(request, "type"), "column": _filter(request, "column"), "district": _filter(request, "district")}
    page = _page(request)
    try:
        result = search(index_dir(), raw, page=page, per_page=PER_PAGE, **filters)
    except IndexNotFoundError:
        return raw, filters, None
    if page == 1 and not any(filters.values()) and result.total:
        # `yanan` answered with 延安's results counts for 延安: what was found, not the keystrokes.
        hotwords.log_query(request, result.corrected_query if result.used_correction else raw)
    return raw, filters, result


def _link(q: str, filters: dict, **changes) -> str:
    params = {"q": q, **{k: v for k, v in filters.items() if v}}
    params.update(changes)
    return "/search/?" + urlencode({k: v for k, v in params.items() if v})


def _facet_links(result: SearchResult, q: str, filters: dict) -> list[dict]:
    labels = read_labels(index_dir())
    groups = []
    for name, title, names in (
        ("type", "类型", TYPE_LABELS), ("column", "栏目", labels.get("column", {})), ("district", "县市区", labels.get("district", {})),
    ):
        counts = result.facets.get(name) or {}
        if not counts:
            continue
        links = [
            {"label": names.get(value, value), "count": count, "url": _link(q, filters, **{name: value}), "current": filters.get(name) == value}
            for value, count in counts.items()
        ]
        if filters.get(name):
            links.insert(0, {"label": "全部", "count": None, "url": _link(q, {**filters, name: None}), "current": False})
        groups.append({"title": title, "links": links})
    return groups


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    raw, filters, result = run_search(request)
    context = {"title": "搜索", "page_path": "/search/", "q": raw[:100], "result": result, "type_labels": TYPE_LABELS}
    if result is not None:
        context["title"] = f"搜索：{result.query}" if result.query else "搜索"
        context["facets"] = _facet_links(result, result.query, filters)
        if result.corrected_query:
            context["corrected_url"] = _link(result.corrected_query, filters)
        if result.page > 1:
            context["previous_url"] = _link(result.query, filters, page=str(result.page - 1))
        if result.page < min(result.pages, MAX_PAGE):
            context["next_url"] = _link(result.query, filters, page=str(result.page + 1))
        context["hot_words"] = [hotwords.hot_word_entry(w) for w in _hot_words_cached()] if not result.query else []
    if result is None:
        return render("search.html", context, status=503, max_age=0)
    return render("search.html", context)


def result_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "pages": result.pages,
        "per_page": result.per_page,
        "corrected_query": result.corrected_query,
        "used_correction": result.used_correction,
        "used_or_fallback": result.used_or_fallback,
        "partial": result.partial,
        "facets": result.facets,
        "hits": [
            {
                "key": h.key, "type": h.type, "title": h.title, "url": h.url, "cover": h.cover, "date": h.date,
                "district": h.district, "columns": h.columns, "title_html": h.title_html, "snippet_html": h.snippet_html,
            }
            for h in result.hits
        ],
    }


@require_GET
def search_api(request: HttpRequest) -> HttpResponse:
    _raw, _filters, result = run_search(request)
    if result is None:
        return json_response({"error": "搜索索引尚未建立"}, max_age=0, status=503)
    return json_response(result_json(result))


@require_GET
def suggest_api(request: HttpRequest) -> HttpResponse:
    prefix = _param(request, "q")
    try:
        found = suggest(index_dir(), prefix, limit=16) if prefix else []
    except (IndexNotFoundError, FileNotFoundError):
        found = []
    blocked = hotwords.blocked_words()
    words = [w for w in found if not hotwords.is_blocked(w, blocked)][:8]
    return json_response(words, max_age=SUGGEST_MAX_AGE)


def _hot_words_cached() -> list[str]:
    """The public hot words (the stored list), kept a minute per process; a refresh drops this process's copy."""
    from django.core.cache import cache as django_cache

    words = django_cache.get(hotwords.SHOWN_CACHE_KEY)
    if words is None:
        words = hotwords.hot_words()
        django_cache.set(hotwords.SHOWN_CACHE_KEY, words, hotwords.SHOWN_CACHE_SECONDS)
    return words


@require_GET
def hotwords_api(request: HttpRequest) -> HttpResponse:
    """The public hot words as stored by the last refresh (the static site is built from this answer, so it is
    read fresh, never from a cache); with_results=1 adds each word's top results for /hot/<slug>/ pages."""
    entries = [hotwords.hot_word_entry(w) for w in hotwords.hot_words()]
    if request.GET.get("with_results"):
        try:
            entries = [{**e, "results": hotwords.top_results(index_dir(), e["word"])} for e in entries]
        except IndexNotFoundError:
            return json_response({"error": "搜索索引尚未建立"}, max_age=0, status=503)
    return json_response(entries, max_age=SUGGEST_MAX_AGE)


# The static reader pages' folders: /books/<id>/read/ and /periodicals/<id>/<year>-<nn>/read/. Nothing else is a target.
READER_BASE = re.compile(r"^/(?:books/[0-9]{1,10}|periodicals/[0-9]{1,10}/[0-9]{4}-[0-9]{2,3})/read/$")
MAX_READER_PAGES = 100_000
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # a Chinese keyboard may type ３７


@require_GET
def jump_to_page(request: HttpRequest) -> HttpResponse:
    """「跳到第 __ 页」 for the static reader pages without JavaScript (a static page cannot read ?n=): a redirect to
    `<to><n>/` on this site, n clamped to 1..`of`. Only reader folders of this site are targets (a path matching
    READER_BASE, never a host), so it is no open redirect. A page number that is not a number gets a form again."""
    to = _param(request, "to")
    if not READER_BASE.match(to):
        return render("404.html", {"title": "页面没有找到"}, status=404)
    count = _param(request, "of")
    count = min(int(count), MAX_READER_PAGES) if count.isdigit() and int(count) > 0 else MAX_READER_PAGES
    typed = _param(request, "n")
    digits = typed.translate(FULL_WIDTH_DIGITS)
    if not digits.isdigit() or not digits.isascii():
        shown = count if count < MAX_READER_PAGES else None
        return render("jump.html", {"title": "请输入页码", "to": to, "count": shown, "typed": typed}, status=400, max_age=0)
    number = min(max(int(digits), 1), count)
    return cache(HttpResponseRedirect(f"{to}{number}/"), SUGGEST_MAX_AGE)


@require_GET
def hot_page(request: HttpRequest, slug: str) -> HttpResponse:
    """/hot/<slug>/ served live for a word on the public list (the static site pre-renders the same template)."""
    for word in _hot_words_cached():
        if hotwords.slug_for(word) == slug:
            entry = {**hotwords.hot_word_entry(word), "results": hotwords.top_results(index_dir(), word)}
            return render("hot.html", {"title": word, "page_path": entry["url"], "hot": entry, "type_labels": TYPE_LABELS})
    return render("404.html", {"title": "页面没有找到"}, status=404)
