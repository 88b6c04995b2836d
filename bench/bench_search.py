"""Benchmark hot-word search end to end against a seeded CMS; prints JSON.

    .venv/bin/python bench/bench_search.py --scale seed [--seed-dir /tmp/bench-seed]

Copies the seeded var dir (never modifies it), serves its API, builds the index over HTTP
(build_search_index), then measures queries and suggestions in-process and over HTTP, and the
seconds from a publish to the item being searchable through the queue and a real worker.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._cms import cms_env, manage, running_cms  # noqa: E402

HOT = ["四个自信", "中国梦", "三会一课", "白山黑水", "党史学习教育", "红色基因", "抗联精神", "两学一做"]
RARE = ["赵一曼", "黄大年", "焦裕禄", "古田会议", "德惠市", "公主岭市", "西柏坡精神", "王进喜"]
MULTI = ["杨靖宇 抗联精神 纪念馆", "南关区 党员 学习", "长春 国有企业 改革", "四个自信 读本 干部", "中国梦 故事 新时代"]
SUGGEST = ["四", "四个", "sgzx", "sige", "zhongguo", "dang", "hong", "s", "白山", "baishan"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def summary(values: list[float]) -> dict:
    return {"p50_ms": pct(values, 50), "p95_ms": pct(values, 95), "p99_ms": pct(values, 99),
            "max_ms": round(max(values), 2), "mean_ms": round(statistics.mean(values), 2), "n": len(values)}


def timed(fn, *args, **kwargs) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def in_process(index_dir: Path, repeat: int) -> dict:
    started = time.perf_counter()
    from search_index.analysis import get_dictionary

    get_dictionary()  # jieba's prefix dictionary (from its cache file)
    jieba_seconds = time.perf_counter() - started
    from search_index.query import search, suggest

    search(index_dir, "党史")  # open the index once
    groups = {"hot": HOT, "rare": RARE, "three_terms": MULTI}
    out: dict = {"jieba_startup_seconds": round(jieba_seconds, 3)}
    first = [timed(search, index_dir, q) for q in HOT + RARE + MULTI]
    out["first_run"] = summary(first)
    everything: list[float] = []
    for name, queries in groups.items():
        times = [timed(search, index_dir, q) for _ in range(repeat) for q in queries]
        everything += times
        out[name] = summary(times)
    out["all_queries"] = summary(everything)
    out["suggest"] = summary([timed(suggest, index_dir, q) for _ in range(repeat) for q in SUGGEST])
    return out


def over_http(base: str, repeat: int) -> dict:
    """A new connection per request, as a phone opening a search does. (Keep-alive against Django's
    runserver adds a constant ~40 ms: Nagle's algorithm meets delayed ACKs, a dev-server artefact.)"""

    def get(path: str, **params):
        response = requests.get(base + path, params=params, timeout=30, headers={"Connection": "close"})
        response.raise_for_status()
        return response

    get("/api/search/", q="党史")
    search_times = [timed(get, "/api/search/", q=q) for _ in range(repeat) for q in HOT + RARE + MULTI]
    html_times = [timed(get, "/search/", q=q) for q in HOT + RARE + MULTI]
    suggest_times = [timed(get, "/api/suggest/", q=q) for _ in range(repeat) for q in SUGGEST]
    return {"api_search": summary(search_times), "html_search": summary(html_times), "api_suggest": summary(suggest_times)}


PUBLISH = """
import time
from content_models.models import EBookPage
book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
book.title = "{word}学习读本"
book.save_revision().publish()
print("published", time.time(), flush=True)
"""


# Words no party-history catalogue holds, one per publish.
FRESH_WORDS = ["蜂鸟", "鹈鹕", "犰狳", "鼯鼠", "蝾螈", "穿山甲", "树袋熊"]

QUEUE_IDLE = """
import time
from django_tasks_db.models import DBTaskResult
deadline = time.monotonic() + 600
while DBTaskResult.objects.filter(finished_at__isnull=True).exists() and time.monotonic() < deadline:
    time.sleep(0.2)
"""

INDEX_TASKS = """
import json
from django_tasks_db.models import DBTaskResult
rows = DBTaskResult.objects.filter(task_path__endswith="index_item", finished_at__isnull=False).order_by("enqueued_at")
print(json.dumps([[(r.started_at - r.enqueued_at).total_seconds(), (r.finished_at - r.started_at).total_seconds()] for r in rows]))
"""


def publish_to_searchable(env: dict, base: str, repeat: int, timeout: float = 60) -> dict:
    """Seconds from a publish's commit to the word being found through /api/search/, median of `repeat`
    publishes; and for the index_item tasks, seconds waiting in the queue and running."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--backend", "queue", "--no-startup-delay", "--no-reload", "--interval", "0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    runs: list[float | None] = []
    try:
        time.sleep(3)  # the worker's own Django start-up is not part of a publish
        for i in range(repeat):
            # The previous publish's site rebuild would hold the worker: each publish starts on an idle queue.
            subprocess.run([sys.executable, "manage.py", "shell", "-c", QUEUE_IDLE], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            # A word of its own per publish (each run starts from a fresh copy of the seeded data): a
            # word sharing a part with the previous publish's, such as a number, was "found" at once
            # through that part or a correction of it.
            word = FRESH_WORDS[i % len(FRESH_WORDS)]
            if requests.get(base + "/api/search/", params={"q": word}, timeout=10).json()["total"]:
                raise RuntimeError(f"{word} is found before it is published: pick another test word")
            # The clock starts when publish() has returned (committed), read from the shell's output:
            # the shell process takes a while longer to exit, and the worker does not wait for it.
            publisher = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", PUBLISH.format(word=word)],
                                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            published = next(float(line.split()[1]) for line in publisher.stdout if line.startswith("published "))
            found = None
            while time.time() - published < timeout:
                if requests.get(base + "/api/search/", params={"q": word}, timeout=10).json()["total"]:
                    found = round(time.time() - published, 2)
                    break
                time.sleep(0.05)
            publisher.wait(60)
            runs.append(found)
        tasks = json.loads(subprocess.run([sys.executable, "manage.py", "shell", "-c", INDEX_TASKS], cwd=ROOT, env=env,
                                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    finally:
        worker.terminate()
        worker.wait(10)
    done = [r for r in runs if r is not None]
    return {
        "publish_to_searchable_seconds_median": round(statistics.median(done), 2) if done else None,
        "publish_to_searchable_runs": runs,
        "index_task_queue_wait_seconds_median": round(statistics.median(t[0] for t in tasks), 3) if tasks else None,
        "index_task_run_seconds_median": round(statistics.median(t[1] for t in tasks), 3) if tasks else None,
        "index_tasks": len(tasks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="seed")
    parser.add_argument("--seed-dir", type=Path, default=Path("/tmp/bench-seed"),
                        help="a var dir seeded with `manage.py seed_demo --scale SCALE` (copied, never changed)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    var_dir = work / "var"
    env = {**cms_env(var_dir), "SEARCH_INDEX_DIR": str(var_dir / "search-index")}
    result: dict = {"scale": args.scale}
    try:
        if (args.seed_dir / "db.sqlite3").exists():
            shutil.copytree(args.seed_dir, var_dir)
            manage(env, "migrate", "--noinput", "-v0")
        else:
            var_dir.mkdir(parents=True)
            manage(env, "migrate", "--noinput", "-v0")
            result["seed_seconds"] = round(manage(env, "seed_demo", "--scale", args.scale), 1)
        # Tasks left in the copied queue by the seeding are not part of this measurement.
        manage(env, "shell", "-v0", "-c", "from django_tasks_db.models import DBTaskResult; DBTaskResult.objects.all().delete()")
        with running_cms(env) as base:
            env["CMS_API_URL"] = base + "/api/v2/"
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "manage.py", "build_search_index"], cwd=ROOT, env=env,
                                 check=True, capture_output=True, text=True).stdout
            build = json.loads(out.strip().splitlines()[-1])
            build["command_seconds"] = round(time.perf_counter() - started, 2)
            build["docs_per_second"] = round(build["documents"] / max(build["fetch_seconds"] + build["index_seconds"], 1e-6), 1)
            result["build"] = build
            result["index_size_mb"] = round(build["size_bytes"] / 1048576, 2)

            import os

            os.environ.update({"DANGSHI_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "cms.settings.dev"})
            result["in_process"] = in_process(var_dir / "search-index", args.repeat)
            result["http"] = over_http(base, args.repeat)
            result.update(publish_to_searchable({**env, "WAGTAILADMIN_BASE_URL": base}, base, args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
