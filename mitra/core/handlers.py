"""The site's 500 handler (`handler500` in mitra/urls.py): a passing outage gets 503.

Django calls it for any exception that reaches it, from a view or from a middleware (the
session, the sign-in checks, the audit trail all read or write the database before a view
runs). A database outage or a full disk (mitra.lib.outage) is answered 503 with Retry-After:
a REST or FHIR endpoint in its API's own error shape, a page with a short standalone page that
also shows the crisis lines. Any other failure keeps Django's 500.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

from mitra.api.errors import unavailable_response
from mitra.lib.outage import RETRY_AFTER_SECONDS, Outage, outage_of
from mitra.safety.crisis import crisis_resources


def unavailable_page(outage: Outage) -> HttpResponse:
    html = render_to_string("core/unavailable.html", {
        "site_name": settings.SITE_NAME,
        "disk_full": outage is Outage.DISK_FULL,
        "crisis": crisis_resources(settings.MITRA_CRISIS_LOCALE),
    })
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    outage = outage_of(sys.exc_info()[1])  # Django calls this inside its `except`
    if outage is None:
        return django_server_error(request)
    return unavailable_response(request, outage) or unavailable_page(outage)
