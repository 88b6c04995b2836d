"""The privacy fuzz at bench size: ≥ 1,000 seeded editors' actions with the real worker rebuilding, reindexing
and publishing to moto's S3 server between them, every output checked after each build (see
tests/site_builder/privacy_fuzz.py). Runs the suite's test with a larger FUZZ_OPERATIONS and prints its
figures as one JSON object: operations by kind, builds, markers checked, leaks found and mismatches with a
full build (both must be 0). Exit 1 if the run failed.

Usage: .venv/bin/python bench/bench_privacy_fuzz.py [--operations 1000] [--seed 2021] [--build-every 6]
       (add DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run it on PostgreSQL)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/site_builder/test_privacy_fuzz.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--build-every", type=int, default=6, help="operations between two builds and checks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="privacy-fuzz-") as scratch:
        report = Path(scratch) / "report.json"
        env = {
            **os.environ,
            "FUZZ_OPERATIONS": str(args.operations),
            "FUZZ_SEED": str(args.seed),
            "FUZZ_BUILD_EVERY": str(args.build_every),
            "FUZZ_REPORT": str(report),
        }
        run = subprocess.run(
            [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "-o", "log_level=WARNING"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        if not report.is_file():
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            print(json.dumps({"error": "the fuzz did not finish", "exit_code": run.returncode}))
            return 1
        figures = json.loads(report.read_text(encoding="utf-8"))
    figures.update({"seed": args.seed, "build_every": args.build_every, "database": os.environ.get("DATABASE_URL", "sqlite")})
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
