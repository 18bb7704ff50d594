"""The page where a user creates and revokes their own personal access tokens."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mitra.api.actions import do_create_api_token, do_revoke_api_token
from mitra.api.forms import TokenForm
from mitra.api.models import ApiToken


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    secret = None
    created = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            created, secret = do_create_api_token(
                request.user, acting=request, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
            form = TokenForm()
    else:
        form = TokenForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "created": created,
        # Shown once: only its digest is stored.
        "secret": secret,
    }
    response = render(request, "api/tokens.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
def revoke_token(request: HttpRequest, token_uuid: UUID) -> HttpResponse:
    # Only the owner's own tokens: anyone else's UUID is a 404.
    token = ApiToken.objects.filter(user=request.user, uuid=token_uuid).first()
    if token is None:
        raise Http404("No such token")
    do_revoke_api_token(token, acting=request)
    return redirect("api:tokens")
