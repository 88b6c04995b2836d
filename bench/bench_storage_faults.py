"""Publishing through failing storage at a larger scale than the test: many site versions, each built and
published with publish_changes() through a proxy that fails a seeded share of S3 requests (500s, resets,
timeouts) in front of moto's S3 server, until a publish succeeds. Prints one JSON object: requests failed,
publishes attempted and failed, pages left using a missing asset after a failure, mismatches with the
folder after a success (both must be 0) and what a final clean run changed (0). Exit 1 if anything broke.

Usage: .venv/bin/python bench/bench_storage_faults.py [--versions 40] [--share 0.25] [--seed 20210701]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# Run as a script from anywhere: make the repo's packages importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=40, help="site versions to build and publish")
    parser.add_argument("--share", type=float, default=0.25, help="share of S3 requests that fail")
    parser.add_argument("--seed", type=int, default=20210701)
    parser.add_argument("--timeout", type=float, default=0.5, help="client connect/read timeout in seconds")
    parser.add_argument("--max-attempts", type=int, default=2, help="tries per request")
    args = parser.parse_args()

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from tests.site_builder.storage_faults import run_faulty_publishes

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    client.create_bucket(Bucket="bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_faulty_publishes(
                s3_endpoint=endpoint, client=client, bucket="bench", workdir=Path(tmp), versions=args.versions,
                share=args.share, seed=args.seed, timeout=args.timeout, max_attempts=args.max_attempts,
            )
    finally:
        server.stop()
    print(json.dumps({**run.figures(), "share": args.share, "seed": args.seed, "problems": run.problems[:20]},
                     ensure_ascii=False))
    broken = run.problems or run.clean_journal_changes or run.clean_full_changes
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
