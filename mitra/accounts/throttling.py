"""How django-axes names the account a failed login was for."""

from __future__ import annotations


def login_name(request, credentials) -> str | None:
    # django-allauth posts the name as "login" and authenticates with username= or email=;
    # counting on the posted value makes failures through either path count as one account.
    posted = request.POST.get("login") if request is not None else None
    if posted:
        return posted.strip().lower()
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email") or credentials.get("login")
    return name.strip().lower() if name else None
