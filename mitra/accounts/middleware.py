"""Session limits and MFA enforcement for the roles that reach patient data."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SESSION_STARTED = "mitra_session_started"
SESSION_SEEN = "mitra_session_seen"

# Paths that must stay reachable while MFA is still being set up or entered. Nothing under them
# shows patient data: they are django-allauth's sign-in, password and authenticator pages.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")


def _to_login(request: HttpRequest):
    return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")


class StaffSessionLimitMiddleware:
    """Staff sessions end after MITRA_STAFF_IDLE_SECONDS idle and MITRA_STAFF_MAX_SECONDS in all.

    The start is stamped at sign-in (see accounts/signals.py); a session without a stamp (one
    made before this code ran) starts counting at its first request.
    """

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
                if idle:
                    minutes = settings.MITRA_STAFF_IDLE_SECONDS // 60
                    text = f"Your session ended after {minutes} minutes without activity."
                else:
                    hours = settings.MITRA_STAFF_MAX_SECONDS // 3600
                    text = f"Your session reached its {hours}-hour limit."
                messages.info(request, text + " Please sign in again.")
                return _to_login(request)
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
                messages.warning(request, "Sign in with your authenticator code to continue.")
                return _to_login(request)
        return self.get_response(request)
