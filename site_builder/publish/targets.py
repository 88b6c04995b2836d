"""Where a site is published: a local folder or an S3-compatible bucket. Targets only list, put and delete;
the diff, the ordering and the error handling are shared (mirror.py)."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .files import StoredObject

DEFAULT_WORKERS = 8
DEFAULT_MAX_ATTEMPTS = 5
#: Seconds to wait for a connection or for an answer before the request counts as failed (and is retried).
DEFAULT_TIMEOUT = 60.0

class Target(ABC):
    """A place a site is published to."""

    #: Whether text files are stored gzipped (with Content-Encoding) or plain.
    compress_text: bool = False

    @abstractmethod
    def describe(self) -> str:
        """A short human name for messages, e.g. ``s3://bucket/site``."""

    @abstractmethod
    def list_md5s(self) -> dict[str, str]:
        """Every key already published, with the lowercase hex MD5 of its stored bytes."""

    @abstractmethod
    def put(self, obj: StoredObject) -> None:
        """Store one object, replacing any previous version."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object."""

    def explain(self, error: BaseException) -> str:
        """Turn a storage exception into words a person can act on."""
        if isinstance(error, OSError) and error.strerror:
            where = f" ({error.filename})" if error.filename else ""
            return f"{error.strerror}{where}"
        return f"{type(error).__name__}: {error}"


class FolderTarget(Target):
    """A local folder a static web server serves; files are stored plain."""

    compress_text = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root}"

    def list_md5s(self) -> dict[str, str]:
        if not self.root.exists():
            return {}
        return {
            path.relative_to(self.root).as_posix(): hashlib.md5(path.read_bytes()).hexdigest()
            for path in self.root.rglob("*")
            if path.is_file()
        }

    def put(self, obj: StoredObject) -> None:
        path = self.root / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the final name and rename, so a web server never serves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".publish-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(obj.body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        path = self.root / key
        path.unlink(missing_ok=True)
        # Remove folders left empty, but never the root itself.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def explain(self, error: BaseException) -> str:
        if isinstance(error, OSError) and error.strerror:
            return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
        return super().explain(error)


class S3Target(Target):
    """A bucket (and optional key prefix) on AWS S3 or an S3-compatible store."""

    compress_text = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        addressing_style: str = "auto",
        signature_version: str | None = None,
        region_name: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
        max_pool_connections: int = DEFAULT_WORKERS * 2,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.client = client or self._make_client(
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
            signature_version=signature_version,
            region_name=region_name,
            max_attempts=max_attempts,
            timeout=timeout,
            max_pool_connections=max_pool_connections,
        )

    @staticmethod
    def _make_client(
        *,
        endpoint_url: str | None,
        addressing_style: str,
        signature_version: str | None,
        region_name: str | None,
        max_attempts: int,
        timeout: float,
        max_pool_connections: int,
    ) -> Any:
        import boto3
        from botocore.config import Config

        if addressing_style not in {"auto", "path", "virtual"}:
            raise ValueError(f"addressing_style must be auto, path or virtual, not {addressing_style!r}")
        config = Config(
            s3={"addressing_style": addressing_style},
            signature_version=signature_version,
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=timeout,
            read_timeout=timeout,
            max_pool_connections=max_pool_connections,
            # Newer botocore adds CRC checksums to every request by default; Aliyun OSS,
            # Tencent COS and older MinIO reject or mishandle them, so only send them when
            # an operation requires it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # region_name may be None: boto3 then uses AWS_DEFAULT_REGION or the profile.
        session = boto3.session.Session()
        region = region_name or session.region_name or "us-east-1"
        return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def list_md5s(self) -> dict[str, str]:
        found = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not key or key.endswith("/"):
                    continue  # folder placeholder objects some consoles create
                # A single-part PUT's ETag is the MD5 of the stored bytes. Aliyun OSS
                # spells it in upper case; multipart ETags ("…-3") never match and so
                # are simply re-uploaded as single parts.
                found[key] = item["ETag"].strip('"').lower()
        return found

    def put(self, obj: StoredObject) -> None:
        extra = {"ContentEncoding": obj.content_encoding} if obj.content_encoding else {}
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + obj.key,
            Body=obj.body,
            ContentType=obj.content_type,
            CacheControl=obj.cache_control,
            # Lets the store reject a body damaged in transit (checksums are otherwise off).
            ContentMD5=base64.b64encode(bytes.fromhex(obj.md5)).decode("ascii"),
            **extra,
        )

    def delete(self, key: str) -> None:
        # One DeleteObject per key rather than DeleteObjects: the batch call needs a
        # request checksum that several S3-compatible stores reject.
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def explain(self, error: BaseException) -> str:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        if isinstance(error, NoCredentialsError):
            return (
                "no S3 credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE) for this bucket"
            )
        if isinstance(error, ClientError):
            err = error.response.get("Error", {})
            code = err.get("Code", "error")
            message = err.get("Message") or ""
            if code == "NoSuchBucket":
                return f"the bucket {self.bucket!r} does not exist at this endpoint"
            if code in {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                return f"{code}: {message} — check the credentials and the bucket's permissions"
            return f"{code}: {message}".rstrip(": ")
        if isinstance(error, BotoCoreError):
            # Already a sentence, e.g. "Could not connect to the endpoint URL: …".
            return str(error)
        return super().explain(error)


def open_target(
    target: str,
    *,
    endpoint_url: str | None = None,
    addressing_style: str = "auto",
    signature_version: str | None = None,
    region_name: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
) -> Target:
    """Make a Target from ``file:///path`` or ``s3://bucket/prefix``."""
    parsed = urlparse(target)
    if parsed.scheme == "file":
        if parsed.netloc not in {"", "localhost"}:
            raise ValueError(f"Use file:///absolute/path (three slashes), not {target!r}")
        return FolderTarget(Path(unquote(parsed.path)))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"An S3 target needs a bucket name: s3://bucket/prefix, not {target!r}")
        return S3Target(
            parsed.netloc,
            unquote(parsed.path),
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
            signature_version=signature_version,
            region_name=region_name,
            max_attempts=max_attempts,
            timeout=timeout,
            max_pool_connections=max(10, workers),
        )
    raise ValueError(f"The target must start with file:// or s3://, not {target!r}")

