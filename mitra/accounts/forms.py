"""The TOTP step of sign-in, refused while django-axes has the account locked."""

from __future__ import annotations

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms


class AuthenticateForm(AllauthAuthenticateForm):
    """allauth's form, but a locked account is refused before its code is checked.

    Wrong codes count toward the lock (mitra/accounts/signals.py). The password step is refused by
    axes' backend; without this the half-signed-in session could go on guessing codes.
    """

    def clean_code(self) -> str:
        request = context.request
        credentials = {"username": self.user.username}
        if AxesProxyHandler.is_locked(request, credentials):
            # AxesMiddleware answers with the lockout page when it sees this mark.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise forms.ValidationError("This account is locked.", code="locked")
        return super().clean_code()
