"""Session limits and MFA enforcement for the roles that reach patient data."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

SESSION_STARTED = "mitra_session_started"
SESSION_SEEN = "mitra_session_seen"

# Paths that must stay reachable while MFA is still being set up or entered.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")


class StaffSessionLimitMiddleware:
    """Staff sessions end after MITRA_STAFF_IDLE_SECONDS idle and MITRA_STAFF_MAX_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.has_short_session:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED)
            seen = request.session.get(SESSION_SEEN)
            if started is None:
                request.session[SESSION_STARTED] = started = now
            idle = seen is not None and now - seen > settings.MITRA_STAFF_IDLE_SECONDS
            too_long = now - started > settings.MITRA_STAFF_MAX_SECONDS
            if idle or too_long:
                logout(request)
                messages.info(
                    request,
                    "Your session ended after inactivity." if idle else
                    "Your session reached its 12-hour limit.",
                )
                return redirect(f"{reverse('account_login')}?next={request.path}")
            request.session[SESSION_SEEN] = now
        return self.get_response(request)


def session_used_mfa(request) -> bool:
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


class RequireMFAMiddleware:
    """Clinicians and admins reach nothing but the sign-in pages without TOTP in this session.

    A user without an authenticator is sent to set one up; a session that signed in without
    the second factor (for example through another login path) is ended.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.needs_mfa
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
        ):
            has_totp = Authenticator.objects.filter(
                user=user, type=Authenticator.Type.TOTP
            ).exists()
            if not has_totp:
                messages.warning(request, "Set up an authenticator app before you continue.")
                return redirect("mfa_activate_totp")
            if not session_used_mfa(request):
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
        return self.get_response(request)
