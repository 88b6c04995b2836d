"""Command line for the static-site builder: ``python -m site_builder <command> ...``.

Each subcommand is one ``add_*_command`` function that registers its parser and handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

# Exit codes beyond argparse's 2 for usage errors.
EXIT_FAILED = 1
EXIT_MASS_DELETE_REFUSED = 3
EXIT_BUSY = 4
#: Printed after a SiteBusy message by the commands that have --wait.
BUSY_HINT = "也可以用 --wait 秒数 让命令多等一会儿。"

# argparse does not export the type of add_subparsers(); this is the class it returns.
Subparsers = argparse._SubParsersAction


def add_publish_command(subparsers: Subparsers) -> None:
    """Register ``publish``: copy a built site to a folder or bucket, changing only what differs."""
    parser = subparsers.add_parser(
        "publish",
        help="upload a built site to file:///path or s3://bucket/prefix",
        description=(
            "Make the target hold exactly the built site: upload changed files (assets first, "
            "then feeds and data, then HTML), delete files that are gone (pages before what they use). Exit codes: 0 done, "
            f"{EXIT_FAILED} storage failure, 2 bad arguments, {EXIT_MASS_DELETE_REFUSED} refused "
            f"to delete too much, {EXIT_BUSY} the folder is being built or published by another process."
        ),
    )
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="DIR",
        help="the built site folder",
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="file:///path or s3://bucket/prefix",
    )
    s3 = parser.add_argument_group("S3-compatible stores (MinIO, Aliyun OSS, Tencent COS)")
    s3.add_argument("--endpoint-url", help="e.g. https://oss-cn-beijing.aliyuncs.com (default: AWS)")
    s3.add_argument("--addressing-style", choices=["auto", "path", "virtual"], default="auto")
    s3.add_argument("--signature-version", help="e.g. s3v4 (default: botocore's choice)")
    s3.add_argument("--region", help="bucket region (default: AWS_DEFAULT_REGION or us-east-1)")
    s3.add_argument(
        "--max-attempts",
        type=int,
        default=5,
        help="tries per request on transient errors",
    )
    s3.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="give up on a request after this long without an answer, then retry (default 60)")
    parser.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="allow deleting more than --max-delete-fraction",
    )
    parser.add_argument(
        "--max-delete-fraction",
        type=float,
        default=0.5,
        help="safety cap (default 0.5)",
    )
    parser.add_argument("--workers", type=int, default=8, help="concurrent uploads (default 8)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    add_wait_option(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print uploaded/deleted/unchanged/seconds as JSON",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each phase")
    parser.set_defaults(handler=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    """Handle ``publish``; returns the exit code."""
    # Imported here so other subcommands do not pay for importing boto3.
    from site_builder.build import cache_dir_for
    from site_builder.lock import SiteBusy, site_lock
    from site_builder.publish import MassDeleteRefused, PublishError, publish

    # A folder the builder made has its cache beside it: share the worker's digests (size and time → MD5), so
    # files unchanged since the last publish are not gzipped again just to be compared.
    cache = cache_dir_for(Path(args.source))
    try:
        with site_lock(args.source, wait=args.wait, doing="发布"):
            result = publish(
                args.source,
                args.target,
                endpoint_url=args.endpoint_url,
                addressing_style=args.addressing_style,
                signature_version=args.signature_version,
                region_name=args.region,
                allow_mass_delete=args.allow_mass_delete,
                max_delete_fraction=args.max_delete_fraction,
                dry_run=args.dry_run,
                workers=args.workers,
                max_attempts=args.max_attempts,
                timeout=args.timeout,
                digest_cache=cache / "publish-digests.json" if cache.is_dir() else None,
            )
    except SiteBusy as error:
        print(f"error: {error}{BUSY_HINT}", file=sys.stderr)
        return EXIT_BUSY
    except MassDeleteRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_MASS_DELETE_REFUSED
    except (PublishError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED

    if args.json:
        print(json.dumps(result.summary()))
    elif args.dry_run:
        print(
            f"Dry run, nothing changed. Would upload {result.uploaded}, delete {result.deleted}, "
            f"leave {result.unchanged} unchanged:"
        )
        for key in result.uploaded_keys:
            print(f"  upload  {key}")
        for key in result.deleted_keys:
            print(f"  delete  {key}")
    else:
        print(
            f"Published {args.source} to {args.target}: {result.uploaded} uploaded, "
            f"{result.deleted} deleted, {result.unchanged} unchanged in {result.seconds:.1f} s."
        )
    return 0


def add_build_command(subparsers: Subparsers) -> None:
    """Register ``build``: render the static site from the CMS's public API into a folder."""
    parser = subparsers.add_parser(
        "build",
        help="render the site from the CMS API into a folder",
        description=(
            "Read the published catalogue from the CMS API over HTTP and write the static site "
            f"(pages, feeds, map data, covers) into a folder. Exit codes: 0 done, {EXIT_FAILED} the "
            f"CMS could not be read or the folder is unsuitable, 2 bad arguments, {EXIT_BUSY} the folder "
            "is being built or published by another process."
        ),
    )
    parser.add_argument("--api", required=True, metavar="URL", help="the CMS API, e.g. http://cms.example.cn/api/v2/")
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder for the built site")
    add_site_options(parser)
    parser.add_argument("--json", action="store_true", help="print the build figures as JSON")
    parser.add_argument("--full", action="store_true", help="fetch and render everything, ignoring what the last build kept in DIR.cache")
    add_wait_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")
    parser.set_defaults(handler=run_build)


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """Options shared with ``manage.py build_site``: where the public site, search and hot words live."""
    parser.add_argument("--site-url", help="public address of the static site (default: PUBLIC_SITE_URL)")
    parser.add_argument("--search-url", help="search page the search box submits to (default: SEARCH_URL, else /search/ on the public origin)")
    parser.add_argument("--hot-words", metavar="FILE_OR_URL", help="hot words as JSON (default: HOT_WORDS_URL, else the most used tags)")


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    """--wait: how long to wait for a folder another build or publish is using (shared with manage.py build_site)."""
    from site_builder.lock import DEFAULT_WAIT_SECONDS

    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"wait this long for another build or publish of the folder to finish (default {DEFAULT_WAIT_SECONDS:g})",
    )


def site_config(args: argparse.Namespace):
    """A SiteConfig from the shared options; unset options keep the defaults (from the environment)."""
    from dataclasses import replace

    from site_builder.pages import SiteConfig

    overrides = {
        "site_url": args.site_url.rstrip("/") if args.site_url else None,
        "search_url": args.search_url,
        "hot_words_source": args.hot_words,
    }
    return replace(SiteConfig(), **{key: value for key, value in overrides.items() if value})


def run_build(args: argparse.Namespace) -> int:
    """Handle ``build``; returns the exit code. The progress bar shows only on a terminal."""
    from site_builder.build import BuildError, build_site
    from site_builder.lock import SiteBusy, site_lock
    from site_builder.source import CMSUnavailable

    try:
        with site_lock(args.out, wait=args.wait, doing="构建"):
            result = build_site(args.api, Path(args.out), progress=sys.stderr.isatty(), config=site_config(args), full=args.full)
    except SiteBusy as error:
        print(f"error: {error}{BUSY_HINT}", file=sys.stderr)
        return EXIT_BUSY
    except (CMSUnavailable, BuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(result.summary()))
    else:
        print(
            f"Built {result.pages} pages ({result.files} files, {result.bytes / 1048576:.1f} MB) into "
            f"{args.out} in {result.seconds:.1f} s ({'incremental' if result.incremental else 'full'}: "
            f"{result.rendered} pages rendered, {len(result.written)} files written); removed {len(result.removed)} stale files."
        )
    return 0


# One entry per subcommand.
COMMANDS: list[Callable[[Subparsers], None]] = [
    add_publish_command,
    add_build_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="python -m site_builder", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen subcommand's handler."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
