"""Account actions: invitations, password-reset links sent by an admin, deactivation.

Nobody sets or learns another person's password. A new account has no usable password; its
owner sets one through a single-use, expiring invitation link sent to their own address (or
printed by `mitra createuser` for hand-over), and then, for staff, enrols their authenticator.
An admin who needs to help someone back in mails them a reset link, at their own address.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from allauth.account.internal.flows.password_reset import request_password_reset
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.models import Invitation, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event


def invitation_days() -> int:
    return settings.MITRA_INVITATION_DAYS


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def absolute_url(path: str, acting: Actor | None) -> str:
    """`path` as a link for a mail: from the request when there is one, else MITRA_BASE_URL."""
    if isinstance(acting, HttpRequest):
        return acting.build_absolute_uri(path)
    return settings.MITRA_BASE_URL.rstrip("/") + path


def _send_invitation(user: User, url: str, expires_at: datetime) -> None:
    context = {"user": user, "url": url, "expires_at": expires_at,
               "site_name": settings.SITE_NAME, "needs_mfa": user.needs_mfa,
               "days": invitation_days()}
    send_mail(
        subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
        message=render_to_string("accounts/email/invitation_message.txt", context),
        from_email=None, recipient_list=[user.email], fail_silently=False,
    )


@transaction.atomic
def do_invite_user(user: User, *, acting: Actor | None, send: bool = True
                   ) -> tuple[Invitation, str]:
    """A new invitation for `user`: (invitation, link). Earlier open ones stop working.

    With `send`, the link is mailed to the user's own address once the transaction commits
    (never from inside it: a mail server is network I/O); without, the caller hands it over.
    """
    if user.has_usable_password():
        raise ValueError(f"user {user.username!r} has set a password already: send a password "
                         "reset link instead")
    if send and not user.email:
        raise ValueError(f"email: user {user.username!r} has no address to send the "
                         "invitation to")
    now = timezone.now()
    user.invitations.filter(used_at__isnull=True, replaced_at__isnull=True).update(
        replaced_at=now)
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user, token_hash=digest(secret), created_by=actor_user(acting),
        expires_at=now + timedelta(days=invitation_days()),
    )
    url = absolute_url(reverse("accounts:invitation", args=[secret]), acting)
    record_audit(Event.ACCOUNT_INVITATION_SENT, acting=acting, obj=user,
                 detail="mailed" if send else "printed")
    if send:
        transaction.on_commit(lambda: _send_invitation(user, url, invitation.expires_at))
    return invitation, url


class InvitationUnusable(Exception):
    """The link cannot be used: `reason` is one of invalid, used, replaced, expired."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        self.reason = reason
        self.invitation = invitation
        super().__init__(reason)


def find_invitation(secret: str) -> Invitation:
    """The open invitation for the link's `secret`; InvitationUnusable saying why not."""
    invitation = (Invitation.objects.select_related("user")
                  .filter(token_hash=digest(secret)).first()) if secret else None
    if invitation is None or not invitation.user.is_active:
        raise InvitationUnusable("invalid")
    # Used, or the person set a password another way (a reset link to their address).
    if invitation.used_at is not None or invitation.user.has_usable_password():
        raise InvitationUnusable("used", invitation)
    if invitation.replaced_at is not None:
        raise InvitationUnusable("replaced", invitation)
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired", invitation)
    return invitation


@transaction.atomic
def do_accept_invitation(invitation: Invitation, password: str, *, acting: Actor) -> User:
    """The invited person sets their password (validated by the form); the link is spent."""
    # Locked: two submissions of one link at once set one password, the other is refused.
    invitation = Invitation.objects.select_for_update().select_related("user").get(
        pk=invitation.pk)
    if invitation.used_at is not None or invitation.replaced_at is not None \
            or invitation.expires_at <= timezone.now():
        raise InvitationUnusable("used" if invitation.used_at else "expired", invitation)
    user = invitation.user
    user.set_password(password)
    user.save()
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    record_audit(Event.ACCOUNT_INVITATION_ACCEPTED, acting=acting, obj=user)
    return user


def do_send_password_reset(user: User, *, acting: HttpRequest) -> None:
    """Mail allauth's password-reset link to the user's own address (an admin's action)."""
    if not user.email:
        raise ValueError(f"email: user {user.username!r} has no address to send a link to")
    record_audit(Event.ADMIN_USER_PASSWORD_RESET_SENT, acting=acting, obj=user)

    def send() -> None:
        # allauth builds the link from the request it finds in its context.
        with allauth_context.request_context(acting):
            request_password_reset(acting, user.email, [user], default_token_generator)

    # After any transaction: the mail is network I/O.
    transaction.on_commit(send)


@transaction.atomic
def do_deactivate_user(user: User, *, acting: Actor) -> bool:
    """Deactivate the account (its sessions and tokens stop working); False if it was."""
    if not user.is_active:
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit(Event.ADMIN_USER_DEACTIVATED, acting=acting, obj=user, detail="is_active")
    return True


def invitation_roles_note(user: User) -> str:
    """What the person does after opening the link, for the command line's output."""
    if user.role in (Role.CLINICIAN, Role.ADMIN):
        return "They set their password, then set up their authenticator app (TOTP)."
    return "They set their password."
