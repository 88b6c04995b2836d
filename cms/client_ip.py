"""The address of the person behind a request, as the trusted reverse proxy in front of the app saw it.

nginx (or the demo's one-origin server) appends the address of whoever connected to it to
X-Forwarded-For; anything a client put there itself comes earlier in the list. With
TRUSTED_PROXY_COUNT proxies in front, the client is the entry that many places from the right —
but only when the request really came from a trusted proxy (TRUSTED_PROXY_NETWORKS), so a client
that reaches the app directly cannot choose its own address. Axes (AXES_CLIENT_IP_CALLABLE) and
the rate limits (cms.ratelimit) both use this one rule.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _from_trusted_proxy(peer: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return peer is not None and any(peer in ipaddress.ip_network(net) for net in settings.TRUSTED_PROXY_NETWORKS)


def client_ip(request: HttpRequest) -> str:
    """The client's address as text ("" when there is none, as in some test requests)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count and _from_trusted_proxy(_parse(remote)):
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            forwarded = _parse(hops[-count])
            if forwarded is not None:
                return str(forwarded)
    return remote
