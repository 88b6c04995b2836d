"""Tests for search(): phrases, digits, folding, facets, filters, fallback, snippets, corrections."""

from __future__ import annotations

import pytest

from search_index import query
from search_index.indexer import build_index, update_documents
from search_index.query import search, suggest


def keys(result) -> list[str]:
    return [h.key for h in result.hits]


def test_word_query_finds_adjacent_words_not_scattered_ones(built_index):
    # ebook:2 has 国有 … 企业 far apart; only ebook:1 has 国有企业.
    result = search(built_index, "国有企业")
    assert keys(result) == ["ebook:1"]


def test_words_standing_together_rank_above_the_same_words_repeated_apart(tmp_path):
    # news:2 repeats both words more often, so plain term scores put it first; the phrase
    # re-ranking moves news:1, where 国有企业改革 stands together in the title, above it.
    build_index([
        {"key": "news:1", "type": "news", "title": "国有企业改革纪实", "url": "/n/1/"},
        {"key": "news:2", "type": "news", "title": "改革与企业", "url": "/n/2/",
         "summary": "国有企业 改革 国有企业 改革 改革的经验，国有企业的改革。"},
    ], tmp_path)
    result = search(tmp_path, "国有企业改革")
    assert result.words == ["国有企业", "改革"]
    assert keys(result) == ["news:1", "news:2"]


def test_multi_word_query_ranks_the_phrase_first(built_index):
    result = search(built_index, "国有企业改革")
    assert keys(result)[0] == "ebook:1"
    assert not result.used_or_fallback


def test_episode_number_matches_only_that_episode(built_index):
    assert keys(search(built_index, "第3集")) == ["episode:31"]
    assert keys(search(built_index, "第4集")) == ["episode:32"]


def test_full_width_query_and_document_match(built_index):
    assert keys(search(built_index, "abc123")) == ["news:5"]
    assert keys(search(built_index, "ＡＢＣ１２３")) == ["news:5"]


def test_traditional_query_finds_simplified_and_back(built_index):
    assert "news:5" in keys(search(built_index, "黨史"))
    assert "periodical:7" in keys(search(built_index, "党史"))


def test_custom_term_is_searchable_as_one_word(built_index):
    result = search(built_index, "三会一课")
    assert result.words == ["三会一课"]
    assert keys(result) == ["news:5"]


def test_facets_count_every_match_before_filters(built_index):
    result = search(built_index, "东北抗日联军", type="episode")
    assert result.total == 2
    assert result.facets["type"] == {"episode": 2, "site": 1}
    assert result.facets["column"] == {"huihuang-licheng": 3}
    assert set(keys(result)) == {"episode:31", "episode:32"}


def test_multi_valued_column_facet_counts_each_column(built_index):
    result = search(built_index, "党史")
    assert result.facets["column"] == {"sishi-xuexi": 2, "sige-zixin": 1}
    assert result.facets["district"] == {"chaoyang": 1, "nanguan": 1}


def test_filters_by_type_column_and_district(built_index):
    assert keys(search(built_index, "党史", column="sige-zixin")) == ["news:5"]
    assert keys(search(built_index, "党史", district="chaoyang")) == ["periodical:7"]
    assert search(built_index, "党史", type="ebook").total == 0
    # Filters alone browse everything in them.
    assert set(keys(search(built_index, "", district="nanguan"))) == {"news:5", "series:8"}


def test_and_first_then_or_fallback(built_index):
    strict = search(built_index, "杨靖宇 陵园")
    assert keys(strict) == ["site:6"] and not strict.used_or_fallback
    loose = search(built_index, "杨靖宇 中国梦")
    assert loose.used_or_fallback
    assert set(keys(loose)) == {"site:6", "series:8"}


def test_paging(built_index):
    first = search(built_index, "白山黑水", per_page=1, page=1)
    second = search(built_index, "白山黑水", per_page=1, page=2)
    assert first.total == 2 and first.pages == 2
    assert {*keys(first), *keys(second)} == {"episode:31", "episode:32"}


def test_snippet_marks_matches_and_escapes_everything_else(built_index):
    hit = search(built_index, "四个自信").hits[0]
    assert "<mark>四个自信</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert hit.columns == ["sige-zixin", "sishi-xuexi"]
    assert hit.url == "/news/5/"


def test_correction_is_offered_when_some_words_match(built_index):
    # 四个 alone finds something, so those results are shown and 四个自信 is only offered.
    result = search(built_index, "四个自心")
    assert result.corrected_query == "四个自信"
    assert result.used_or_fallback and not result.used_correction
    result = search(built_index, "党史学系")
    assert result.corrected_query == "党史学习"
    assert not result.used_correction


def test_pure_pinyin_shows_the_chinese_words_results(built_index):
    result = search(built_index, "sigezixin")
    assert result.corrected_query == "四个自信" and result.used_correction
    assert result.query == "sigezixin"
    assert keys(result) == ["news:5"]
    assert "<mark>四个自信</mark>" in result.hits[0].snippet_html


def test_latin_typo_shows_the_corrected_words_results(tmp_path):
    build_index([{"key": "news:1", "type": "news", "title": "Marxism 学习"}], tmp_path)
    result = search(tmp_path, "marxsim")
    assert result.corrected_query == "marxism" and result.used_correction
    assert keys(result) == ["news:1"]


def test_nothing_found_and_nothing_to_correct(built_index):
    result = search(built_index, "量子力学")
    assert result.total == 0 and result.corrected_query is None and not result.used_correction


def test_no_correction_when_results_exist(built_index):
    result = search(built_index, "四个自信")
    assert result.corrected_query is None and not result.used_correction


def test_suggest_by_initials_pinyin_and_chinese_prefix(built_index):
    assert suggest(built_index, "sgzx")[0] == "四个自信"
    assert "四个自信" in suggest(built_index, "sige")
    assert "四个自信" in suggest(built_index, "si'ge")
    assert "四个自信" in suggest(built_index, "四个")
    assert "杨靖宇" in suggest(built_index, "yjy")
    assert suggest(built_index, "") == []
    assert len(suggest(built_index, "s", limit=3)) <= 3


def test_suggestions_follow_incremental_updates(tmp_path):
    build_index([{"key": "news:1", "type": "news", "title": "延安精神"}], tmp_path)
    assert "西柏坡精神" not in suggest(tmp_path, "xbp")
    update_documents([{"key": "news:2", "type": "news", "title": "西柏坡精神"}], tmp_path)
    assert "西柏坡精神" in suggest(tmp_path, "xbp")


def test_query_uses_the_dictionary_stored_with_the_index(tmp_path):
    # 红色物业 is not in today's dictionary; the index built with it as a term must still
    # cut the query into that one word, and the index built without it into two.
    doc = {"key": "news:1", "type": "news", "title": "红色物业进社区", "url": "/n/1/"}
    build_index([doc], tmp_path / "with-term", extra_terms=["红色物业"])
    build_index([doc], tmp_path / "without")
    assert search(tmp_path / "with-term", "红色物业").words == ["红色物业"]
    assert search(tmp_path / "without", "红色物业").words == ["红色", "物业"]


# Worst cases for time: long Latin junk, the most words, a repeated word, operator soup, pinyin.
WORST = [
    "qwzxkjvbnmlpoiuytrewqasdfghjklzxcvbnmqwertyuiop" * 2,
    "国有 企业 改革 党史 学习 四个自信 中国梦 白山黑水 三会一课 杨靖宇 延安精神 陵园",
    "国有企业" * 40,
    'title:* OR (国有 AND NOT 企业) "党史" -改革 +学习 ~2 ^3 [a TO z] 东北抗日联军',
    "sigezixin",
    "东北抗日联军",
]


@pytest.mark.parametrize("q", WORST, ids=range(len(WORST)))
def test_a_query_out_of_time_says_so_and_answers_with_what_it_has(tmp_path, corpus, monkeypatch, q):
    build_index(corpus, tmp_path)  # a fresh index: no answer cached yet
    monkeypatch.setattr(query, "TIME_LIMIT_SECONDS", 0.0)
    hurried = search(tmp_path, q)
    assert hurried.partial
    assert len(hurried.hits) <= hurried.total
    for hit in hurried.hits:
        assert hit.key in {doc["key"] for doc in corpus} and "<script" not in hit.snippet_html

    # The partial answer was not kept: with time, the same query answers in full.
    monkeypatch.setattr(query, "TIME_LIMIT_SECONDS", 60.0)
    full = search(tmp_path, q)
    assert not full.partial
    assert set(keys(hurried)) <= set(keys(full)) | {h.key for h in search(tmp_path, hurried.words[0]).hits}


def test_out_of_time_still_lists_matches(tmp_path, corpus, monkeypatch):
    build_index(corpus, tmp_path)
    monkeypatch.setattr(query, "TIME_LIMIT_SECONDS", 0.0)
    result = search(tmp_path, "东北抗日联军")
    assert result.partial and result.total == 3
    assert set(keys(result)) == {"episode:31", "episode:32", "site:6"}
