from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mitra.evidence.library import GRADES, VERDICTS, claim, library
from mitra.safety.kb import knowledge_base


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every claim with its verdict: any signed-in user."""
    as_of, claims = library()
    return render(request, "evidence/index.html", {
        "claims": claims, "as_of": as_of, "verdicts": VERDICTS, "grades": GRADES})


@require_GET
def claim_detail(request: HttpRequest, claim_id: str) -> HttpResponse:
    found = claim(claim_id)
    if found is None:
        raise Http404("No such claim")
    refs = knowledge_base().references
    references = [refs[k] for k in found.citations if k in refs]
    return render(request, "evidence/claim.html", {
        "claim": found, "references": references, "as_of": library()[0]})
