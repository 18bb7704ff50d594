"""/healthz and /readyz answered ahead of the rest of the middleware.

A load balancer's or supervisor's probe must not depend on what the probe sends or on what
the other middleware reads: with a session cookie the session middleware would read the
database (and /healthz must read none), and CommonMiddleware would refuse a Host header that
is not in ALLOWED_HOSTS (a load balancer often probes by address). Neither endpoint shows
anything about anyone, so they skip both.
"""

from __future__ import annotations

from django.urls import reverse

from mitra.core import views


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.probes = {reverse("core:healthz"): views.healthz,
                       reverse("core:readyz"): views.readyz}

    def __call__(self, request):
        probe = self.probes.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        return probe(request)
