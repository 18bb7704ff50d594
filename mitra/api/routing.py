"""Mounting a django-ninja API into Mitra's URL conf.

The API authenticates each request by its token, not by the session, so its views are exempt
from LoginRequiredMiddleware (an API client gets 401, not a redirect to the sign-in page).
They stay CSRF-exempt as django-ninja makes them: no endpoint accepts a session cookie.
"""

from __future__ import annotations

from collections.abc import Callable

from django.shortcuts import redirect
from django.urls import URLPattern
from ninja import NinjaAPI


def _token_view(view: Callable) -> Callable:
    def token_view(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    token_view.login_required = False  # type: ignore[attr-defined]
    token_view.csrf_exempt = True  # type: ignore[attr-defined]
    token_view.__doc__ = view.__doc__
    return token_view


def api_patterns(api: NinjaAPI, *, root_redirect: str) -> list[URLPattern]:
    """The API's URL patterns; its root (ninja's bare 404) sends a visitor to `root_redirect`."""
    patterns, _app, _namespace = api.urls
    out = []
    for p in patterns:
        if not isinstance(p, URLPattern):
            continue
        callback = _root_view(root_redirect) if p.name == "api-root" else p.callback
        out.append(URLPattern(p.pattern, _token_view(callback), p.default_args, p.name))
    return out


def _root_view(target: str) -> Callable:
    def root(request, *args, **kwargs):
        return redirect(target)

    return root
