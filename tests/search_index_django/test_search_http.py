"""The search endpoints over HTTP: index fed from the API, HTML and JSON results, suggestions, hostile input."""

import json

import pytest
from django.core.management import call_command

from content_models.models import AudioEpisode, EBookPage, LibraryItemPage, NewsPage, PeriodicalIssue, VideoEpisode
from reading.models import ReaderPage
from search_index.indexer import index_info
from search_index.models import QueryLog


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_build_indexes_every_public_item_issue_and_episode(built_index, client):
    items = LibraryItemPage.objects.live().public().filter(district_only=False)  # spelled out: the rule under test
    issues = PeriodicalIssue.objects.filter(page__in=items).count()
    episodes = VideoEpisode.objects.filter(page__in=items).count() + AudioEpisode.objects.filter(page__in=items).count()
    # Every reader page with text of a public book's or issue's processed document is a document of its own.
    documents = [*EBookPage.objects.filter(pk__in=items).values_list("document", flat=True),
                 *PeriodicalIssue.objects.filter(page__in=items).values_list("document", flat=True)]
    pages = sum(ReaderPage.objects.filter(document=d, document__processing__status="done").exclude(text="").count()
                for d in documents if d)
    assert issues and episodes and pages
    assert index_info(built_index)["doc_count"] == items.count() + issues + episodes + pages
    episode = VideoEpisode.objects.filter(page__in=items, number=1).first()
    data = get_json(client, "/api/search/", q="第1集")
    assert episode.site_path in {hit["url"] for hit in data["hits"] if hit["type"] == "episode"}
    # Audio series and their episodes (the demo's talk) are found like video ones.
    talk = AudioEpisode.objects.get(page__slug="audio-0001", number=1)
    data = get_json(client, "/api/search/", q="杨靖宇将军的故事")
    assert talk.site_path in {hit["url"] for hit in data["hits"] if hit["type"] == "audio_episode"}


def test_search_page_shows_highlighted_results_facets_and_short_public_caching(built_index, client):
    book = EBookPage.objects.live().public().filter(district_only=False).first()
    response = client.get("/search/", {"q": book.title})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>" in html and book.site_path in html
    assert "按类型筛选" in html and "/search/?q=" in html and "type=ebook" in html
    assert response["Cache-Control"].startswith("public, max-age=")
    assert "<script" not in html.lower()


def test_search_api_filters_by_type_and_paginates(built_index, client):
    everything = get_json(client, "/api/search/", q="党员")
    assert everything["facets"]["type"]["news"] < everything["total"]  # other types match too
    data = get_json(client, "/api/search/", q="党员", type="news")
    assert data["total"] == everything["facets"]["type"]["news"]
    assert {hit["type"] for hit in data["hits"]} == {"news"}
    assert set(data["facets"]) == {"type", "column", "district"}
    second = get_json(client, "/api/search/", q="党员", page=2)
    assert second["page"] == 2 and everything["total"] > everything["per_page"]
    assert not {hit["url"] for hit in second["hits"]} & {hit["url"] for hit in everything["hits"]}


def test_traditional_characters_find_simplified_text(built_index, client):
    simplified = get_json(client, "/api/search/", q="党员")
    traditional = get_json(client, "/api/search/", q="黨員")
    assert traditional["total"] == simplified["total"] > 0


def test_suggest_answers_prefix_full_pinyin_and_initials(built_index, client):
    book = EBookPage.objects.live().public().filter(district_only=False).first()
    assert book.title in get_json(client, "/api/suggest/", q=book.title[:2])
    assert get_json(client, "/api/suggest/", q="dangyuan")[0] == "党员"
    assert "党员" in get_json(client, "/api/suggest/", q="dy")
    assert get_json(client, "/api/suggest/", q="") == []


def test_drafts_and_district_only_items_never_appear(built_index, client):
    draft = EBookPage.objects.filter(live=False).get()
    internal = NewsPage.objects.filter(district_only=True).first()
    for title, path in ((draft.title, draft.site_path), (internal.title, internal.site_path)):
        data = get_json(client, "/api/search/", q=title)
        assert path not in {hit["url"] for hit in data["hits"]}
        assert path not in client.get("/search/", {"q": title}).content.decode()
    assert get_json(client, "/api/search/", q="内部通知")["total"] == 0
    assert not any("内部通知" in s for s in get_json(client, "/api/suggest/", q="内部"))


HOSTILE = [
    "",
    "党" * 10_000,
    "title:*",
    "*",
    " OR ".join(["a", "b"] * 500),
    '"四个自信',
    "<script>alert(1)</script>",
    "📚🇨🇳党史😀",
    "sigezixin",
    "\x00\x01%00",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_are_answered_safely(built_index, client, q):
    before = QueryLog.objects.count()
    page = client.get("/search/", {"q": q})
    api = client.get("/api/search/", {"q": q})
    suggest = client.get("/api/suggest/", {"q": q})
    assert page.status_code == api.status_code == suggest.status_code == 200
    html = page.content.decode()
    assert "<script>alert" not in html
    assert "<script>" not in api.content.decode() and "<script>" not in suggest.content.decode()
    json.loads(api.content)
    if len(q) > 50 or not q.strip():
        assert QueryLog.objects.count() == before


def test_script_query_is_escaped_in_the_page(built_index, client):
    html = client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "&lt;script&gt;" in html


def test_a_misspelling_shows_the_corrected_words_results(built_index, client):
    # Nothing matches the letters typed, so the results are those of the correction.
    data = get_json(client, "/api/search/", q="dangyuan")
    assert data["corrected_query"] == "党员" and data["used_correction"] and data["total"] > 0
    assert "党员" in client.get("/search/", {"q": "dangyuan"}).content.decode()


def test_search_command_prints_json(built_index, capsys):
    call_command("search", "党员", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["total"] > 0 and data["hits"][0]["url"]


def test_no_index_yet_answers_503_not_an_error(search_settings, client):
    assert client.get("/search/", {"q": "党史"}).status_code == 503
    assert client.get("/api/search/", {"q": "党史"}).status_code == 503
    assert client.get("/api/suggest/", {"q": "dang"}).status_code == 200
