"""The page where a user creates and revokes their own personal access tokens."""

from __future__ import annotations

import time
from typing import cast
from uuid import UUID

from allauth.account import app_settings as allauth_account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mitra.accounts.models import STAFF_ROLES, User
from mitra.api.actions import STAFF_MAX_DAYS, do_create_api_token, do_revoke_api_token
from mitra.api.forms import TokenForm
from mitra.api.models import ApiToken


def fresh_sign_in_seconds() -> int:
    """How recent a sign-in must be for staff to create a token (allauth's reauthentication
    window, ACCOUNT_REAUTHENTICATION_TIMEOUT)."""
    return allauth_account_settings.REAUTHENTICATION_TIMEOUT


def signed_in_freshly(request: HttpRequest, *, with_mfa: bool) -> bool:
    """The session proved who its user is within the window: with the second factor when
    `with_mfa` (a sign-in or a reauthentication both leave a record in the session)."""
    since = time.time() - fresh_sign_in_seconds()
    wanted = {"mfa"} if with_mfa else {"mfa", "password"}
    return any(r.get("method") in wanted and r.get("at", 0) >= since
               for r in get_authentication_records(request, request.user))


def _reauthenticate(request: HttpRequest, *, with_mfa: bool) -> HttpResponse:
    """Ask for the authenticator code (or the password, for staff without one) again; the
    form's POST is kept and replayed by allauth once that succeeds."""
    messages.info(request, "Confirm it is you to create a token: "
                  + ("enter a code from your authenticator app." if with_mfa
                     else "enter your password."))
    url = reverse("mfa_reauthenticate" if with_mfa else "account_reauthenticate")
    return suspend_request(request, url)


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    secret = None
    created = None
    user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
    staff = user.role in STAFF_ROLES
    if request.method == "POST":
        # Staff tokens reach other people's records: only right after proving the second
        # factor (or the password, for a researcher without an authenticator).
        with_mfa = user.needs_mfa or Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP).exists()
        if staff and not signed_in_freshly(request, with_mfa=with_mfa):
            return _reauthenticate(request, with_mfa=with_mfa)
        form = TokenForm(request.POST, user=user)
        if form.is_valid():
            created, secret = do_create_api_token(
                user, acting=request, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
            form = TokenForm(user=user)
    else:
        form = TokenForm(user=user)
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=user),
        "created": created,
        # Shown once: only its digest is stored.
        "secret": secret,
        "staff_max_days": STAFF_MAX_DAYS if staff else None,
        "fresh_minutes": fresh_sign_in_seconds() // 60 if staff else None,
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
