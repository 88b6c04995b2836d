"""Ranking: our scores are Whoosh's own BM25F, relevance before dates, phrase/proximity bonuses, exact top k."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.query import And, Or, Term

from search_index import ranking
from search_index.indexer import build_index, current_generation, delete_documents, update_documents
from search_index.query import search
from search_index.schema import TEXT_FIELDS
from search_index.snapshot import AVGFL_TOLERANCE

# No dates: the freshness factor is then 1 and our scores must equal Whoosh's exactly.
DOCS = [
    {"key": "site:1", "type": "site", "title": "杨靖宇烈士陵园", "url": "/map/1/",
     "summary": "纪念东北抗日联军杨靖宇将军的爱国主义教育基地，传承抗联精神。",
     "body": "陵园位于通化市，安葬着杨靖宇将军的遗体。每年清明，社区党员来此学习抗联精神。"},
    {"key": "ebook:2", "type": "ebook", "title": "抗联精神读本", "people": "王建国", "url": "/books/2/",
     "tags": ["抗联精神", "红色基因"],
     "summary": "讲述东北抗日联军在白山黑水间十四年艰苦斗争的历史。",
     "body": "第一章 九一八事变。第二章 东北抗日联军的成立。第三章 杨靖宇、赵尚志、赵一曼的故事。"
             "第四章 抗联精神的时代价值。第五章 学习抗联精神，传承红色基因。"},
    {"key": "news:3", "type": "news", "title": "南关区开展党史学习教育", "url": "/news/3/",
     "summary": "社区党员集中学习党史。",
     "body": "活动中，老党员讲述了东北抗日联军的故事，大家表示要把抗联精神传承下去。"},
    {"key": "episode:4", "type": "episode", "title": "白山黑水 第1集", "url": "/videos/4/1/",
     "summary": "东北抗日联军在长白山区坚持抗战。",
     "body": "杨靖宇率部转战长白山区。杨靖宇将军牺牲时年仅三十五岁。东北抗日联军的斗争震撼人心。"},
    {"key": "news:5", "type": "news", "title": "延安精神永放光芒", "url": "/news/5/",
     "tags": ["延安精神"], "summary": "学习延安精神，坚定理想信念。",
     "body": "延安精神是党的宝贵精神财富。自力更生、艰苦奋斗的延安精神激励着一代代共产党员。"},
    {"key": "ebook:6", "type": "ebook", "title": "长征故事", "people": "李明", "url": "/books/6/",
     "summary": "红军长征途中的感人故事。",
     "body": "长征是一次理想信念的伟大远征。" * 6 + "遵义会议在长征中具有重大意义。"},
    {"key": "series:7", "type": "series", "title": "赵一曼", "url": "/videos/7/",
     "summary": "东北抗日联军女英雄赵一曼的故事。", "body": "赵一曼在东北领导抗日斗争，英勇就义。"},
    {"key": "news:8", "type": "news", "title": "红色基因代代传", "url": "/news/8/",
     "tags": ["红色基因"], "summary": "社区开展红色基因传承活动。",
     "body": "青少年参观杨靖宇烈士陵园，学习抗联精神，聆听东北抗日联军的故事。"},
]


def whoosh_scores(index_dir: Path, words: list[str], *, use_or: bool = False) -> dict[str, float]:
    """Whoosh's own BM25F over the same index: each word in any text field, all words (or any)."""
    per_word = [Or([Term(f, w) for f in TEXT_FIELDS]) for w in words]
    query = Or(per_word) if use_or else And(per_word)
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        return {hit["key"]: hit.score for hit in searcher.search(query, limit=None)}


def our_scores(index_dir: Path, q: str) -> list[tuple[str, float]]:
    return [(h.key, h.score) for h in search(index_dir, q, per_page=50).hits]


def assert_agrees(ours: list[tuple[str, float]], theirs: dict[str, float], rel: float) -> None:
    assert {key for key, _score in ours} == set(theirs)
    for key, score in ours:
        assert score == pytest.approx(theirs[key], rel=rel, abs=1e-4), key
    # Same order (documents whose Whoosh scores tie may come in either order).
    ranked = [theirs[key] for key, _score in ours]
    assert all(a >= b - 1e-9 for a, b in zip(ranked, ranked[1:], strict=False)), ours


@pytest.fixture()
def no_bonus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranking, "PHRASE_BONUS", 0.0)
    monkeypatch.setattr(ranking, "PROXIMITY_BONUS", 0.0)


@pytest.mark.parametrize("q", ["抗联精神", "杨靖宇", "东北抗日联军", "学习", "长征", "延安精神"])
def test_one_word_scores_are_whooshs_bm25f(tmp_path, q):
    build_index(DOCS, tmp_path)
    ours = our_scores(tmp_path, q)
    assert len(ours) >= 1
    assert_agrees(ours, whoosh_scores(tmp_path, [q]), rel=1e-6)


@pytest.mark.parametrize("q", ["东北抗日联军 杨靖宇", "学习 抗联精神", "红色基因 抗联精神 故事"])
def test_several_words_score_as_whooshs_bm25f_before_the_bonus(tmp_path, no_bonus, q):
    build_index(DOCS, tmp_path)
    result = search(tmp_path, q, per_page=50)
    assert not result.used_or_fallback and result.total >= 2
    assert_agrees(our_scores(tmp_path, q), whoosh_scores(tmp_path, result.words), rel=1e-6)


def test_any_word_fallback_scores_as_whooshs_or(tmp_path):
    build_index(DOCS, tmp_path)
    result = search(tmp_path, "延安精神 赵一曼", per_page=50)
    assert result.used_or_fallback
    assert_agrees(our_scores(tmp_path, "延安精神 赵一曼"), whoosh_scores(tmp_path, ["延安精神", "赵一曼"], use_or=True),
                  rel=1e-6)


def test_scores_still_agree_after_incremental_updates(tmp_path):
    # The tables read before the update are reused for the unchanged segment: the scores stay
    # within the documented tolerance of what Whoosh computes on the updated index.
    build_index(DOCS, tmp_path)
    our_scores(tmp_path, "抗联精神")
    update_documents([dict(DOCS[2], body="老党员讲述抗联精神。抗联精神永放光芒。"),
                      {"key": "news:9", "type": "news", "title": "抗联精神进校园", "url": "/news/9/"}], tmp_path)
    delete_documents(["ebook:6"], tmp_path)
    ours = our_scores(tmp_path, "抗联精神")
    assert "news:9" in dict(ours)
    assert_agrees(ours, whoosh_scores(tmp_path, ["抗联精神"]), rel=AVGFL_TOLERANCE)


BODY_ONLY = [
    # Newest, one passing mention in a long report.
    {"key": "news:1", "type": "news", "title": "社区工作简报", "url": "/news/1/", "date": "2023-06-01",
     "body": "本月社区完成了垃圾分类宣传、老年食堂改造和道路维修。" * 4 + "月底组织党员观看了关于红船精神的纪录片。"},
    # Oldest, about the subject in a short body.
    {"key": "news:2", "type": "news", "title": "党课回顾", "url": "/news/2/", "date": "2016-03-01",
     "body": "红船精神是中国革命精神之源。党课上，大家讨论了红船精神的内涵：开天辟地、敢为人先的首创精神。"},
    {"key": "news:3", "type": "news", "title": "读书会纪要", "url": "/news/3/", "date": "2019-09-01",
     "body": "读书会分享了《红船精神》一书，并讨论了延安精神。" + "与会者交流了学习体会。" * 3},
]


def test_body_only_matches_come_in_bm25_order_not_date_order(tmp_path):
    build_index(BODY_ONLY, tmp_path)
    ours = our_scores(tmp_path, "红船精神")
    theirs = whoosh_scores(tmp_path, ["红船精神"])
    assert [key for key, _ in ours] == sorted(theirs, key=lambda k: -theirs[k])
    assert [key for key, _ in ours] == ["news:2", "news:3", "news:1"]  # newest-first would be 1, 3, 2
    assert all(score > 0 for _key, score in ours)


def test_title_ranks_above_tags_above_body(tmp_path):
    build_index([
        {"key": "news:1", "type": "news", "title": "社区新闻", "url": "/1/", "body": "学习雷锋精神，争做时代新人。"},
        {"key": "news:2", "type": "news", "title": "社区新闻", "url": "/2/", "tags": ["雷锋精神"]},
        {"key": "news:3", "type": "news", "title": "雷锋精神", "url": "/3/"},
    ], tmp_path)
    assert [key for key, _ in our_scores(tmp_path, "雷锋精神")] == ["news:3", "news:2", "news:1"]


def test_words_standing_together_rank_above_words_far_apart(tmp_path):
    # Same words, same lengths: only their distance differs. The far-apart one is indexed first, so
    # without the bonus it would win the tie on docnum.
    far = "杨靖宇将军的故事在长白山区广为流传，当地群众世代缅怀抗联精神。"
    near = "当地群众世代缅怀杨靖宇将军的抗联精神，他的故事在长白山区广为流传。"
    build_index([
        {"key": "news:1", "type": "news", "title": "社区党课", "url": "/1/", "body": far},
        {"key": "news:2", "type": "news", "title": "社区党课", "url": "/2/", "body": near},
    ], tmp_path)
    ours = our_scores(tmp_path, "杨靖宇 抗联精神")
    assert [key for key, _ in ours] == ["news:2", "news:1"]
    assert ours[0][1] > ours[1][1]


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def test_newer_wins_only_between_equals(tmp_path):
    same = {"type": "news", "title": "三会一课制度", "body": "坚持三会一课，严格组织生活。"}
    build_index([
        {**same, "key": "news:1", "url": "/1/", "date": days_ago(5 * 365)},
        {**same, "key": "news:2", "url": "/2/", "date": days_ago(400)},
        # Published this week, about a fifth less relevant (the word in a longer title).
        {**same, "key": "news:3", "url": "/3/", "date": days_ago(3), "title": "三会一课制度学习解读与实践经验"},
        {"key": "news:4", "type": "news", "title": "社区简报", "url": "/4/", "body": "居民参加了义务劳动和文艺演出。"},
    ], tmp_path)
    assert [key for key, _ in our_scores(tmp_path, "三会一课")] == ["news:2", "news:1", "news:3"]


def test_top_of_a_page_is_the_top_of_the_full_ranking(tmp_path):
    # Thirty titles hold the word (a page may be filled from them alone), forty documents only in
    # their body, some of those so often in so short a text that they outrank the long titles:
    # a page may skip body-only matches only when none of them can reach it.
    docs = []
    for i in range(30):
        docs.append({"key": f"title:{i}", "type": "news", "url": f"/t/{i}/", "date": days_ago(30 * i),
                     "title": "四个自信" + "学习教育专题报道" * (i % 6) + f"第{i}期", "body": "社区党员参加学习。"})
    for i in range(40):
        docs.append({"key": f"body:{i}", "type": "news", "url": f"/b/{i}/", "date": days_ago(45 * i),
                     "title": f"社区动态第{i}期", "body": "坚定四个自信。" * (1 + i % 7) + "社区党员参加学习。" * (i % 5)})
    for i in range(9):
        docs.append({"key": f"other:{i}", "type": "news", "url": f"/o/{i}/", "title": f"其他新闻第{i}期",
                     "body": "社区党员参加学习。"})
    build_index(docs, tmp_path)
    ranking = [key for key, _ in our_scores(tmp_path, "四个自信")]
    assert any(key.startswith("body:") for key in ranking[:15])  # among the titles, not after them
    check_pages(tmp_path, {"四个自信": 70, "四个自信 学习": 62})  # 8 bodies lack 学习
    # Body-only documents in two segments: half of them replaced in one update by twenty equal texts
    # that outrank most titles (the newest first), so that a page is filled from two segments' lists.
    update_documents([dict(doc, body="坚定四个自信。" * 6 + "社区党员参加学习。", date=days_ago(20 - j))
                      for j, doc in enumerate(docs[50:70])], tmp_path)
    ranking = [key for key, _ in our_scores(tmp_path, "四个自信")]
    assert all(ranking.index(f"body:{i}") < 30 for i in range(28, 40))
    check_pages(tmp_path, {"四个自信": 70, "四个自信 学习": 66})


def check_pages(index_dir: Path, totals: dict[str, int]) -> None:
    # Two words: the phrase bonus (四个自信学习… in some titles) is computed only where it can matter.
    for q, total in totals.items():
        assert search(index_dir, q).total == total
        full = [key for key, _ in our_scores(index_dir, q)]  # the best 50
        for per_page in (2, 3, 5, 7, 10):
            for page in (1, 2, 3):
                hits = search(index_dir, q, per_page=per_page, page=page).hits
                assert [h.key for h in hits] == full[(page - 1) * per_page : page * per_page], (q, per_page, page)


def test_pages_of_mixed_documents_are_slices_of_the_full_ranking(tmp_path):
    # Seeded documents made of phrases in random order: words together in some titles, apart in
    # others, often in bodies. Whatever the bounds let ranking skip must not change any page.
    rng = random.Random(2)
    pieces = ["四个自信", "学习", "社区党员", "教育", "红色基因", "专题", "传承", "长春", "党史", "活动"]
    docs = [{"key": f"news:{i}", "type": "news", "url": f"/{i}/", "date": days_ago(rng.randrange(3000)),
             "title": "".join(rng.choices(pieces, k=rng.randint(1, 5))),
             "body": "，".join(rng.choices(pieces, k=rng.randint(0, 30)))} for i in range(48)]
    build_index(docs, tmp_path)
    assert_pages_are_slices(tmp_path)
    # Again with several segments (each update adds one), some documents replaced, one deleted.
    for i in range(0, 12, 3):
        update_documents([dict(docs[i], title=docs[i + 1]["title"] + "四个自信", date=days_ago(i))], tmp_path)
    delete_documents(["news:13"], tmp_path)
    assert_pages_are_slices(tmp_path)


def assert_pages_are_slices(index_dir: Path) -> None:
    for q in ("四个自信", "四个自信 学习", "社区党员 学习 红色基因", "党史 活动"):
        full = [key for key, _ in our_scores(index_dir, q)]
        assert len(full) >= 10, q
        for per_page in (1, 3, 4, 7):
            for page in (1, 2, 3):
                hits = search(index_dir, q, per_page=per_page, page=page).hits
                assert [h.key for h in hits] == full[(page - 1) * per_page : page * per_page], (q, per_page, page)
