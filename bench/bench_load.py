"""Load figures of the production stack on loopback (nginx + gunicorn + PostgreSQL + the queue worker); prints JSON.

    .venv/bin/python bench/bench_load.py [--docs 12000] [--seconds 30] [--clients 50] [--workers 2 --threads 4]
                                         [--think-ms 0,500]

Starts the stack as deploy/smoke.sh does (deploy/stack.sh: production settings, the tiny catalogue), with nginx's
search limit and the application's RATE_LIMITS raised for one loopback address (a settings module written to the
work folder; the defaults are untouched). The search index is then replaced by --docs synthetic documents shaped
like the API's (bench_search_core's corpus; 12,000 ≈ the seed catalogue) because seeding the seed scale into
PostgreSQL takes longer than a bench run. Then, with wrk (keep-alive connections, --clients of them):
  a. /api/search/ through nginx, a mix of hot queries and long-tail word pairs and rare titles;
  b. static pages through nginx (home, a news page, a cover, hot words; gzip);
  c. an editor's publish through the admin's edit view (smoke_checks.Smoke.publish_edit) while (a) runs again.
Each --think-ms value is one series of (a)–(c): 0 is clients that never pause (the machine saturated: latency is
queueing); 500 is 50 members each searching every half second, ~100 searches/s, the sizing's peak evening.
Runs are bounded by --seconds; the load average at start and the scale are in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "deploy"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench.bench_search_core import make_docs  # noqa: E402

HOT = ["四个自信", "延安精神", "抗联精神", "中国梦", "三会一课", "白山黑水", "党史学习教育", "红色基因", "两学一做", "sgzx"]
RARE = ["赵一曼", "黄大年", "焦裕禄", "古田会议", "德惠市", "公主岭市", "西柏坡精神", "王进喜", "杨靖宇 抗联精神 纪念馆",
        "南关区 党员 学习", "长春 国有企业 改革", "四个自信 读本 干部", "yananjingshen", "hongse"]
PAIR_WORDS = ["长征", "遵义会议", "井冈山", "南昌起义", "抗日战争", "解放战争", "改革开放", "脱贫攻坚", "乡村振兴", "雷锋",
              "东北抗联", "吉林", "长春", "社区", "党支部", "宣讲", "纪念馆", "英雄", "精神", "故事", "读本", "干部",
              "青年", "农村", "工厂", "学校", "历史", "文物", "老兵", "家书"]
HOT_SHARE = 0.7

# wrk's Lua: each thread walks the shared path list from its own random start; done() prints one JSON line.
LUA = """
local paths = {%s}
local i = 0
local headers = {["Accept-Encoding"] = "gzip"}
setup = function(thread) thread:set("start", math.random(#paths)) end
init = function() i = tonumber(start) or 0 end
delay = function() return %d end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %%d, "seconds": %%.2f, "p50_ms": %%.2f, "p95_ms": %%.2f, ' ..
    '"p99_ms": %%.2f, "max_ms": %%.2f, "errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d}}\\n', summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3, e.connect, e.read, e.write,
    e.status, e.timeout))
end
"""

SETTINGS = '''"""bench_load's settings: production's, without the per-address limits one loopback load generator would hit."""
from cms.settings.production import *  # noqa: F403

RATE_LIMITS = [rule for rule in RATE_LIMITS if "search" not in rule["path"]]  # noqa: F405
'''


def search_paths(count: int, seed: int = 7) -> list[str]:
    """`count` /api/search/ paths: HOT_SHARE hot queries, the rest long-tail word pairs and rare titles."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        if rng.random() < HOT_SHARE:
            queries.append(rng.choice(HOT))
        elif rng.random() < 0.3:
            queries.append(rng.choice(RARE))
        else:
            queries.append(" ".join(rng.sample(PAIR_WORDS, 2)))
    return [f"/api/search/?q={quote(q)}" for q in queries]


def wrk(base: str, paths: list[str], seconds: int, clients: int, work: Path, think_ms: int = 0) -> dict:
    """One wrk run over `paths` (round robin per thread), each client pausing `think_ms` between requests; its
    figures plus requests/s."""
    script = work / f"wrk-{time.monotonic_ns()}.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), think_ms), encoding="utf-8")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    figures = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    figures["requests_per_s"] = round(figures["requests"] / figures["seconds"], 1)
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    return figures


def replace_index(docs: int) -> dict:
    """Build `docs` synthetic documents into the live index (a new generation; gunicorn swaps to it)."""
    import django

    django.setup()
    from django.conf import settings

    from search_index import indexer

    started = time.perf_counter()
    report = indexer.build_index(make_docs(docs, seed=20), Path(settings.SEARCH_INDEX_DIR))
    return {"docs": docs, "build_seconds": round(time.perf_counter() - started, 1),
            "documents": getattr(report, "documents", docs)}


def static_paths(public: str) -> list[str]:
    home = requests.get(public + "/", timeout=30).text
    news = re.findall(r'href="(/news/\d+/)"', home)[:3]
    covers = re.findall(r'src="(/media/images/[^"]+)"', home)[:2]
    return ["/", *news, *covers, "/hot/words.json"]


def inside(args: argparse.Namespace) -> dict:
    """Runs under deploy/stack.sh, which exported STACK_* and the production settings."""
    from smoke_checks import Smoke

    public, admin, work = os.environ["STACK_PUBLIC"], os.environ["STACK_ADMIN"], Path(os.environ["STACK_WORK"])
    smoke = Smoke(argparse.Namespace(
        public=public, admin=admin, username="admin", password="dangshi-demo-2021", private_file=quote(os.environ["STACK_PRIVATE_FILE"]),
        media_root=work / "var" / "media", security_headers=ROOT / "deploy" / "nginx" / "security_headers.conf"))
    news = smoke.first_news()
    smoke.wait_for_first_build(news)  # the worker's first site and index builds (tiny catalogue)
    out: dict = {"index": replace_index(args.docs)}
    paths = search_paths(2000)
    requests.get(public + "/api/search/", params={"q": "党史"}, timeout=30)  # the new generation opened
    for think_ms in [int(value) for value in args.think_ms.split(",")]:
        series = out[f"think_{think_ms}ms"] = {}
        series["search"] = wrk(public, paths, args.seconds, args.clients, work, think_ms)
        series["static"] = wrk(public, static_paths(public), args.seconds, args.clients, work, think_ms)
        publish: dict = {}

        def edit(publish: dict = publish) -> None:
            time.sleep(2)
            smoke.editor = requests.Session()  # logged out: a second series logs in again through the form
            started = time.perf_counter()
            smoke.publish_edit(news)  # log in, edit form, publish; waits for the page and search to show it
            publish.update(seconds_to_page_and_search=round(time.perf_counter() - started, 1), failed_checks=smoke.failed[:])

        thread = threading.Thread(target=edit)
        thread.start()
        series["search_during_publish"] = wrk(public, paths, args.seconds, args.clients, work, think_ms)
        thread.join()
        series["search_during_publish"]["publish"] = publish
    out["static_paths"] = static_paths(public)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=12000, help="synthetic documents in the search index")
    parser.add_argument("--seconds", type=int, default=30, help="each wrk run (at most 30 s)")
    parser.add_argument("--clients", type=int, default=50, help="wrk's concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--think-ms", default="0,500", help="pause of each client between requests, one series per value")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)  # the JSON file the run under stack.sh writes
    args = parser.parse_args()
    args.seconds = min(args.seconds, 30)
    if args.inside:
        args.inside.write_text(json.dumps(inside(args), ensure_ascii=False))
        return

    if shutil.which("wrk") is None:
        sys.exit("bench_load needs wrk, the HTTP load generator: apt-get install wrk")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (work / "bench_load_settings.py").write_text(SETTINGS, encoding="utf-8")
    result_file = work / "result.json"
    env = {
        **os.environ, "PYTHONPATH": str(work), "STACK_SETTINGS": "bench_load_settings",
        "SMOKE_DATABASE": "dangshi_bench_load", "GUNICORN_WORKERS": str(args.workers), "GUNICORN_THREADS": str(args.threads),
        "STACK_NGINX_SET": "SEARCH_RATE=100000r/s SEARCH_BURST=100000",
    }
    started = time.perf_counter()
    # The stack's progress lines go to stderr; stdout is this JSON only.
    try:
        subprocess.run(["bash", "deploy/stack.sh", sys.executable, str(Path(__file__).resolve()), "--inside", str(result_file),
                        "--docs", str(args.docs), "--seconds", str(args.seconds), "--clients", str(args.clients), "--think-ms", args.think_ms],
                       cwd=ROOT, env=env, stdout=sys.stderr, check=True)
        figures = json.loads(result_file.read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "scale": {"catalogue": "tiny (seed_demo --scale tiny) in PostgreSQL", "search_index_docs": args.docs,
                  "search_index": "synthetic documents (bench_search_core.make_docs), not the seeded catalogue"},
        "stack": {"gunicorn_workers": args.workers, "gunicorn_threads": args.threads, "gunicorn_worker_class": "gthread",
                  "gunicorn_max_requests": int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000)),
                  "nginx_worker_processes": 2, "queue_workers": 1, "cpus": os.cpu_count(),
                  "load_generator": f"wrk -t2 -c{args.clients} -d{args.seconds}s, keep-alive, same machine",
                  "search_mix": f"{HOT_SHARE:.0%} hot queries ({len(HOT)}), the rest rare titles and word pairs"},
        "load_average_at_start": load_at_start,
        **figures,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
