"""Response and request headers that protect patient data: no caching, and the proxy's word on
HTTPS believed only from the proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from mitra.lib.client_address import is_trusted_proxy

# Answers under these prefixes carry patient data (or refusals naming what was asked for) to
# token clients that have no session, so they are never stored whoever asks.
NO_STORE_PREFIXES = ("/api/", "/fhir/")


class TrustedProxyMiddleware:
    """Drops X-Forwarded-Proto unless a trusted proxy (MITRA_TRUSTED_PROXIES) sent the request.

    SECURE_PROXY_SSL_HEADER makes Django believe that header; a client that reaches the app
    server directly must not be able to claim it came over HTTPS. Goes before SecurityMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not is_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user and under /api/ and /fhir/.

    A shared computer's back button, disk cache or a caching proxy must not keep a patient's
    record. An answer that chose its own caching keeps it (WhiteNoise's static files answer
    before this middleware runs and never reach it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith(NO_STORE_PREFIXES) or (
            user is not None and user.is_authenticated
        ):
            # no-store alone forbids every cache, the browser's back-forward one included.
            response["Cache-Control"] = "no-store"
        return response
