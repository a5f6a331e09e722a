"""The client's address, for throttles and the access log.

`X-Forwarded-For` is believed only when the request came from a proxy we run (`TRUSTED_PROXIES`,
addresses or networks): anyone else can write that header, and rotating it would reset every
per-address counter. Behind trusted proxies the client is the right-most address that is not one
of ours (each proxy appends the address it saw).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from (None when there is no valid one, e.g. a test client)."""
    cached = getattr(request, "_client_address", False)
    if cached is not False:
        return cached
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    address = remote
    if remote and _trusted(remote):
        hops = [h for h in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
        for hop in reversed(hops):
            hop_address = _valid(hop)
            if hop_address is None:
                break  # a garbled header: keep the last address we can vouch for
            address = hop_address
            if not _trusted(hop_address):
                break
    request._client_address = address
    return address
