"""「大字」 and 「朗读」 in a real browser: the big-text toggle is remembered across pages, the read-aloud button appears
only where a Chinese voice exists and reads the marked text in zh-CN; the compact header's 栏目 opens without JS."""

from __future__ import annotations

import pytest

from content_models.models import EBookPage, MapSitePage, NewsPage

from .test_site_in_chromium import served_site  # noqa: F401 (the fixture: the tiny catalogue, built and served)

# A browser with one Chinese voice, whose speak() records what it was asked to say.
FAKE_ZH_VOICE = """
window.__spoken = [];
const voices = [{lang: "zh-CN", name: "测试普通话", default: true}];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  getVoices: () => voices, speak: (u) => window.__spoken.push([u.lang, u.text]), cancel: () => {}, addEventListener: () => {},
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""
NO_SPEECH = "delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;"
STATE_JS = """
(() => ({
  font: parseFloat(getComputedStyle(document.body).fontSize),
  big: document.querySelector(".tool") && document.querySelector(".tool").getAttribute("aria-pressed"),
  read: [...document.querySelectorAll("button.read")].length,
}))()
"""


def open_with(chromium, url: str, script: str) -> None:
    added = chromium.page("Page.addScriptToEvaluateOnNewDocument", {"source": script})["identifier"]
    try:
        chromium.open(url)
    finally:
        chromium.page("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added})


@pytest.mark.browser
def test_big_text_is_remembered_and_read_aloud_needs_a_chinese_voice(chromium, served_site):  # noqa: F811
    news = NewsPage.objects.live().filter(district_only=False, view_restrictions__isnull=True).order_by("pk").first()
    book = EBookPage.objects.live().order_by("pk").first()

    open_with(chromium, served_site + news.site_path, NO_SPEECH)
    before = chromium.evaluate(STATE_JS)
    assert before == {"font": 19, "big": "false", "read": 0}  # no speech in this browser: no dead button
    chromium.evaluate('document.querySelector(".tool").click()')
    assert chromium.evaluate(STATE_JS)["font"] == 24

    open_with(chromium, served_site + book.site_path, FAKE_ZH_VOICE)  # another page: still big
    after = chromium.evaluate(STATE_JS)
    assert after["font"] == 24 and after["big"] == "true"
    assert after["read"] == 0  # nothing on a book's page is marked for reading aloud
    chromium.evaluate('document.querySelector(".tool").click()')  # back to normal, remembered too
    assert chromium.evaluate(STATE_JS)["font"] == 19

    open_with(chromium, served_site + news.site_path, FAKE_ZH_VOICE)
    assert chromium.evaluate(STATE_JS) == {"font": 19, "big": "false", "read": 1}
    chromium.evaluate('document.querySelector("button.read").click()')
    spoken = chromium.evaluate("window.__spoken")
    body = chromium.evaluate('document.querySelector("[data-read-aloud]").innerText')
    assert spoken and all(lang == "zh-CN" for lang, _ in spoken)
    assert "".join(text for _, text in spoken).replace(" ", "") == " ".join(body.split()).replace(" ", "")
    assert chromium.evaluate('document.querySelector("button.read").textContent') == "停止朗读"
    assert chromium.errors() == []


@pytest.mark.browser
def test_compact_header_opens_the_columns_without_javascript(chromium, served_site):  # noqa: F811
    book = EBookPage.objects.live().order_by("pk").first()
    chromium.page("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        chromium.open(served_site + book.site_path)
        hidden = chromium.evaluate('document.querySelector(".menu nav a").checkVisibility()')
        title_top = chromium.evaluate('document.querySelector("h1").getBoundingClientRect().top')
        box = chromium.evaluate('(() => { const r = document.querySelector(".menu summary").getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()')
        for kind in ("mousePressed", "mouseReleased"):
            chromium.page("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})
        shown = chromium.evaluate('(() => { const a = document.querySelector(".menu nav a"); return a.checkVisibility() && a.getBoundingClientRect().height; })()')
    finally:
        chromium.page("Emulation.setScriptExecutionDisabled", {"value": False})
    assert hidden is False and shown >= 44
    assert title_top < 160  # the title starts on the first fifth of a 640 px screen


@pytest.mark.browser
def test_map_list_can_show_distances_from_the_members_position(chromium, served_site):  # noqa: F811
    site = MapSitePage.objects.live().filter(district__slug="nanguan").order_by("pk").first()
    lat, lng = float(site.latitude), float(site.longitude)
    chromium.send("Browser.grantPermissions", {"permissions": ["geolocation"], "origin": served_site})
    chromium.page("Emulation.setGeolocationOverride", {"latitude": lat + 0.009, "longitude": lng, "accuracy": 10})  # ~1 km north
    try:
        chromium.open(served_site + "/map/nanguan/")
        before = chromium.evaluate('document.querySelector("ol[data-near] .far").textContent')
        chromium.evaluate('[...document.querySelectorAll("button")].find((b) => b.textContent === "按我的位置排序").click()')
        chromium.evaluate("new Promise((resolve) => setTimeout(resolve, 500))")
        after = chromium.evaluate('document.querySelector("ol[data-near] .far").textContent')
    finally:
        chromium.page("Emulation.clearGeolocationOverride")
        chromium.send("Browser.resetPermissions")
    assert before.startswith("距南关区中心") and after == "离您约 1.0 公里"
    assert chromium.errors() == []
