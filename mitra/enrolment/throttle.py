"""Wrong short codes at /join/, limited per client address and for the whole site.

A code has 8 characters of a 32-letter alphabet (about 10**12 values). Per address, 10 wrong
codes in 15 minutes, then that address is refused, right codes included, until the window
ends: enough for typing slips, too few to search. A clinic behind one NAT address shares the
count, which costs its patients only the short code: the e-mailed link still works. The
site-wide limit bounds a search spread over many addresses: 200 wrong codes in 15 minutes
make at most about 135,000 guesses in the 7 days a code lives, a chance of about 1 in 8
million per open invitation.

Counts live in the shared cache (the database's, or Redis), in fixed windows.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from mitra.lib.client_address import client_address

WINDOW_SECONDS = 15 * 60
PER_ADDRESS = 10
SITE_WIDE = 200

_PREFIX = "mitra:join-code-failures:"


def _keys(request: HttpRequest) -> dict[str, int]:
    return {f"{_PREFIX}address:{client_address(request) or 'unknown'}": PER_ADDRESS,
            f"{_PREFIX}site": SITE_WIDE}


def refused(request: HttpRequest) -> str | None:
    """Why this request may not try a code now ("address" or "site"), or None."""
    counts = cache.get_many(list(_keys(request)))
    for key, limit in _keys(request).items():
        if counts.get(key, 0) >= limit:
            return "site" if key.endswith(":site") else "address"
    return None


def count_wrong_code(request: HttpRequest) -> None:
    for key in _keys(request):
        # add() starts the window (with its expiry) only if none is running; incr() keeps it.
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # the window ended between the two calls
            cache.set(key, 1, timeout=WINDOW_SECONDS)
