"""Sign-in bookkeeping: the session's start time, MFA proven at set-up, audit of sign-ins, wrong
TOTP codes counted toward the lockout."""

from __future__ import annotations

import time

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from mitra.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from mitra.accounts.models import password_changed
from mitra.audit.actions import record_audit
from mitra.audit.events import Event


@receiver(user_logged_in, dispatch_uid="mitra.accounts.session_start")
def stamp_session_start(sender, request, user, **kwargs):
    # The 12-hour limit counts from sign-in, not from the first page after it.
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED] = now
        request.session[SESSION_SEEN] = now
        # Django's test client signs in with a bare request that has no user on it.
        actor = request if getattr(request, "user", None) == user else user
        record_audit(Event.ACCOUNT_SIGNED_IN, acting=actor)


@receiver(user_logged_out, dispatch_uid="mitra.accounts.signed_out")
def audit_sign_out(sender, request, user, **kwargs):
    # Django sends this before it clears request.user, so the event names who signed out.
    if request is not None and user is not None:
        record_audit(Event.ACCOUNT_SIGNED_OUT, acting=request)


@receiver(authenticator_added, dispatch_uid="mitra.accounts.totp_added")
def totp_set_up_counts_as_mfa(sender, request, user, authenticator, **kwargs):
    # Activating TOTP means typing a valid code from the new authenticator: that proves the
    # second factor for this session, so the user is not signed out straight after set-up.
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    record_audit(Event.ACCOUNT_MFA_ACTIVATED, acting=request if request is not None else user)


@receiver(authentication_failed, dispatch_uid="mitra.accounts.mfa_failed")
def wrong_code_counts_toward_lockout(sender, request, user, **kwargs):
    # allauth reports a wrong (or replayed) TOTP or recovery code here; told as a failed login
    # for that username, django-axes counts it with the wrong passwords and locks the account at
    # the same limit. Otherwise a stolen password would leave the code to guess at leisure.
    if request is not None and user is not None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )


@receiver(password_changed, dispatch_uid="mitra.accounts.password_changed")
def audit_password_change(sender, user, **kwargs):
    # The model has no request to hand: the user whose password it is stands as the actor.
    record_audit(Event.ACCOUNT_PASSWORD_CHANGED, acting=user, obj=user)
