"""Account actions: invitations, password-reset links sent by an admin, deactivation.

Nobody sets or learns another person's password. A new account has no usable password; its
owner sets one through a single-use, expiring invitation link sent to their own address (or
printed by `mitra createuser` for hand-over), and then, for staff, enrols their authenticator.
An admin who needs to help someone back in mails them a reset link, at their own address.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
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
from django.utils.crypto import salted_hmac

from mitra.accounts.models import Invitation, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event


def invitation_days() -> int:
    return settings.MITRA_INVITATION_DAYS


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Short codes: Crockford's base32 alphabet without I, L, O and U (read as 1, 1, 0 or refused),
# so a code read off a screen and typed on a phone has no look-alike letters. 8 characters:
# 32**8, about 10**12 codes; the /join/ page limits wrong guesses (mitra/enrolment/throttle.py).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_CODE_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_short_code() -> str:
    """A fresh short code, 8 characters of CODE_ALPHABET (shown as XXXX-XXXX)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_short_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_short_code(typed: str) -> str | None:
    """The code as typed (any case, spaces or dashes, O for 0, I or L for 1) as stored; None
    when it cannot be a code (another length, a letter outside the alphabet)."""
    code = "".join(str(typed).split()).replace("-", "").upper().translate(_CODE_READS_AS)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def code_digest(code: str) -> str:
    """The stored form of a short code: keyed, since 40 bits are few enough to try them all
    against a plain hash taken from a copy of the database."""
    return salted_hmac("mitra.accounts.invitation-code", code, algorithm="sha256").hexdigest()


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
def do_invite_user(user: User, *, acting: Actor | None, send: bool = True,
                   code: str | None = None) -> tuple[Invitation, str]:
    """A new invitation for `user`: (invitation, link). Earlier open ones stop working.

    With `send`, the link is mailed to the user's own address once the transaction commits
    (never from inside it: a mail server is network I/O); without, the caller hands it over.
    `code` (from `new_short_code`) opens the same invitation at /join/; only its digest is kept.
    """
    if code is not None and normalise_short_code(code) != code:
        raise ValueError("code: give a code made by new_short_code()")
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
        code_hash=code_digest(code) if code is not None else None,
    )
    url = absolute_url(reverse("accounts:invitation", args=[secret]), acting)
    record_audit(Event.ACCOUNT_INVITATION_SENT, acting=acting, obj=user,
                 detail="mailed" if send else "printed")
    if send:
        transaction.on_commit(lambda: _send_invitation(user, url, invitation.expires_at))
    return invitation, url


class InvitationUnusable(Exception):
    """The link cannot be used: `reason` is one of invalid, used, revoked, replaced, expired."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        self.reason = reason
        self.invitation = invitation
        super().__init__(reason)


def find_invitation(secret: str) -> Invitation:
    """The open invitation for the link's `secret`; InvitationUnusable saying why not."""
    invitation = (Invitation.objects.select_related("user")
                  .filter(token_hash=digest(secret)).first()) if secret else None
    return _usable(invitation)


def find_invitation_by_code(typed: str) -> Invitation:
    """The open invitation whose short code was typed; InvitationUnusable saying why not
    ("invalid" for a code that is no invitation's, or cannot be one)."""
    code = normalise_short_code(typed)
    invitation = (Invitation.objects.select_related("user")
                  .filter(code_hash=code_digest(code)).first()) if code else None
    return _usable(invitation)


def _usable(invitation: Invitation | None) -> Invitation:
    if invitation is None or not invitation.user.is_active:
        raise InvitationUnusable("invalid")
    # Used, or the person set a password another way (a reset link to their address).
    if invitation.used_at is not None or invitation.user.has_usable_password():
        raise InvitationUnusable("used", invitation)
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked", invitation)
    if invitation.replaced_at is not None:
        raise InvitationUnusable("replaced", invitation)
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired", invitation)
    return invitation


# The invitation a visitor opened (by its link or its short code), for the pages that follow
# in the same browser: the secret leaves the address bar after the first page, and a short
# code, which is no link, leads to the same sign-up. Checked again on every use.
INVITATION_SESSION_KEY = "mitra_invitation"


def remember_invitation(request: HttpRequest, invitation: Invitation) -> None:
    request.session[INVITATION_SESSION_KEY] = str(invitation.uuid)


def remembered_invitation(request: HttpRequest) -> Invitation:
    """The invitation this browser opened, still open; InvitationUnusable ("invalid" when
    there is none) otherwise."""
    try:
        key = uuid.UUID(str(request.session.get(INVITATION_SESSION_KEY)))
    except ValueError:
        raise InvitationUnusable("invalid") from None
    return _usable(Invitation.objects.select_related("user").filter(uuid=key).first())


def forget_invitation(request: HttpRequest) -> None:
    request.session.pop(INVITATION_SESSION_KEY, None)


@transaction.atomic
def do_accept_invitation(invitation: Invitation, password: str, *, acting: Actor) -> User:
    """The invited person sets their password (validated by the form); the link is spent."""
    # Locked: two submissions of one link at once set one password, the other is refused.
    invitation = Invitation.objects.select_for_update().select_related("user").get(
        pk=invitation.pk)
    _usable(invitation)
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
