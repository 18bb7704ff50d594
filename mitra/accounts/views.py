"""The invitation page: a new account's owner sets their own password with a single-use link."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mitra.accounts.actions import InvitationUnusable, do_accept_invitation, find_invitation

# Why a link cannot be used, and the status that says so: 404 for a link that never was one,
# 410 for one that is spent.
UNUSABLE_STATUS = {"invalid": 404, "used": 410, "replaced": 410, "expired": 410}


def _unusable(request: HttpRequest, refused: InvitationUnusable) -> HttpResponse:
    return render(request, "accounts/invitation_unusable.html", {
        "reason": refused.reason, "invitation": refused.invitation,
        "days": settings.MITRA_INVITATION_DAYS,
    }, status=UNUSABLE_STATUS[refused.reason])


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invited = find_invitation(token)
    except InvitationUnusable as refused:
        return _unusable(request, refused)
    user = invited.user
    if request.method == "POST":
        form = SetPasswordForm(user, request.POST)
        if form.is_valid():
            if request.user.is_authenticated and request.user != user:
                logout(request)  # someone else's session on this browser
            try:
                # The user as saved with the new password: the session records its hash.
                user = do_accept_invitation(invited, form.cleaned_data["new_password1"],
                                            acting=user)
            except InvitationUnusable as refused:
                return _unusable(request, refused)
            login(request, user, backend="mitra.accounts.backends.AuthenticationBackend")
            # Setting the password just now proves it: allauth then lets the new owner add
            # their authenticator without typing it again (the middleware sends staff there).
            record_authentication(request, user, method="password", reauthenticated=True)
            return redirect("core:home")
    else:
        form = SetPasswordForm(user)
    return render(request, "accounts/invitation.html", {"form": form, "invited": user,
                                                        "invitation": invited},
                  status=400 if form.errors else 200)
