"""Pinyin, sound-alikes and near spellings: corrections and suggestions drawn from every searched field."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from search_index.corrections import correction
from search_index.indexer import build_index, delete_documents, update_documents
from search_index.query import search, suggest
from search_index.snapshot import pooled_snapshot

DOCS = [
    {
        "key": "news:1", "type": "news", "title": "南关区开展党史学习教育专题宣讲", "url": "/news/1/",
        "summary": "12月31日，南关区开展党史学习教育专题宣讲。",
        # 习近平 and 亲身经历 occur only in this body.
        "body": "老党员们结合亲身经历讲述感人故事，大家表示要深入学习贯彻习近平新时代中国特色社会主义思想。",
        "columns": ["sige-zixin"], "district": "nanguan", "labels": ["四个自信", "南关区"], "tags": ["基层动态"],
    },
    {
        "key": "ebook:2", "type": "ebook", "title": "延安精神读本", "url": "/books/2/", "people": "王建国",
        "columns": ["lingxiu-sixiang"], "labels": ["领袖思想"], "tags": ["延安精神"],
    },
    {
        "key": "series:3", "type": "series", "title": "中国梦 我的梦", "url": "/videos/3/",
        "columns": ["zhongguo-meng"], "labels": ["中国梦"], "summary": "关心时事的老党员讲述身边的变化。",
    },
    {"key": "news:4", "type": "news", "title": "社区时事讲堂开讲", "url": "/news/4/", "summary": "时事政治学习。"},
    {"key": "news:5", "type": "news", "title": "为群众办实事", "url": "/news/5/"},
    {"key": "news:6", "type": "news", "title": "Marxism 学习", "url": "/news/6/"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("pinyin")
    build_index(DOCS, index_dir)
    return index_dir


def corrected(index: Path, q: str) -> str | None:
    return search(index, q).corrected_query


@pytest.mark.parametrize(("q", "meant"), [
    ("sgzx", "四个自信"),  # initials of a column name
    ("xjp", "习近平"),  # initials of a word found only in a news body
    ("xijinping", "习近平"),  # its full pinyin
    ("qinshenjingli", "亲身经历"),
    ("yanan", "延安"),  # full pinyin of a word inside titles and tags
    ("yan'an", "延安"),
    ("yan an", "延安"),
    ("延an", "延安"),  # the phone's input method committed one character
    ("习jp", "习近平"),
    ("shizhengyaowen", None),  # no such column here: nothing is made up
    ("jcdt", "基层动态"),  # initials of a tag that the analyzer cuts in two
    ("nanguanqu", "南关区"),
    ("sigezixin", "四个自信"),
])
def test_pinyin_finds_the_word_from_any_field(index, q, meant):
    assert corrected(index, q) == meant
    if meant:
        assert search(index, meant).total > 0


def test_the_most_used_homophone_wins_unless_a_character_was_typed(index):
    # 时事 is in two documents, 实事 in one; both are shishi.
    assert corrected(index, "shishi") == "时事"
    assert corrected(index, "实shi") == "实事"


def test_pinyin_of_several_words_run_together(index):
    assert corrected(index, "sigezixinxijinping") == "四个自信 习近平"
    assert [h.key for h in search(index, "四个自信 习近平").hits] == ["news:1"]


def test_fuzzy_pinyin_and_typos(index):
    assert corrected(index, "zongguomen") == "中国梦"  # zh/z and -ng/-n, as said in the Northeast
    assert corrected(index, "sigezxin") == "四个自信"  # a letter left out
    assert corrected(index, "marxsim") == "marxism"
    # Sound-alike characters: 四个自心 matches 四个 alone, but the member meant 四个自信.
    assert search(index, "四个自心").corrected_query == "四个自信"


@pytest.mark.parametrize("q", ["changwuxian", "daerjiaohezhen", "abcdefg", "dy", "zzzzzzzzzzzzzzzzzzzz", "党" * 100,
                               "q" * 100, "a'b'c'd'e'f'g", "延" + "an" * 40])
def test_unknown_letters_get_no_made_up_correction(index, q):
    result = search(index, q)
    assert result.corrected_query is None or search(index, result.corrected_query).total > 0


def test_a_passed_deadline_stops_the_search_for_a_correction(index):
    with pooled_snapshot(index) as snap:
        assert correction("yanan", ["yanan"], snap, deadline=time.perf_counter() + 60) == "延安"
        assert correction("yanan", ["yanan"], snap, deadline=time.perf_counter() - 1) is None


def test_column_district_and_tag_names_are_searched(index):
    assert [h.key for h in search(index, "四个自信").hits] == ["news:1"]
    assert [h.key for h in search(index, "领袖思想").hits] == ["ebook:2"]
    assert [h.key for h in search(index, "南关区").hits] == ["news:1"]
    assert [h.key for h in search(index, "基层动态").hits] == ["news:1"]


def test_suggestions_come_from_every_searched_field(index):
    assert suggest(index, "xjp") == ["习近平新时代中国特色社会主义思想", "习近平"]  # body: the term, then the word
    assert "四个自信" in suggest(index, "sgzx")  # column name
    assert "基层动态" in suggest(index, "jcdt")  # a whole tag
    assert "王建国" in suggest(index, "wjg")  # people
    assert "延安" in suggest(index, "延an")
    assert suggest(index, "习jp") == ["习近平新时代中国特色社会主义思想", "习近平"]
    assert "亲身经历" in suggest(index, "qinshen")


def test_suggestions_follow_updates_and_deletions_of_body_words(tmp_path):
    build_index([DOCS[1]], tmp_path)
    assert suggest(tmp_path, "xjp") == []
    update_documents([DOCS[0]], tmp_path)
    assert "习近平" in suggest(tmp_path, "xjp")
    assert search(tmp_path, "xjp").corrected_query == "习近平"
    # The only document saying 习近平 loses it, then is deleted: the word goes with it.
    update_documents([dict(DOCS[0], body="老党员们结合亲身经历讲述感人故事。")], tmp_path)
    assert suggest(tmp_path, "xjp") == []
    assert "亲身经历" in suggest(tmp_path, "qinshen")
    delete_documents(["news:1"], tmp_path)
    assert suggest(tmp_path, "qinshen") == []
    assert search(tmp_path, "qinshenjingli").corrected_query is None
    assert suggest(tmp_path, "yanan") == ["延安精神", "延安", "延安精神读本"]
