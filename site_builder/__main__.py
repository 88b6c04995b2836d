"""Command line for the static-site builder: ``python -m site_builder <command> ...``.

Each subcommand is one ``add_*_command`` function that registers its parser and handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

# Exit codes beyond argparse's 2 for usage errors.
EXIT_FAILED = 1
EXIT_MASS_DELETE_REFUSED = 3

# argparse does not export the type of add_subparsers(); this is the class it returns.
Subparsers = argparse._SubParsersAction


def add_publish_command(subparsers: Subparsers) -> None:
    """Register ``publish``: copy a built site to a folder or bucket, changing only what differs."""
    parser = subparsers.add_parser(
        "publish",
        help="upload a built site to file:///path or s3://bucket/prefix",
        description=(
            "Make the target hold exactly the built site: upload changed files (assets first, "
            "then feeds and data, then HTML), delete files that are gone. Exit codes: 0 done, "
            f"{EXIT_FAILED} storage failure, 2 bad arguments, {EXIT_MASS_DELETE_REFUSED} refused "
            "to delete too much."
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
    from site_builder.publish import MassDeleteRefused, PublishError, publish

    try:
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
        )
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


# One entry per subcommand. The `build` subcommand is added here as add_build_command.
COMMANDS: list[Callable[[Subparsers], None]] = [
    add_publish_command,
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
