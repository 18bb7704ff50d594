"""Paths of URLs that take no arguments, reversed once rather than on every request.

`reverse()` searches the URL configuration each time it is called: about a thirtieth of a
diary submission's CPU for the one link its answer carries. The path depends only on the
name and the script prefix (where the site is mounted), so those are the cache's key.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse


@lru_cache(maxsize=256)
def _path(name: str, prefix: str) -> str:
    return reverse(name)  # reverse() itself reads the current script prefix, `prefix`


def fixed_path(name: str) -> str:
    """`reverse(name)` for a URL pattern without arguments."""
    return _path(name, get_script_prefix())
