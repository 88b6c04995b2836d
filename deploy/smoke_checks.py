"""deploy/smoke.sh's checks: what members and an editor do, over HTTP through nginx, one PASS or FAIL line each.

Only HTTP (and the media folder, to compare bytes): the editor logs in and publishes through the admin's own forms
as a browser does, so CSRF, cookies, the proxy headers and the X-Accel-Redirect path are all on the way.
Exit status: the number of failed checks (0 = all passed).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import socket
import sys
import time
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

TIMEOUT = 30
# How long the worker may take to publish an edit (the first builds take longer: see wait_for_first_build).
PUBLISH_SECONDS = 180
FIRST_BUILD_SECONDS = 600
NGINX_429_TEXT = "请稍等一分钟再试"  # deploy/nginx/errors/429.html and the JSON answer under /api/
AXES_TEXT = "登录失败次数过多"  # cms.ratelimit.login_locked_out
THEME_404_TEXT = "抱歉，没有找到这个页面"  # themes/default/templates/404.html
HOSTILE_QUERY = (
    '<script>alert("x")</script> "四个自信" AND NOT (延安 OR title:*) ~2 ^3 [a TO z] {b} \\ / ? '
    + "白山黑水" * 40 + " %00 ' -- ; DROP TABLE" + "ｘ" * 200
)


class Form(HTMLParser):
    """The fields one <form> would submit without any button (what a browser sends, before its JavaScript)."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form" and (self.form_id is None or a.get("id") == self.form_id):
            self.inside = True
        if not self.inside or "disabled" in a:
            return
        kind = a.get("type", "text").lower()
        if tag == "input" and a.get("name") and kind not in ("submit", "button", "image", "reset", "file", "range"):
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea, self.text = a["name"], ""
        elif tag == "select" and a.get("name"):
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
            self.form_id = "\0"  # only the first matching form
        elif tag == "textarea" and self.textarea is not None:
            # The HTML parser drops the newline right after <textarea>; Django writes one there.
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected] or [value for value, _ in self.options[:1]]
            self.fields += [(self.select, value) for value in chosen]
            self.select = None


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    parser = Form(form_id)
    parser.feed(html)
    return parser.fields


def snippet_headers(path: Path) -> dict[str, str]:
    """The headers deploy/nginx/security_headers.conf adds: {name: value}."""
    return dict(re.findall(r'^add_header\s+(\S+)\s+"([^"]*)"', path.read_text(encoding="utf-8"), re.M))


class Smoke:
    def __init__(self, args: argparse.Namespace) -> None:
        self.public = args.public.rstrip("/")
        self.admin = args.admin.rstrip("/")
        self.args = args
        self.failed: list[str] = []
        self.member = requests.Session()
        self.editor = requests.Session()

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'} {name}{f' ({detail})' if detail else ''}", flush=True)
        if not ok:
            self.failed.append(name)
        return ok

    def get(self, url: str, session: requests.Session | None = None, **kwargs) -> requests.Response:
        return (session or self.member).get(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)

    def wait(self, seconds: float, condition: Callable[[], bool], interval: float = 1.0) -> float | None:
        """Seconds until `condition()` held, or None when it never did within `seconds`."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if condition():
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(interval)
        return None

    def search_hits(self, query: str) -> list[dict]:
        response = self.get(f"{self.public}/api/search/", params={"q": query})
        return response.json().get("hits", []) if response.status_code == 200 else []

    # -- the site and the index, as the worker built them through the queue ---------------------------------
    def first_news(self) -> dict:
        response = self.get(f"{self.admin}/api/v2/pages/", params={"type": "content_models.NewsPage", "fields": "title", "limit": 1})
        response.raise_for_status()
        return response.json()["items"][0]

    def wait_for_first_build(self, news: dict) -> None:
        def ready() -> bool:
            return self.get(f"{self.public}/").status_code == 200 and any(
                hit["key"] == f"news:{news['id']}" for hit in self.search_hits(news["title"]))

        took = self.wait(FIRST_BUILD_SECONDS, ready, interval=2)
        self.check("the worker built the site and the search index through the queue", took is not None,
                   f"{took:.0f} s" if took is not None else f"not within {FIRST_BUILD_SECONDS} s")

    def static_site(self, news: dict) -> None:
        home = self.get(f"{self.public}/", headers={"Accept-Encoding": "gzip"})
        self.check("home page 200 from the build folder", home.status_code == 200 and "党史学习资源库" in home.text)
        expected = snippet_headers(self.args.security_headers)
        wrong = [name for name, value in expected.items() if home.headers.get(name) != value]
        self.check(f"home page carries security_headers.conf's {len(expected)} headers", bool(expected) and not wrong,
                   f"missing or different: {', '.join(wrong)}" if wrong else "")
        self.check("HTML is revalidated (Cache-Control: no-cache)", home.headers.get("Cache-Control") == "no-cache",
                   home.headers.get("Cache-Control", ""))
        self.check("HTML is gzipped for a gzip client", home.headers.get("Content-Encoding") == "gzip")
        br = self.get(f"{self.public}/", headers={"Accept-Encoding": "br, gzip"}, stream=True)
        br.close()
        self.check("HTML is compressed for a brotli client", br.headers.get("Content-Encoding") in ("br", "gzip"),
                   f"Content-Encoding: {br.headers.get('Content-Encoding')}")
        page = self.get(f"{self.public}/news/{news['id']}/")
        self.check("a news page is served", page.status_code == 200 and news["title"] in page.text)
        folder = self.get(f"{self.public}/news/{news['id']}")
        self.check("a folder without its slash redirects to it", folder.status_code == 301
                   and folder.headers.get("Location") == f"/news/{news['id']}/", folder.headers.get("Location", ""))
        missing = self.get(f"{self.public}/no-such-page/")
        self.check("an unknown path answers the theme's 404", missing.status_code == 404 and THEME_404_TEXT in missing.text)
        covers = re.findall(r'src="(/media/images/[^"]+)"', home.text)
        if self.check("the home page shows covers from the build", bool(covers)):
            cover = self.get(self.public + covers[0])
            self.check("a cover is served from the build, cached long", cover.status_code == 200
                       and cover.headers.get("Content-Type", "").startswith("image/")
                       and "max-age=2592000" in cover.headers.get("Cache-Control", ""), cover.headers.get("Cache-Control", ""))
        words = self.get(f"{self.public}/hot/words.json")
        self.check("the pre-rendered hot words come from the build", words.status_code == 200
                   and words.headers.get("Content-Type", "").startswith("application/json"))

    def one_origin(self, news: dict) -> None:
        search = self.get(f"{self.public}/search/", params={"q": news["title"]})
        self.check("/search/ is answered by the application on the public origin", search.status_code == 200
                   and f'href="/news/{news["id"]}/"' in search.text)
        static_policy = snippet_headers(self.args.security_headers)["Content-Security-Policy"]
        self.check("/search/ carries the application's CSP, not the static site's as well",
                   search.headers.get("Content-Security-Policy") not in (None, static_policy)
                   and static_policy not in search.headers.get("Content-Security-Policy", ""))
        for path, params in (("/api/suggest/", {"q": news["title"][:2]}), ("/api/hotwords/", {})):
            response = self.get(self.public + path, params=params)
            self.check(f"{path} is answered by the application", response.status_code == 200
                       and response.headers.get("Content-Type", "").startswith("application/json"))
        for path in ("/admin/", "/admin/login/", "/api/v2/pages/", "/preview/", "/documents/1/a.pdf",
                     "/static/wagtailadmin/css/core.css", "/django-admin/"):
            response = self.get(self.public + path)
            self.check(f"{path} is not on the public origin", response.status_code == 404, str(response.status_code))
        login = self.get(f"{self.admin}/admin/login/")
        self.check("the editors' host answers /admin/login/", login.status_code == 200 and "csrfmiddlewaretoken" in login.text)
        self.check("an unknown host name gets no answer", self.unknown_host_refused())

    def unknown_host_refused(self) -> bool:
        host, port = urlsplit(self.public).hostname, urlsplit(self.public).port
        with socket.create_connection((host, port), timeout=TIMEOUT) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
            return connection.recv(100) == b""

    def hostile_query(self) -> None:
        page = self.get(f"{self.public}/search/", params={"q": HOSTILE_QUERY})
        self.check("a hostile query is answered 200 on /search/", page.status_code == 200, str(page.status_code))
        self.check("the hostile query comes back escaped", "<script>alert" not in page.text and "&lt;script&gt;" in page.text)
        for path in ("/api/search/", "/api/suggest/"):
            response = self.get(self.public + path, params={"q": HOSTILE_QUERY})
            self.check(f"a hostile query is answered 200 JSON on {path}", response.status_code == 200
                       and response.headers.get("Content-Type", "").startswith("application/json"), str(response.status_code))

    # -- an editor through the admin's HTTP views -------------------------------------------------------------
    def log_in(self, session: requests.Session, password: str) -> requests.Response:
        form = session.get(f"{self.admin}/admin/login/", timeout=TIMEOUT)
        data = dict(form_fields(form.text, None))
        data.update(username=self.args.username, password=password)
        return session.post(f"{self.admin}/admin/login/", data=data, timeout=TIMEOUT, allow_redirects=False,
                            headers={"Origin": self.admin, "Referer": f"{self.admin}/admin/login/"})

    def member_study(self) -> None:
        """The demo member logs in on the public origin (CSRF through nginx), reads /api/me/, and a study beat and a page
        view are accepted by the application behind nginx."""
        member = requests.Session()
        form = member.get(f"{self.public}/me/login/", timeout=TIMEOUT)
        data = dict(form_fields(form.text, "login-form"))  # the header's search form comes first
        data.update(phone="13900000001", password=self.args.password)
        login = member.post(f"{self.public}/me/login/", data=data, timeout=TIMEOUT, allow_redirects=False,
                            headers={"Origin": self.public, "Referer": f"{self.public}/me/login/"})
        if not self.check("the demo member logs in on /me/login/ (CSRF)", login.status_code == 302
                          and member.cookies.get("dangshi_in") == "1", str(login.status_code)):
            return
        me = self.get(f"{self.public}/api/me/", session=member)
        self.check("/api/me/ answers the member's figures, never cached", me.status_code == 200
                   and me.json().get("phone_masked") == "139****0001" and me.headers.get("Cache-Control") == "private, no-store",
                   str(me.status_code))
        self.check("/api/me/ is 401 without a login", self.get(f"{self.public}/api/me/").status_code == 401)
        book = self.get(f"{self.admin}/api/v2/pages/", params={"type": "content_models.EBookPage", "limit": 1}).json()["items"][0]
        beat = {"page": book["id"], "seconds": 30, "beat": str(uuid.uuid4())}
        response = member.post(f"{self.public}/api/learning/beats", data=json.dumps(beat), timeout=TIMEOUT,
                               headers={"Origin": self.public, "Content-Type": "text/plain;charset=UTF-8"})
        self.check("a study beat is accepted (204)", response.status_code == 204, str(response.status_code))
        foreign = member.post(f"{self.public}/api/learning/beats", data=json.dumps({**beat, "beat": str(uuid.uuid4())}),
                              timeout=TIMEOUT, headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
        self.check("a beat from another origin is refused (403)", foreign.status_code == 403, str(foreign.status_code))
        view = requests.post(f"{self.public}/api/stats/view", data=json.dumps({"page": book["id"], "path": "/"}),
                             timeout=TIMEOUT, headers={"Origin": self.public, "Content-Type": "text/plain"})
        self.check("an anonymous page view is counted (204, no cookie)", view.status_code == 204
                   and "Set-Cookie" not in view.headers, str(view.status_code))
        # The static pages' 今日打卡 form: no CSRF token, the site's Origin; then the member's page says it is done.
        checkin = member.post(f"{self.public}/me/checkin/", timeout=TIMEOUT, allow_redirects=False,
                              headers={"Origin": self.public, "Referer": f"{self.public}/"})
        shown = member.get(f"{self.public}/me/checkin/", timeout=TIMEOUT)
        self.check("the member checks in through nginx (303, then 今日已打卡)", checkin.status_code == 303
                   and "今日已打卡" in shown.text, str(checkin.status_code))

    def private_media(self) -> None:
        name = self.args.private_file
        for label, url in (("public origin", f"{self.public}/media/{name}"),
                           ("public origin's internal location", f"{self.public}/_protected_media/{name}"),
                           ("editors' host without a login", f"{self.admin}/media/{name}")):
            response = self.get(url)
            self.check(f"a private file is 404 on the {label}", response.status_code == 404, str(response.status_code))
        response = self.get(f"{self.admin}/media/{name}", session=self.editor)
        on_disk = (self.args.media_root / name).read_bytes()
        self.check("an editor gets the private file, sent by nginx (X-Accel-Redirect)", response.status_code == 200
                   and response.content == on_disk and "X-Accel-Redirect" not in response.headers
                   and response.headers.get("Cache-Control") == "private, no-store", str(response.status_code))

    def publish_edit(self, news: dict) -> None:
        response = self.log_in(self.editor, self.args.password)
        if not self.check("the editor logs in through the admin's form (CSRF)", response.status_code == 302
                          and response.headers.get("Location", "").endswith("/admin/"), str(response.status_code)):
            return
        self.private_media()
        edit_url = f"{self.admin}/admin/pages/{news['id']}/edit/"
        fields = [(k, v) for k, v in form_fields(self.get(edit_url, session=self.editor).text, "page-edit-form") if k != "title"]
        new_title = f"党史宣讲走进长春社区（冒烟测试 {secrets.randbelow(900000) + 100000}）"
        # The comments panel's script adds its (empty) formset before a browser submits.
        fields += [("title", new_title), ("comments-TOTAL_FORMS", "0"), ("comments-INITIAL_FORMS", "0"),
                   ("comments-MIN_NUM_FORMS", "0"), ("comments-MAX_NUM_FORMS", "1000"), ("action-publish", "action-publish")]
        response = self.editor.post(edit_url, data=fields, timeout=TIMEOUT, allow_redirects=False,
                                    headers={"Origin": self.admin, "Referer": edit_url})
        errors = re.findall(r'class="error-message"[^>]*>\s*<span>([^<]+)', response.text) if response.status_code == 200 else []
        if not self.check("the edit is published through the admin's edit view", response.status_code == 302,
                          " ".join([str(response.status_code), *errors])[:300]):
            return
        page_url = f"{self.public}/news/{news['id']}/"
        took = self.wait(PUBLISH_SECONDS, lambda: new_title in self.get(page_url).text, interval=0.5)
        self.check("the static page shows the new title", took is not None, f"{took:.1f} s after publishing" if took else "")
        found = self.wait(PUBLISH_SECONDS, lambda: any(
            hit["key"] == f"news:{news['id']}" and hit["title"] == new_title for hit in self.search_hits(new_title)))
        self.check("search finds the new title", found is not None)
        page = self.get(page_url).text
        self.check("the page's heading and <title> carry the new title", f"<h1>{new_title}</h1>" in page
                   and f"<title>{new_title} - " in page and f"<h1>{news['title']}</h1>" not in page)

    # -- refusals ------------------------------------------------------------------------------------------
    def login_lockout(self) -> None:
        attacker = requests.Session()
        statuses = []
        for _ in range(8):
            response = self.log_in(attacker, "wrong-password-" + secrets.token_hex(4))
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        self.check("wrong admin passwords are locked out (django-axes, Chinese 429 page)",
                   statuses[-1] == 429 and AXES_TEXT in response.text and "Retry-After" in response.headers,
                   " ".join(map(str, statuses)))
        right = self.log_in(attacker, self.args.password)
        self.check("the right password is refused while locked out", right.status_code == 429)
        for _ in range(20):
            response = self.log_in(attacker, "wrong-password")
            if response.status_code == 429 and NGINX_429_TEXT in response.text:
                break
        self.check("nginx's login limit answers its Chinese 429 page", response.status_code == 429
                   and NGINX_429_TEXT in response.text and response.headers.get("Retry-After") == "60")

    def search_limit(self) -> None:
        statuses = [self.get(f"{self.public}/api/search/", params={"q": "延安"}) for _ in range(40)]
        refused = [r for r in statuses if r.status_code == 429]
        self.check("a burst of searches is refused by nginx with Chinese JSON", bool(refused)
                   and NGINX_429_TEXT in refused[-1].json().get("error", ""), f"{len(refused)} of 40 refused")
        page = self.get(f"{self.public}/search/", params={"q": "延安"})
        self.check("the search page answers nginx's Chinese 429 page", page.status_code == 429 and NGINX_429_TEXT in page.text
                   and "<style>" in page.text, str(page.status_code))

    def run(self) -> int:
        news = self.first_news()
        self.wait_for_first_build(news)
        self.static_site(news)
        self.one_origin(news)
        self.member_study()
        self.hostile_query()
        self.publish_edit(news)
        self.login_lockout()
        self.search_limit()
        print(f"{'FAILED' if self.failed else 'PASSED'}: {len(self.failed)} check(s) failed", flush=True)
        return len(self.failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", required=True, help="the public origin, e.g. http://127.0.0.1:8080")
    parser.add_argument("--admin", required=True, help="the editors' host")
    parser.add_argument("--private-file", required=True, help="a file under MEDIA_ROOT no member may fetch")
    parser.add_argument("--media-root", type=Path, required=True)
    parser.add_argument("--security-headers", type=Path, required=True, help="deploy/nginx/security_headers.conf")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    args.private_file = quote(args.private_file)
    try:
        return min(Smoke(args).run(), 100)
    except (requests.RequestException, ValueError, KeyError, OSError) as error:
        print(f"FAIL the checks stopped: {error!r}", flush=True)
        return 100


if __name__ == "__main__":
    sys.exit(main())
