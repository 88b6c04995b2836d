"""Pre-rendered hot-word pages (/hot/<slug>/): a tap on a hot word needs no search server at all.

The search service publishes its hot words with their top results at /api/hotwords/?with_results=1
(search_index.views); source.load_hot_words reads them and this module plans a page per word whose
URL is a /hot/ one, for the `hot` template.
"""

from __future__ import annotations

from dataclasses import replace

from .pages import Page, SitePlan
from .safety import safe_url
from .source import HotWord

TYPE_LABELS = {
    "ebook": "图书", "periodical": "党刊", "issue": "期刊", "series": "视频", "episode": "视频分集",
    "site": "红色地标", "news": "要闻", "activity": "学习活动",
}


def plan_hot_pages(plan: SitePlan, hot_words: list[HotWord]) -> None:
    """/hot/words.json (the list, for any client) and one page per hot word with a /hot/<slug>/ URL;
    the result covers join the media to download."""
    plan.json_files["/hot/words.json"] = [{"word": hot.word, "url": url} for hot in hot_words if (url := safe_url(hot.url))]
    # Like every page, a hot-word page names only pages of this build: an index a moment behind must not
    # bring back an item that has just left the public set.
    built = {page.path for page in plan.pages}
    for hot in hot_words:
        if not hot.url.startswith("/hot/"):
            continue
        hot = replace(hot, results=tuple(result for result in hot.results if result.get("url") in built))
        plan.add(Page(hot.url, "hot", {"title": hot.word, "hot": hot, "type_labels": TYPE_LABELS}))
        covers = [result["cover"] for result in hot.results if safe_url(result.get("cover"))]
        plan.media = sorted(set(plan.media) | set(covers))
