"""learning.js in a real browser on the built site (one origin): a logged-in member's book page sends a study beat after
30 visible seconds and it is credited; an anonymous reader's page sends the page view and no beat at all.

Time passes as Chromium's virtual time (Emulation.setVirtualTimePolicy): the page's own timers run 31 s without the
test waiting them out, and nothing in the script is changed for the test.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from content_models.models import EBookPage, PeriodicalPage, VideoSeriesPage
from content_models.taxonomy import District
from members.models import Member, StudyRecord
from tests.one_origin import one_origin

PASSWORD = "xuexi-2026-nanguan"


def log_in(site: str, member: Member) -> requests.Session:
    session = requests.Session()
    form = session.get(site + "/me/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    answer = session.post(site + "/me/login/", {"phone": member.phone, "password": PASSWORD, "csrfmiddlewaretoken": token},
                          headers={"Origin": site, "Referer": site + "/me/login/"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    return session


def posts_after(chromium, url: str, seconds: int) -> list[dict]:
    """Open url in a tab of its own, let `seconds` of virtual time pass on it, and return the POSTs it made (url, body).

    Its own tab: once the budget is spent the tab's virtual time stays paused, which no other test should inherit.
    """
    target = chromium.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    shared = chromium.session
    chromium.session = chromium.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        chromium.page("Network.enable")
        chromium.open(url)
        chromium.page("Emulation.setVirtualTimePolicy", {"policy": "advance", "budget": seconds * 1000})
        chromium.wait_for_event("Emulation.virtualTimeBudgetExpired", timeout=60)
        chromium.evaluate("0")  # a round trip more: the last beacon has been handed to the network
        return [
            {"url": event["params"]["request"]["url"], "body": json.loads(event["params"]["request"].get("postData") or "null")}
            for event in chromium.events
            if event.get("method") == "Network.requestWillBeSent" and event.get("sessionId") == chromium.session
            and event["params"]["request"]["method"] == "POST"
        ]
    finally:
        chromium.session = shared
        chromium.send("Target.closeTarget", {"targetId": target})


@pytest.mark.browser
def test_a_member_s_book_page_sends_a_credited_beat_and_an_anonymous_page_sends_none(chromium, cms_api_url, settings, tmp_path):
    member = Member(name="李桂兰", phone="13900000201", district=District.objects.get(name="南关区"))
    member.set_password(PASSWORD)
    member.save()
    book = EBookPage.objects.live().filter(district_only=False, document__isnull=False).order_by("pk").first()
    with one_origin(cms_api_url, tmp_path, settings) as site:
        try:
            anonymous = posts_after(chromium, f"{site}{book.site_path}read/2/", 31)
            assert [post["url"] for post in anonymous] == [f"{site}/api/stats/view"]
            assert anonymous[0]["body"] == {"page": book.pk, "path": f"{book.site_path}read/2/"}

            session = log_in(site, member)
            host = site.split("//")[1].split(":")[0]
            for name, value in session.cookies.items():
                chromium.page("Network.setCookie", {"name": name, "value": value, "domain": host, "path": "/"})
            posts = posts_after(chromium, f"{site}{book.site_path}read/2/", 31)
            beats = [post["body"] for post in posts if post["url"] == f"{site}/api/learning/beats"]
            assert len(beats) == 1, posts
            assert {key: beats[0][key] for key in ("page", "seconds", "position")} == {"page": book.pk, "seconds": 30, "position": 2}
            assert re.fullmatch(r"[0-9a-f-]{32,36}", beats[0]["beat"])
            assert chromium.errors() == []
            for _ in range(50):  # the beacon is answered after the page moved on
                if StudyRecord.objects.filter(member=member).exists():
                    break
                time.sleep(0.1)
            record = StudyRecord.objects.get(member=member)
            assert (record.item_id, record.seconds, record.position) == (book.pk, 30, 2)
        finally:
            chromium.page("Network.clearBrowserCookies")


@pytest.mark.browser
def test_item_issue_reader_and_episode_pages_name_their_item_and_load_the_script(cms_api_url, settings, tmp_path):
    book = EBookPage.objects.live().filter(district_only=False, document__isnull=False).order_by("pk").first()
    periodical = PeriodicalPage.objects.live().filter(district_only=False).order_by("pk").first()
    issue = periodical.issues.first()
    series = VideoSeriesPage.objects.live().filter(district_only=False).order_by("pk").first()
    episode = series.episodes.first()
    expected = {
        book.site_path: f'<body data-item="{book.pk}">',
        f"{book.site_path}read/3/": f'<body data-item="{book.pk}" data-position="3">',
        issue.site_path: f'<body data-item="{periodical.pk}">',
        episode.site_path: f'<body data-item="{series.pk}">',
        "/": "<body>",
    }
    with one_origin(cms_api_url, tmp_path, settings) as site:
        pages = {path: requests.get(site + path, timeout=30).text for path in expected}
    found = {path: re.search(r"<body[^>]*>", html).group(0) for path, html in pages.items()}
    assert found == expected
    assert all(re.search(r'<script src="/assets/learning\.[0-9a-f]+\.js" defer></script>', html) for html in pages.values())
