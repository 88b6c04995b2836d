"""On the tiny demo catalogue, over HTTP and the CLI: column, district and tag names find their items,
pinyin finds the word it spells, and the README's search examples work."""

import json

from django.core.management import call_command

from content_models.models import EBookPage, LibraryItemPage, NewsPage

from .test_search_http import get_json


def public_items():
    return LibraryItemPage.objects.live().public().filter(district_only=False).specific()


def urls(client, q: str) -> set[str]:
    """The result links of every page of results for `q`."""
    found, page, pages = set(), 1, 1
    while page <= pages:
        data = get_json(client, "/api/search/", q=q, page=page)
        found |= {hit["url"] for hit in data["hits"]}
        page, pages = page + 1, data["pages"]
    return found


def test_column_district_and_tag_names_find_their_items(built_index, client):
    column_items = {p.site_path for p in public_items().filter(columns__slug="sige-zixin")}
    assert column_items  # the 四个自信 column holds items, but no title, summary or tag says 四个自信
    assert column_items <= urls(client, "四个自信")
    assert {p.site_path for p in public_items().filter(columns__slug="shizheng-yaowen")} <= urls(client, "时政要闻")

    # A book in a district's section: its district's name is in no title, summary or tag of it.
    book = next(p for p in public_items().exclude(district=None).type(EBookPage) if p.district.name not in p.title)
    district = book.district
    in_district = {p.site_path for p in public_items().filter(district=district)}
    assert book.site_path in in_district <= urls(client, district.name)

    tagged = {p.site_path for p in public_items().filter(tags__name="基层动态")}
    assert tagged and tagged <= urls(client, "基层动态")


PINYIN = [
    ("sgzx", "四个自信"),  # a column's name
    ("xjp", "习近平"),  # in news bodies only
    ("xijinping", "习近平"),
    ("yanan", "延安"),
    ("延an", "延安"),
    ("szyw", "时政要闻"),
    ("nanguanqu", "南关区"),
    ("jicengdongtai", "基层动态"),
]


def test_pinyin_finds_the_word_it_spells(built_index, client):
    for q, meant in PINYIN:
        assert get_json(client, "/api/search/", q=q)["corrected_query"] == meant, q
        assert get_json(client, "/api/search/", q=meant)["total"] > 0, meant
        assert meant in get_json(client, "/api/suggest/", q=q), q


def test_pinyin_shows_the_words_results_and_counts_them_for_the_word(built_index, client, capsys):
    from search_index.models import QueryLog

    data = get_json(client, "/api/search/", q="sgzx")
    assert data["used_correction"] and data["corrected_query"] == "四个自信"
    assert {hit["url"] for hit in data["hits"]} == {hit["url"] for hit in get_json(client, "/api/search/", q="四个自信")["hits"]}
    page = client.get("/search/", {"q": "sgzx"}).content.decode()
    assert "以下是“<strong>四个自信</strong>”的结果" in page and "您是不是要找" not in page
    assert set(QueryLog.objects.values_list("text", flat=True)) == {"四个自信"}  # never the keystrokes sgzx
    call_command("search", "yanan")
    assert "以下是“延安”的结果" in capsys.readouterr().out


def test_a_body_only_word_is_found_and_suggested(built_index, client):
    news = NewsPage.objects.live().public().filter(district_only=False)
    assert not news.filter(title__contains="习近平") and news.filter(body__contains="习近平")
    assert {n.site_path for n in news} <= urls(client, "习近平")
    assert "习近平" in get_json(client, "/api/suggest/", q="xjp")


def test_readme_search_examples_work_on_the_demo(built_index, client, capsys):
    call_command("search", "四个自信", "--json")
    assert json.loads(capsys.readouterr().out)["total"] >= 2
    assert get_json(client, "/api/suggest/", q="sgzx")[0] == "四个自信"
    assert get_json(client, "/api/search/", q="延安精神")["total"] > 0
    assert "<mark>延安精神</mark>" in client.get("/search/", {"q": "延安精神"}).content.decode()
