"""The invitation page: a new account's owner sets their own password with a single-use link."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mitra.accounts.actions import (
    InvitationUnusable,
    do_accept_invitation,
    find_invitation,
    remember_invitation,
)

# Why a link cannot be used, and the status that says so: 404 for a link that never was one,
# 410 for one that is spent.
UNUSABLE_STATUS = {"invalid": 404, "used": 410, "revoked": 410, "replaced": 410, "expired": 410}

# A patient's invitation leads to the enrolment app's sign-up (terms and consent, password,
# reminder preferences), named by its URL only: accounts sits below enrolment.
PATIENT_SIGN_UP = "enrolment:signup"


def invitation_unusable(request: HttpRequest, refused: InvitationUnusable) -> HttpResponse:
    """The page saying why an invitation (link or short code) cannot be used, and what to do."""
    invitation = refused.invitation
    return render(request, "accounts/invitation_unusable.html", {
        "reason": refused.reason, "invitation": invitation,
        "for_patient": invitation is not None and invitation.user.is_patient,
        "days": settings.MITRA_INVITATION_DAYS,
    }, status=UNUSABLE_STATUS[refused.reason])


def _patient_sign_up_url() -> str | None:
    try:
        return reverse(PATIENT_SIGN_UP)
    except NoReverseMatch:
        return None


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invited = find_invitation(token)
    except InvitationUnusable as refused:
        return invitation_unusable(request, refused)
    user = invited.user
    sign_up = _patient_sign_up_url() if user.is_patient else None
    if sign_up is not None:
        # The secret stays out of the address bar (and of any later Referer) from here on.
        remember_invitation(request, invited)
        return redirect(sign_up)
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
                return invitation_unusable(request, refused)
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
