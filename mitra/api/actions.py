"""Creating and revoking personal access tokens.

A token acts for its user with a subset of their rights, so it must not outlive their
credentials or last longer than the role's risk allows: staff tokens (clinician, admin,
researcher) last at most STAFF_MAX_DAYS, and every token of a user is revoked when their
password changes (`accounts.models.password_changed`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mitra.accounts.models import STAFF_ROLES, User
from mitra.api.models import TOKEN_PREFIX, ApiToken, Scope, digest
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event

ALLOWED_LIFETIMES_DAYS = (7, 30, 90, 365)
# Staff reach other people's records: a leaked token must stop working within a quarter.
STAFF_MAX_DAYS = 90


def lifetimes_for(user: User) -> tuple[int, ...]:
    """The token lifetimes (days) this user may choose."""
    if user.role in STAFF_ROLES:
        return tuple(d for d in ALLOWED_LIFETIMES_DAYS if d <= STAFF_MAX_DAYS)
    return ALLOWED_LIFETIMES_DAYS


@transaction.atomic
def do_create_api_token(
    user: User, *, acting: Actor, name: str, scopes: list[str], lifetime_days: int = 90
) -> tuple[ApiToken, str]:
    """A new token for `user`: (token, secret). The secret is never stored or shown again."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValueError(f"scopes: choose from {', '.join(Scope.values)}")
    allowed = lifetimes_for(user)
    if lifetime_days not in allowed:
        raise ValueError(f"lifetime_days: one of {', '.join(map(str, allowed))} days for the "
                         f"role {user.role}, not {lifetime_days}")
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


@transaction.atomic
def do_revoke_tokens_after_password_change(user: User, *, acting: Actor | None) -> int:
    """Revoke every token of `user` still open (their password changed); how many."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        record_audit(Event.API_TOKEN_REVOKED_PASSWORD_CHANGED, acting=acting, obj=token)
    return len(tokens)
