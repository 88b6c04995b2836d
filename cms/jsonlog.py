"""Structured logs for production: one JSON object per line on stdout (journald keeps each as a record).

Nothing personal goes out: IP addresses anywhere in a message or traceback are masked (nginx's own
access log is the one place that keeps them), and gunicorn's access lines carry the path without its
query string (a search query may hold a name). The machine's own addresses (loopback, 0.0.0.0) stay.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from gunicorn.glogging import Logger as GunicornBaseLogger

MASK = "[地址已隐去]"
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Candidates only (a clock time such as 12:30:45 matches too); ipaddress decides what is an address.
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Attributes a record may carry (Django's request logs, gunicorn's access lines) that are worth a field.
FIELDS = ("status_code", "method", "path", "duration_ms", "bytes")


def _mask_if_address(match: re.Match) -> str:
    try:
        address = ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return match.group(0) if address.is_loopback or address.is_unspecified else MASK


def mask_addresses(text: str) -> str:
    """The text with every IPv4 and IPv6 address replaced by a placeholder (this machine's own are kept)."""
    return _IPV6.sub(_mask_if_address, _IPV4.sub(_mask_if_address, text))


class JsonFormatter(logging.Formatter):
    """time, level, logger, message (+ the FIELDS a record has, + exception) as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_addresses(record.getMessage()),
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = mask_addresses(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = mask_addresses(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_addresses(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's access log with fields instead of Apache's line: no client address, no query string."""

    def access(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "-")
        self.access_log.info("%s %s %s", method, path, status, extra={
            "method": method,
            "path": path,
            "status_code": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        })
