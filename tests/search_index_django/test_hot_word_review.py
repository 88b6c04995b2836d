"""Hot words no stranger can plant, through HTTP: distinct visitors, a threshold, plain words, editors' review,
and one public list that changes only together with a site rebuild."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from search_index import hotwords
from search_index.models import HotWord, QueryLog
from site_builder.tasks import rebuild_site

ADMIN = "/admin/snippets/search_index"


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def search_as(client, q: str, visitor: int, **headers) -> None:
    """One search from visitor number `visitor`: its own address and phone browser."""
    meta = {"REMOTE_ADDR": f"10.8.{visitor // 200}.{visitor % 200 + 1}", "HTTP_USER_AGENT": f"Mozilla/5.0 (Linux; Android 14; 党员{visitor}号)"}
    response = client.get("/search/", {"q": q}, **{**meta, **headers})
    assert response.status_code == 200 and "没有找到" not in response.content.decode()


def refresh() -> dict:
    """The operator's daily `manage.py refresh_hot_words`; returns its JSON summary."""
    out = StringIO()
    call_command("refresh_hot_words", stdout=out)
    return json.loads(out.getvalue())


def public_words(client) -> list[str]:
    return [entry["word"] for entry in get_json(client, "/api/hotwords/")]


def pending_words() -> list[str]:
    return list(HotWord.objects.filter(status=HotWord.Status.PENDING).values_list("word", flat=True))


def rebuild_requests():
    return DBTaskResult.objects.filter(task_path=rebuild_site.module_path, status=TaskResultStatus.READY)


@pytest.fixture
def editor(db) -> Client:
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("shenhe", "shenhe@example.cn", "pw"))
    return editor


def bulk(editor: Client, listing: str, action: str, words: list[str]):
    """An editor ticks `words` in a hot-word list and confirms `action` (approve, pin, block)."""
    ids = list(HotWord.objects.filter(word__in=words).values_list("pk", flat=True))
    url = f"/admin/bulk/search_index/{listing}/{action}/"
    params = "&".join(f"id={pk}" for pk in ids) + f"&next={ADMIN}/{listing}/"
    confirm = editor.get(f"{url}?{params}")
    assert confirm.status_code == 200 and all(word in confirm.content.decode() for word in words)
    done = editor.post(f"{url}?{params}")
    assert done.status_code == 302 and done["Location"] == f"{ADMIN}/{listing}/"


def test_a_word_needs_five_distinct_visitors_and_an_editors_approval(built_index, client, editor):
    for visitor in range(4):
        search_as(client, "延安精神", visitor)
    assert refresh()["shown"] == [] and pending_words() == []

    search_as(client, "延安精神", 4)
    summary = refresh()
    assert summary["pending"] == 1 and summary["shown"] == [] and not summary["changed"]
    listing = editor.get(f"{ADMIN}/pendinghotword/").content.decode()
    assert "延安精神" in listing
    assert all(f"/admin/bulk/search_index/pendinghotword/{action}/" in listing for action in ("approve", "pin", "block"))
    # Waiting for review is not public anywhere.
    slug = hotwords.slug_for("延安精神")
    assert public_words(client) == [] and "延安精神" not in client.get("/search/").content.decode()
    assert client.get(f"/hot/{slug}/").status_code == 404

    DBTaskResult.objects.all().delete()
    bulk(editor, "pendinghotword", "approve", ["延安精神"])
    assert public_words(client) == ["延安精神"]
    assert f'href="/hot/{slug}/">延安精神</a>' in client.get("/search/").content.decode()
    assert "延安精神读本" in client.get(f"/hot/{slug}/").content.decode()
    assert rebuild_requests().count() == 1  # the pages that show hot words follow the list
    assert "延安精神" in editor.get(f"{ADMIN}/approvedhotword/").content.decode()
    assert "延安精神" not in editor.get(f"{ADMIN}/pendinghotword/").content.decode()


def test_one_visitor_never_makes_a_hot_word_however_often_or_disguised(built_index, client, settings):
    settings.HOT_WORD_REQUIRE_APPROVAL = False  # at the threshold a word would go public at once
    for _ in range(50):
        search_as(client, "长征精神", 7)
    # A forged X-Forwarded-For from a client that reaches the app directly (not from the proxy) counts for nothing.
    for n in range(10):
        search_as(client, "长征精神", 7, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert QueryLog.objects.filter(text="长征精神").count() == 1
    assert refresh()["shown"] == [] and pending_words() == []

    # Behind the trusted proxy (nginx on 127.0.0.1) the address it saw counts; what the client wrote to its left does not.
    nginx = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; 微信)"}
    for n in range(10):
        client.get("/search/", {"q": "抗联精神"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.9", **nginx)
    assert refresh()["shown"] == []
    for n in range(5):
        client.get("/search/", {"q": "抗联精神"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{20 + n}", **nginx)
    assert refresh()["shown"] == ["抗联精神"]
    assert public_words(client) == ["抗联精神"]


def test_operator_soup_counts_and_shows_as_plain_words_public_at_the_threshold_without_approval(built_index, client, settings):
    settings.HOT_WORD_REQUIRE_APPROVAL = False
    soups = ["红色 AND 足迹", "红色 and 足迹", "+红色 +足迹", "title:红色 足迹", "“红色” OR 足迹!"]
    for visitor, q in enumerate(soups[:4]):
        search_as(client, q, visitor)
    assert set(QueryLog.objects.values_list("text", flat=True)) == {"红色 足迹"}
    assert refresh()["shown"] == []

    DBTaskResult.objects.all().delete()
    search_as(client, soups[4], 4)
    summary = refresh()
    assert summary["shown"] == ["红色 足迹"] and summary["changed"] and summary["pending"] == 0
    assert public_words(client) == ["红色 足迹"]
    assert rebuild_requests().count() == 1
    listed = " ".join(HotWord.objects.values_list("word", flat=True))
    assert not any(operator in listed.split() for operator in ("and", "or", "AND", "OR")) and not set("+:“”!") & set(listed)


def test_blocking_a_shown_word_takes_it_off_every_public_list_and_rebuilds_the_site(built_index, client, editor, settings):
    settings.HOT_WORD_REQUIRE_APPROVAL = False
    for visitor in range(5):
        search_as(client, "长征精神", visitor)
        search_as(client, "红色 足迹", visitor)
    assert set(refresh()["shown"]) == {"长征精神", "红色 足迹"}
    assert "长征精神" in get_json(client, "/api/suggest/", q="长征")

    DBTaskResult.objects.all().delete()
    bulk(editor, "approvedhotword", "block", ["长征精神"])
    assert public_words(client) == ["红色 足迹"]
    assert client.get(f"/hot/{hotwords.slug_for('长征精神')}/").status_code == 404
    assert "长征精神" not in client.get("/search/").content.decode()
    assert "长征精神" not in get_json(client, "/api/suggest/", q="长征")
    assert rebuild_requests().count() == 1

    # A block added in 屏蔽热词 hides every word containing it; members searching on changes nothing.
    added = editor.post(f"{ADMIN}/hotwordblock/add/", {"word": "足迹"})
    assert added.status_code == 302, added.content.decode()[-2000:]
    assert public_words(client) == []
    for visitor in range(5, 10):
        search_as(client, "长征精神", visitor)
    assert refresh()["shown"] == [] and pending_words() == []
