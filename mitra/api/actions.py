"""Creating and revoking personal access tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mitra.accounts.models import User
from mitra.api.models import TOKEN_PREFIX, ApiToken, Scope, digest
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event

ALLOWED_LIFETIMES_DAYS = (7, 30, 90, 365)


@transaction.atomic
def do_create_api_token(
    user: User, *, acting: Actor, name: str, scopes: list[str], lifetime_days: int = 90
) -> tuple[ApiToken, str]:
    """A new token for `user`: (token, secret). The secret is never stored or shown again."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValueError(f"scopes: choose from {', '.join(Scope.values)}")
    if lifetime_days not in ALLOWED_LIFETIMES_DAYS:
        raise ValueError(f"lifetime_days: one of {ALLOWED_LIFETIMES_DAYS}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "API token",
        hint=secret[: len(TOKEN_PREFIX) + 4],
        token_hash=digest(secret),
        scopes=sorted(set(scopes)),
        expires_at=timezone.now() + timedelta(days=lifetime_days),
    )
    record_audit(Event.API_TOKEN_CREATED, acting=acting, obj=token,
                 detail=",".join(token.scopes))
    return token, secret


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, acting: Actor) -> ApiToken:
    """Revoke the token now; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_audit(Event.API_TOKEN_REVOKED, acting=acting, obj=token)
    return token
