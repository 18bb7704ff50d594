"""TOTP helpers for synthetic demo accounts and tests (codes are computed as an app would)."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt

from mitra.accounts.models import User


def activate_totp(user: User, secret: str) -> Authenticator:
    return TOTP.activate(user, secret).instance


def current_code(user: User, *, offset_periods: int = 0) -> str:
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(auth.data["secret"])
    counter = int(time.time()) // app_settings.TOTP_PERIOD + offset_periods
    return format_hotp_value(hotp_value(secret, counter))
