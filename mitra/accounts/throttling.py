"""How django-axes names the account a failed login was for."""

from __future__ import annotations

from django.db.models import Q


def login_name(request, credentials) -> str | None:
    """The account's username, whether the login form got its username or its e-mail address.

    Counting failures per account (not per typed string) means "alice" and "alice@example.org"
    share one lockout counter. A name that matches no account is counted as typed, so guessing at
    unknown names is throttled too. The credentials come first: at the TOTP step they name the
    account whose code was wrong (mitra/accounts/signals.py), and a "login" field posted there
    must not move the failure onto someone else. django-allauth posts the name as "login", the
    fallback when axes has no credentials.
    """
    from mitra.accounts.models import User

    credentials = credentials or {}
    posted = credentials.get("username") or credentials.get("email") or credentials.get("login")
    if not posted and request is not None:
        posted = request.POST.get("login")
    if not posted:
        return None
    name = str(posted).strip().lower()
    username = (
        User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name))
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    return (username or name).lower()
