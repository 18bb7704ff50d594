"""fixed_path answers as reverse() does, under whatever script prefix the site is mounted."""

from __future__ import annotations

from django.urls import clear_script_prefix, reverse, set_script_prefix

from mitra.lib.links import fixed_path


def test_fixed_path_is_reverse():
    assert fixed_path("diary:entry") == reverse("diary:entry") == "/diary/"


def test_fixed_path_follows_the_script_prefix():
    fixed_path("diary:entry")  # cached at the root first
    set_script_prefix("/clinic/")
    try:
        assert fixed_path("diary:entry") == reverse("diary:entry") == "/clinic/diary/"
    finally:
        clear_script_prefix()
    assert fixed_path("diary:entry") == "/diary/"
