"""Tests for the jieba analyzer: positions, digits, folding, dictionary and its version."""

from __future__ import annotations

from search_index.analysis import (
    analyze,
    dictionary_version,
    get_dictionary,
    normalize_text,
    query_words,
)


def test_custom_terms_stay_one_token():
    d = get_dictionary()
    assert query_words("三会一课", d) == ["三会一课"]
    assert query_words("坚定四个自信", d) == ["坚定", "四个自信"]
    assert query_words("在南关区开展两学一做", d) == ["南关区", "开展", "两学一做"]
    assert query_words("净月高新区", d) == ["净月高新区"]


def test_custom_terms_do_not_swallow_neighbours():
    # 中国梦 is a custom term; 中国梦想 must still be 中国 + 梦想.
    assert query_words("中国梦想", get_dictionary()) == ["中国", "梦想"]


def test_positions_are_sequential_and_subwords_share_their_word_position():
    words = list(analyze("推进国有企业改革", get_dictionary(), search_mode=True))
    by_text = {w.text: w.pos for w in words}
    assert by_text == {"推进": 0, "国有企业": 1, "国有": 1, "企业": 1, "改革": 2}


def test_digits_and_latin_are_kept_and_lowercased():
    d = get_dictionary()
    assert query_words("第3集", d) == ["第", "3", "集"]
    assert query_words("第4集", d) != query_words("第3集", d)
    assert query_words("Party History 2021", d) == ["party", "history", "2021"]


def test_full_width_and_case_fold_to_the_same_tokens():
    d = get_dictionary()
    assert query_words("ＡＢＣ１２３", d) == ["abc123"]
    assert query_words("abc123", d) == query_words("ABC123", d) == ["abc123"]


def test_traditional_is_normalised_to_simplified():
    assert normalize_text("黨史學習") == "党史学习"
    assert query_words("黨史", get_dictionary()) == ["党史"]


def test_stop_words_punctuation_and_emoji_are_dropped():
    d = get_dictionary()
    assert query_words("学习的精神，😀！", d) == ["学习", "精神"]


def test_extra_runtime_term_changes_cutting_and_version():
    base = get_dictionary()
    extended = get_dictionary(["红色物业"])
    assert query_words("红色物业", base) == ["红色", "物业"]
    assert query_words("红色物业", extended) == ["红色物业"]
    assert extended.version != base.version
    assert dictionary_version(["红色物业"]) == extended.version
    # Stable: same terms in any order and spelling variant give the same version.
    assert dictionary_version(["紅色物業", "红色物业"]) == extended.version


def test_our_word_graph_cuts_exactly_like_jieba(corpus):
    texts = [doc[name] for doc in corpus for name in ("title", "people", "summary", "body")]
    texts += [
        # Unknown names and runs of single characters go through jieba's HMM.
        "王建国明天去长春市南关区党群服务中心，赵一曼的侄孙女赵小曼也来了。",
        "结婚的和尚未结婚的都来参加三会一课",
        "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
        # Digits, Latin, symbols jieba keeps together, spaces and line breaks.
        "2021年7月1日 c++ 3.14% e-mail a.b_c #党史 100%\r\n第3集",
        "的的的的的的",
        # Two cuts of exactly equal probability (上划 and 划上 are equally frequent): jieba keeps
        # the longer first word.
        "上划上",
        "专精专",
        "",
    ]
    for dictionary in (get_dictionary(), get_dictionary(["红色物业", "三会一课制度"])):
        for text in texts:
            normalized = normalize_text(text)
            assert list(dictionary.cut(normalized)) == list(dictionary.tokenizer.cut(normalized, HMM=True)), text
