"""Mounting a django-ninja API into Mitra's URL conf.

The API authenticates each request by its token, not by the session, so its views are exempt
from LoginRequiredMiddleware (an API client gets 401, not a redirect to the sign-in page).
They stay CSRF-exempt as django-ninja makes them: no endpoint accepts a session cookie.

Every answer under the API's prefix takes the API's own error shape (REST error or FHIR
OperationOutcome, `mitra.api.errors`): a method the path does not take is refused here, before
ninja's plain-text 405, and `unknown_path_pattern` (placed last in the URL conf) answers every
path the API does not have, so Django's HTML 404 page is never reached.

Before any endpoint runs, the request's query parameters and JSON body are checked
(`mitra.api.parsing.check_request`: no NUL, no lone surrogate, bounded nesting): a 400 in the
API's shape naming the parameter or the JSON path.

An unknown path answers 404 to everyone, with or without a token: the answer depends on the
path alone, never on who asks or on what the database holds (it cannot tell whether a patient
exists), and what it names is public anyway (the OpenAPI schema, the CapabilityStatement).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.urls import URLPattern, re_path, resolve
from django.urls.exceptions import Resolver404
from ninja import NinjaAPI
from ninja.operation import PathView

from mitra.api import errors, parsing

UNKNOWN_PATH = "unknown_path"


def _token_view(api: NinjaAPI, view: Callable, *, allowed: Sequence[str] | None = None,
                route: str = "") -> Callable:
    def token_view(request, *args, **kwargs):
        try:
            if allowed is not None and request.method not in allowed:
                raise errors.MethodNotAllowed(request.method, allowed, route)
            parsing.check_request(request)
            return view(request, *args, **kwargs)
        except Exception as exc:  # ninja's operations handle their own; this is the rest
            return api.on_exception(request, exc)

    token_view.login_required = False  # type: ignore[attr-defined]
    token_view.csrf_exempt = True  # type: ignore[attr-defined]
    token_view.allowed_methods = allowed  # type: ignore[attr-defined]
    token_view.__doc__ = view.__doc__
    return token_view


def allowed_methods(callback: Callable) -> list[str] | None:
    """The methods a ninja path view takes (its operations'), or None for another view."""
    if not inspect.isfunction(callback):
        return None
    path_view = inspect.getclosurevars(callback).nonlocals.get("self")
    if not isinstance(path_view, PathView):
        return None
    return sorted({method for op in path_view.operations for method in op.methods})


def api_patterns(api: NinjaAPI, *, root_redirect: str) -> list[URLPattern]:
    """The API's URL patterns; its root (ninja's bare 404) sends a visitor to `root_redirect`."""
    patterns, _app, _namespace = api.urls
    out = []
    for p in patterns:
        if not isinstance(p, URLPattern):
            continue
        if p.name == "api-root":
            view = _token_view(api, _root_view(root_redirect))
        else:
            view = _token_view(api, p.callback, allowed=allowed_methods(p.callback),
                               route=str(p.pattern))
        out.append(URLPattern(p.pattern, view, p.default_args, p.name))
    return out


def unknown_path_pattern(api: NinjaAPI) -> URLPattern:
    """The catch-all for the API's prefix: put it last. Any path nothing else matched answers
    404 in the API's error shape, naming what the API has. As CommonMiddleware's APPEND_SLASH
    would (it no longer sees a 404 here), a GET for a page that exists with a trailing slash
    (`/api/tokens`) is redirected there."""
    topics = _topics(api)

    def unknown_path(request, path: str):
        if (settings.APPEND_SLASH and request.method in ("GET", "HEAD")
                and not request.path_info.endswith("/")):
            try:
                match = resolve(request.path_info + "/", getattr(request, "urlconf", None))
            except Resolver404:
                match = None
            if match is not None and match.url_name != UNKNOWN_PATH:
                return HttpResponsePermanentRedirect(
                    request.get_full_path(force_append_slash=True))
        raise errors.NoSuchEndpoint(path, topics)

    return re_path(r"^(?P<path>.*)$", _token_view(api, unknown_path), name=UNKNOWN_PATH)


def _topics(api: NinjaAPI) -> list[str]:
    """The first segment of each of the API's paths, relative to its root (`patients`)."""
    patterns, _app, _namespace = api.urls
    # The schema and the docs are named in the message on their own.
    firsts = {str(p.pattern).split("/", 1)[0] for p in patterns
              if isinstance(p, URLPattern) and p.name not in ("openapi-json", "openapi-view")}
    return sorted(first for first in firsts if first)


def _root_view(target: str) -> Callable:
    def root(request, *args, **kwargs):
        return redirect(target)

    return root
