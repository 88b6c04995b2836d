"""Benchmark the search core (jieba + Whoosh) on a synthetic, seeded party-history corpus; prints JSON.

    .venv/bin/python bench/bench_search_core.py --docs 20000 --build-repeat 0        # query latency
    .venv/bin/python bench/bench_search_core.py --docs 20000 --build-only            # index build
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOPICS = [
    "四个自信", "中国梦", "三会一课", "两学一做", "白山黑水", "党史学习教育", "四史学习", "不忘初心",
    "牢记使命", "红色基因", "延安精神", "抗联精神", "东北抗日联军", "长征精神", "井冈山精神",
    "红船精神", "西柏坡精神", "雷锋精神", "改革开放", "脱贫攻坚", "乡村振兴", "全面从严治党",
    "社会主义核心价值观", "新时代", "中华民族伟大复兴", "抗美援朝", "遵义会议", "古田会议",
]
HEROES = ["杨靖宇", "赵尚志", "赵一曼", "李兆麟", "周保中", "雷锋", "焦裕禄", "黄大年", "王进喜"]
DISTRICTS = [
    ("nanguan", "南关区"), ("kuancheng", "宽城区"), ("chaoyang", "朝阳区"), ("erdao", "二道区"),
    ("lvyuan", "绿园区"), ("shuangyang", "双阳区"), ("jiutai", "九台区"), ("yushu", "榆树市"),
    ("dehui", "德惠市"), ("gongzhuling", "公主岭市"), ("nongan", "农安县"),
    ("changchun-xinqu", "长春新区"), ("jingyue", "净月高新区"),
]
COLUMNS = ["shizheng-yaowen", "lingxiu-sixiang", "huihuang-licheng", "qiangguo-zhilu",
           "sige-zixin", "sishi-xuexi", "zhongguo-meng"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国明华红军志刚秀英海燕立新伟东丽娟春生文杰玉兰德胜"
BOOK_FORMS = ["{t}学习读本", "{t}的历史与实践", "{t}干部读本", "图说{t}", "{t}百问百答", "{h}传", "{h}与{t}"]
NEWS_FORMS = ["{d}开展{t}专题学习", "{d}社区党员参加{t}活动", "{d}举办{t}宣讲会", "{d}推进{t}走深走实"]
SITE_FORMS = ["{h}纪念馆", "{d}{t}教育基地", "{d}党群服务中心", "{h}烈士陵园"]
SERIES_FORMS = ["{t}", "走近{h}", "{t}故事汇", "百年{t}"]
SENTENCES = [
    "社区党员认真学习{t}，深刻领会其精神实质。", "{h}的事迹激励着一代又一代共产党员。",
    "{d}组织党员开展主题党日活动，重温入党誓词。", "在白山黑水之间，东北抗日联军坚持了十四年的斗争。",
    "通过三会一课制度，基层党组织的战斗堡垒作用不断增强。", "老党员讲述亲身经历，传承红色基因。",
    "学习{t}要联系实际，做到学思用贯通、知信行统一。", "长春作为新中国汽车工业的摇篮，见证了国有企业改革的历程。",
    "本期内容围绕{t}展开，共分为若干章节。", "{h}同志的精神永远值得我们学习。",
]
TYPE_SHARE = [("episode", 0.58), ("ebook", 0.13), ("series", 0.07), ("issue", 0.08),
              ("periodical", 0.03), ("news", 0.08), ("site", 0.03)]

HOT_QUERIES = ["四个自信", "中国梦", "三会一课", "白山黑水", "党史学习教育", "红色基因", "抗联精神", "两学一做"]
RARE_QUERIES = ["赵一曼", "黄大年", "焦裕禄", "古田会议", "王进喜", "德惠市", "公主岭市", "西柏坡精神"]
MULTI_QUERIES = ["杨靖宇 抗联精神 纪念馆", "南关区 党员 学习", "长春 国有企业 改革", "四个自信 读本 干部",
                 "白山黑水 东北抗日联军 斗争", "中国梦 故事 新时代"]
ODD_QUERIES = ["四个自心", "sigezixin", "title:*", "国有企业" * 40]
# Odd and hostile input: pinyin (full, initials, mixed), Latin junk and typos, unknown words, the most
# words a query keeps, a repeated word, operator soup. Every one must stay under the time limit.
HOSTILE_QUERIES = ODD_QUERIES + [
    "changwuxian", "daerjiaohezhen", "abcdefg", "qwzxkjvbnmlpoiuytrewqasdfghjkl" * 3, "marxsim",
    "sgzx", "xjp", "yanan", "延an", "dang shi xue xi", "sigezixinxijinping", "党史学系", "量子纠缠超导体",
    "国有 企业 改革 党史 学习 四个自信 中国梦 白山黑水 三会一课 杨靖宇 延安精神 陵园",
    'title:* OR (国有 AND NOT 企业) "党史" -改革 +学习 ~2 ^3 [a TO z]', "😀🇨🇳👍", "<script>alert(1)</script>",
]
PREFIXES = ["sgzx", "sige", "s", "四个", "四", "dsxx", "dang", "yjy", "杨", "kl", "hs", "zhongguo", "红色", "nanguan"]


def _pick(rng: random.Random, seq: list):
    return seq[rng.randrange(len(seq))]


def _name(rng: random.Random) -> str:
    return _pick(rng, list(SURNAMES)) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))


def _fill(form: str, rng: random.Random) -> str:
    return form.format(t=_pick(rng, TOPICS), h=_pick(rng, HEROES), d=_pick(rng, DISTRICTS)[1])


def _text(rng: random.Random, sentences: int) -> str:
    return "".join(_fill(_pick(rng, SENTENCES), rng) for _ in range(sentences))


def make_docs(count: int, seed: int) -> list[dict]:
    """`count` deterministic documents shaped like the CMS API's search documents."""
    rng = random.Random(seed)
    docs = []
    series_titles: list[str] = []
    for i in range(count):
        r = rng.random()
        acc = 0.0
        doc_type = TYPE_SHARE[-1][0]
        for name, share in TYPE_SHARE:
            acc += share
            if r < acc:
                doc_type = name
                break
        district_slug, _district = _pick(rng, DISTRICTS) if rng.random() < 0.3 else ("", "")
        if doc_type == "ebook":
            title, body = _fill(_pick(rng, BOOK_FORMS), rng), "目录 " + _text(rng, 12)
        elif doc_type == "news":
            title, body = _fill(_pick(rng, NEWS_FORMS), rng), _text(rng, 8)
        elif doc_type == "site":
            title, body = _fill(_pick(rng, SITE_FORMS), rng), _text(rng, 3)
        elif doc_type == "series":
            title, body = _fill(_pick(rng, SERIES_FORMS), rng), _text(rng, 4)
            series_titles.append(title)
        elif doc_type == "episode":
            base = _pick(rng, series_titles) if series_titles else _pick(rng, TOPICS)
            title, body = f"{base} 第{rng.randint(1, 40)}集", _text(rng, 15)  # transcript
        else:
            title, body = f"《{_pick(rng, TOPICS)}》{rng.randint(2015, 2023)}年第{rng.randint(1, 12)}期", _text(rng, 6)
        docs.append({
            "key": f"{doc_type}:{i}",
            "type": doc_type,
            "title": title,
            "people": "、".join(_name(rng) for _ in range(rng.randint(0, 2))),
            "summary": _text(rng, 2),
            "body": body,
            "columns": rng.sample(COLUMNS, rng.randint(1, 2)),
            "district": district_slug,
            "tags": rng.sample(TOPICS, 2),
            "date": f"{rng.randint(2015, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "url": f"/{doc_type}/{i}/",
            "cover": "",
        })
    return docs


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": round(ordered[-1], 3),
            "mean": round(statistics.fmean(ordered), 3), "n": len(ordered)}


def _whoosh_distribution() -> str:
    for dist in ("Whoosh-Reloaded", "wesh", "Whoosh"):
        try:
            return f"{dist}=={metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=20210701)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the whole query set within a round")
    parser.add_argument("--rounds", type=int, default=3, help="query-latency rounds; figures are their medians")
    parser.add_argument("--updates", type=int, default=20, help="one-document updates per round, each followed by a query")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="default: a temporary directory; a directory that already holds an index is "
                             "reused for the query figures (it is updated, not rebuilt)")
    parser.add_argument("--build-repeat", type=int, default=3, help="full builds per configuration (0: none)")
    parser.add_argument("--build-procs", default="1,auto", help="process counts to build with, e.g. 1,2,auto")
    parser.add_argument("--update-repeat", type=int, default=5, help="one-document updates timed after the builds")
    parser.add_argument("--build-only", action="store_true", help="only the index-build and update figures")
    args = parser.parse_args(argv)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = {"docs": args.docs} if args.build_only else _run(args)
        if args.build_repeat > 0:
            figures["index_build"] = build_figures(args)
    figures["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:120]} ({Path(w.filename).name})"
                                  for w in caught if w.category in (DeprecationWarning, SyntaxWarning,
                                                                    PendingDeprecationWarning, FutureWarning)})
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return figures


def _run(args: argparse.Namespace) -> dict:
    """Query latency: search with highlights and facets, odd and hostile queries, suggestions, and the
    first query after each one-document update; each figure is the median over `--rounds` rounds."""
    import os

    t0 = time.perf_counter()
    from search_index.analysis import get_dictionary
    _ = get_dictionary().tokenizer  # first use loads jieba's dictionary
    jieba_startup = time.perf_counter() - t0

    from search_index.indexer import build_index, index_size_bytes

    docs = make_docs(args.docs, args.seed)
    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    reused = (index_dir / "CURRENT").exists()
    try:
        build_s = None
        if not reused:
            t0 = time.perf_counter()
            build_index(docs, index_dir)
            build_s = round(time.perf_counter() - t0, 2)
        load = [os.getloadavg()[0]]
        rounds = []
        for r in range(args.rounds):
            rounds.append(_query_round(index_dir, docs, args.repeat, args.updates, first_doc=r * args.updates))
            load.append(os.getloadavg()[0])
        figures = _median_of(rounds)
        return {
            "python": platform.python_version(),
            "whoosh": _whoosh_distribution(),
            "docs": args.docs,
            "index_reused": reused,
            "build_s": build_s,
            "index_size_bytes": index_size_bytes(index_dir),
            "jieba_startup_s": round(jieba_startup, 3),
            "rounds": args.rounds,
            "load_avg_1min": [round(x, 1) for x in load],
            "goals": {
                "first_query_after_update_p95_ms < 20": figures["first_query_after_update_ms"]["p95"],
                "hostile_and_odd_max_ms < 100": figures["hostile_ms"]["max"],
                "search_p95_ms (highlights + facets) < 20": figures["search_ms"]["p95"],
                "suggest_p95_ms < 5": figures["suggest_ms"]["p95"],
            },
            **figures,
        }
    finally:
        if args.index_dir is None:
            shutil.rmtree(index_dir, ignore_errors=True)


def _query_round(index_dir: Path, docs: list[dict], repeat: int, updates: int, first_doc: int) -> dict:
    from search_index.indexer import update_documents
    from search_index.query import search, suggest
    from search_index.snapshot import pooled_snapshot

    def timed(q: str) -> tuple[float, float, object]:
        """Wall and CPU milliseconds of one search (CPU time hardly moves with the machine's load)."""
        t0, c0 = time.perf_counter(), time.process_time()
        result = search(index_dir, q)
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000, result

    def uncached(q: str) -> tuple[float, float, object]:
        """One search as the first time anyone asks it in this generation (result cache emptied)."""
        with pooled_snapshot(index_dir) as snap:
            snap.results.clear()
        return timed(q)

    groups = {"hot": HOT_QUERIES, "rare": RARE_QUERIES, "three_terms": MULTI_QUERIES}
    everyday = [q for group in groups.values() for q in group]
    for q in everyday + HOSTILE_QUERIES:  # warm-up: searcher, tables of every word, suggestion table
        search(index_dir, q)

    by_group: dict[str, list[float]] = {name: [] for name in groups}
    search_cpu: list[float] = []
    cached: list[float] = []
    totals: dict[str, int] = {}
    for _ in range(repeat):
        for name, group in groups.items():
            for q in group:
                ms, cpu, result = uncached(q)
                by_group[name].append(ms)
                search_cpu.append(cpu)
                totals[q] = result.total
                cached.append(timed(q)[0])

    hostile: dict[str, list[float]] = {q: [] for q in HOSTILE_QUERIES}
    hostile_cpu: list[float] = []
    partial: dict[str, int] = {}
    for _ in range(repeat):
        for q in HOSTILE_QUERIES:
            ms, cpu, result = uncached(q)
            hostile[q].append(ms)
            hostile_cpu.append(cpu)
            if result.partial:
                partial[q] = partial.get(q, 0) + 1

    suggest_ms = []
    for _ in range(repeat * 4):
        for prefix in PREFIXES:
            t0 = time.perf_counter()
            suggest(index_dir, prefix)
            suggest_ms.append((time.perf_counter() - t0) * 1000)

    # An editor publishes one item, then a member searches: the first query on the new snapshot.
    first_ms, first_cpu, update_s, first_partial = [], [], [], 0
    for i in range(updates):
        doc = docs[(first_doc + i) % len(docs)]
        t0 = time.perf_counter()
        update_documents([dict(doc, title=f"{doc['title']} 修订{first_doc + i}")], index_dir)
        update_s.append(time.perf_counter() - t0)
        ms, cpu, result = timed(everyday[i % len(everyday)])
        first_ms.append(ms)
        first_cpu.append(cpu)
        first_partial += result.partial

    all_hostile = [ms for values in hostile.values() for ms in values]
    return {
        "search_ms": _percentiles([ms for values in by_group.values() for ms in values]),
        "search_cpu_ms": _percentiles(search_cpu),
        "search_ms_by_group": {name: _percentiles(values) for name, values in by_group.items()},
        "search_cached_ms": _percentiles(cached),
        "hostile_ms": {**_percentiles(all_hostile),
                       "slowest": {q[:40]: round(max(v), 1) for q, v in sorted(hostile.items(), key=lambda kv: -max(kv[1]))[:5]},
                       "partial_answers": partial},
        "hostile_cpu_ms": _percentiles(hostile_cpu),
        "suggest_ms": _percentiles(suggest_ms),
        "first_query_after_update_ms": {**_percentiles(first_ms), "partial_answers": first_partial},
        "first_query_after_update_cpu_ms": _percentiles(first_cpu),
        "update_one_doc_s": round(statistics.median(update_s), 3),
        "hits_sample": {q: totals[q] for q in (HOT_QUERIES[0], RARE_QUERIES[0], MULTI_QUERIES[0])},
    }


def _median_of(rounds: list[dict]) -> dict:
    """The median of each number over the rounds (nested dicts alike); other values from the last round."""
    first = rounds[-1]
    out: dict = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = _median_of([r.get(key, {}) for r in rounds])
        elif isinstance(value, int | float) and not isinstance(value, bool):
            numbers = [r[key] for r in rounds if isinstance(r.get(key), int | float)]
            out[key] = round(statistics.median(numbers), 3)
        else:
            out[key] = value
    return out


# Index-build throughput and one-document updates --------------------------------------------------


def build_figures(args: argparse.Namespace) -> dict:
    """Full-build throughput in characters of analysed text per second: ours with each process count
    and a plain jieba + Whoosh build of the same documents; then one-document updates.

    Configurations take turns within each round so that load from other users of the machine falls
    on all of them alike; each figure is the median of `--build-repeat` builds. CPU seconds
    (this process plus its helpers) are shown as well: unlike wall time, they hardly move with the
    machine's load. The plain build has no suggestion table or meta.json, ours writes both.
    """
    import os

    import jieba

    from search_index.analysis import get_dictionary
    from search_index.indexer import build_index, default_processes
    from search_index.schema import TEXT_FIELDS, to_fields

    _ = get_dictionary().tokenizer  # load jieba's dictionary before the clock starts
    jieba.initialize()  # the plain build's global tokenizer
    docs = make_docs(args.docs, args.seed)
    chars = sum(len(to_fields(doc).get(name, "")) for doc in docs for name in TEXT_FIELDS)
    counts = [default_processes(chars) if p.strip() == "auto" else int(p) for p in args.build_procs.split(",")]
    builders = {f"ours_{n}_processes": (lambda path, n=n: build_index(docs, path, procs=n)) for n in dict.fromkeys(counts)}
    builders["plain_jieba_whoosh_1_process"] = lambda path: _plain_build(docs, path)
    runs: dict[str, list[dict]] = {name: [] for name in builders}
    for _ in range(args.build_repeat):
        for name, build in builders.items():
            runs[name].append(_timed_build(build, chars))
    out: dict = {
        "docs": len(docs),
        "text_chars": chars,
        "cores": len(os.sched_getaffinity(0)),
        "default_processes": default_processes(chars),
        "repeats": args.build_repeat,
    }
    for name, samples in runs.items():
        out[name] = {
            "processes": samples[0]["processes"],
            "chars_per_s_median": round(statistics.median(chars / s["wall_s"] for s in samples)),
            "wall_s_median": round(statistics.median(s["wall_s"] for s in samples), 2),
            "chars_per_cpu_s_median": round(statistics.median(chars / s["cpu_s"] for s in samples)),
            "wall_s_runs": [s["wall_s"] for s in samples],
            "load_avg_1min_runs": [s["load"] for s in samples],
        }
    out["update_one_doc"] = _update_figures(docs, args.update_repeat)
    return out


def _timed_build(build, chars: int) -> dict:
    """Wall and CPU seconds (this process and the helpers it waited for) of one build into a new directory."""
    import os
    import resource

    path = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        load = os.getloadavg()[0]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu, wall = time.process_time(), time.perf_counter()
        report = build(path)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    finally:
        shutil.rmtree(path, ignore_errors=True)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load": round(load, 1),
            "processes": getattr(report, "processes", 1)}


def _plain_build(docs: list[dict], path: Path) -> None:
    """The baseline: jieba's own Whoosh analyzer (cut_for_search, lowercase, stop words, stemming) on
    the same fields, boosts and stored values, one Whoosh writer, optimised to one segment."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    from search_index.schema import FIELD_BOOSTS, TEXT_FIELDS, to_fields

    analyzer = ChineseAnalyzer()
    text = {name: TEXT(analyzer=analyzer, stored=name in ("title", "people", "tags"), phrase=True,
                       field_boost=FIELD_BOOSTS.get(name, 1.0)) for name in TEXT_FIELDS}
    schema = Schema(key=ID(stored=True, unique=True), type=ID(stored=True, sortable=True),
                    columns=KEYWORD(stored=True, commas=True, scorable=False), district=ID(stored=True, sortable=True),
                    date=ID(stored=True, sortable=True), excerpt=STORED(), url=STORED(), cover=STORED(), **text)
    writer = index.create_in(str(path), schema).writer(limitmb=128)
    for doc in docs:
        writer.add_document(**{k: v for k, v in to_fields(doc).items() if k in schema})
    writer.commit(optimize=True)


def _update_figures(docs: list[dict], repeat: int) -> dict:
    """One-document updates on a built index: seconds until search() finds the new title (polled from
    another thread, first query on the new snapshot included) and until update_documents() returns;
    and a delete of a key the index does not hold, as sync_item makes before each update."""
    import threading

    from search_index.indexer import build_index, delete_documents, update_documents
    from search_index.query import search

    path = Path(tempfile.mkdtemp(prefix="bench-update-"))
    try:
        build_index(docs, path)
        search(path, "四个自信")
        searchable, returned, missing_delete = [], [], []

        def update(doc: dict, done: list[float]) -> None:
            update_documents([doc], path)
            done.append(time.perf_counter())

        for i in range(repeat):
            word = f"蜂鸟{i}号"
            done: list[float] = []
            started = time.perf_counter()
            worker = threading.Thread(target=update, args=(dict(docs[i], title=f"{word}学习读本"), done))
            worker.start()
            while not search(path, word).total:
                time.sleep(0.005)
            searchable.append(time.perf_counter() - started)
            worker.join()
            returned.append(done[0] - started)
            t0 = time.perf_counter()
            delete_documents([f"news:missing{i}"], path)
            missing_delete.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(path, ignore_errors=True)
    return {"docs": len(docs), "repeats": repeat,
            "searchable_s_median": round(statistics.median(searchable), 3),
            "update_returns_s_median": round(statistics.median(returned), 3),
            "delete_missing_key_s_median": round(statistics.median(missing_delete), 3),
            "searchable_s_runs": [round(x, 3) for x in searchable]}


if __name__ == "__main__":
    main()
