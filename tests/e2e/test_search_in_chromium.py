"""Searching on a 360 px phone through the one public origin: a usable search form, and a tap on a result opens its page."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.one_origin import one_origin

from .test_site_in_chromium import ARTIFACTS, REPORT_JS

QUERY = "延安精神"

FORM_JS = r"""
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {width: r.width, height: r.height}; };
  return {
    input: box(document.querySelector("main form.search input")),
    button: box(document.querySelector("main form.search button")),
    headerValue: document.querySelector("header form.search input").value,
    mainValue: document.querySelector("main form.search input").value,
    firstResult: (document.querySelector("ol.results a.card .t") || {}).textContent || "",
  };
})()
"""


@pytest.fixture
def site(cms_api_url, tmp_path, settings) -> Iterator[str]:
    with one_origin(cms_api_url, tmp_path, settings) as url:
        yield url


@pytest.mark.browser
def test_search_form_is_full_width_and_a_result_tap_opens_the_item_on_a_360px_phone(chromium, site):
    chromium.open(f"{site}/search/?q={quote(QUERY)}")
    form = chromium.evaluate(FORM_JS)
    report = chromium.evaluate(REPORT_JS)
    chromium.screenshot(ARTIFACTS / "search-360.png")
    assert form["input"]["width"] >= 200, form
    assert form["button"]["width"] >= 44 and form["button"]["height"] >= 44, form
    assert (form["headerValue"], form["mainValue"]) == (QUERY, QUERY)
    assert form["firstResult"]
    assert (chromium.errors(), report["small"], report["lowContrast"], report["overflow"]) == ([], [], [], False)

    chromium.events.clear()
    chromium.evaluate('document.querySelector("ol.results a.card").click()')
    chromium.wait_for_event("Page.loadEventFired")
    opened = chromium.evaluate("({origin: location.origin, path: location.pathname, h1: document.querySelector('h1').textContent})")
    assert opened["origin"] == site and opened["path"] != "/search/"
    assert opened["h1"].strip() == form["firstResult"].strip()
