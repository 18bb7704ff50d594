from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mitra.safety.crisis import crisis_resources


@require_GET
def crisis(request: HttpRequest) -> HttpResponse:
    """Crisis resources: any signed-in user may open them, at any time."""
    return render(request, "safety/crisis.html", {"crisis": crisis_resources()})
