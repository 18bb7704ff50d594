"""Where a patient's sign-up stands: their invitations, each with its state, for the
invitation page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from mitra.accounts.models import Invitation, User
from mitra.enrolment.models import Acceptance

HISTORY = 10  # invitations listed on the page, newest first


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    state: str  # open, used, revoked, replaced, expired
    label: str
    at: datetime | None  # when it reached that state (the expiry for open and expired)

    @property
    def how(self) -> str:
        return "shown in clinic (QR code and short code)" if self.invitation.code_hash \
            else "sent by e-mail"


def state_of(invitation: Invitation, now: datetime) -> InvitationRow:
    if invitation.used_at is not None:
        return InvitationRow(invitation, "used", "Used to sign up", invitation.used_at)
    if invitation.revoked_at is not None:
        return InvitationRow(invitation, "revoked", "Revoked", invitation.revoked_at)
    if invitation.replaced_at is not None:
        return InvitationRow(invitation, "replaced", "Replaced by a newer one",
                             invitation.replaced_at)
    if invitation.expires_at <= now:
        return InvitationRow(invitation, "expired", "Expired", invitation.expires_at)
    return InvitationRow(invitation, "open", "Open: not used yet", invitation.expires_at)


@dataclass(frozen=True)
class SignUpStatus:
    signed_up: bool
    acceptance: Acceptance | None
    rows: list[InvitationRow]

    @property
    def open(self) -> InvitationRow | None:
        return next((r for r in self.rows if r.state == "open"), None)

    @property
    def latest(self) -> InvitationRow | None:
        return self.rows[0] if self.rows else None


def sign_up_status(user: User | None) -> SignUpStatus:
    if user is None:
        return SignUpStatus(False, None, [])
    now = timezone.now()
    invitations = user.invitations.select_related("created_by").order_by("-created_at", "-pk")
    return SignUpStatus(
        signed_up=user.has_usable_password(),
        acceptance=Acceptance.objects.filter(user=user).first(),
        rows=[state_of(i, now) for i in invitations[:HISTORY]],
    )
