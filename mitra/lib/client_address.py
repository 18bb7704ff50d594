"""The client's address, for the audit trail, sign-in limits and lockout records.

REMOTE_ADDR, unless the request came from a proxy named in MITRA_TRUSTED_PROXIES: then the
right-most address in X-Forwarded-For that is not one of those proxies. Anything to the left of it
was written by the client, who can write anything, so it is never believed.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_trusted_proxies(entries: list[str], name: str = "MITRA_TRUSTED_PROXIES") -> list[str]:
    """Check each entry is an address or network (10.0.0.5, 10.0.0.0/8, ::1); return them."""
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {entry!r} is not an IP address or network; allowed: addresses such as "
                "10.0.0.5 or ::1 and networks such as 10.0.0.0/8, comma-separated"
            ) from None
    return entries


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def is_trusted_proxy(request: HttpRequest) -> bool:
    """Did this request come straight from one of the configured proxies?"""
    entries = getattr(settings, "MITRA_TRUSTED_PROXIES", None)
    if not entries:
        return False
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    return remote is not None and _trusted(remote, _networks(tuple(entries)))


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not is_trusted_proxy(request):
        return remote
    networks = _networks(tuple(settings.MITRA_TRUSTED_PROXIES))
    found = remote
    # Walk from the nearest hop outwards: each trusted proxy vouches for the hop before it.
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not hop.strip():
            continue
        address = _address(hop)
        if address is None:
            break  # not an address: the last trusted hop is the best we know
        found = str(address)
        if not _trusted(address, networks):
            break
    return found
