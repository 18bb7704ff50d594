"""Does a consent cover a disclosure? The rule, in plain Python (no Django).

A disclosure asks for the kinds of record it contains (substance-use, mental-health), for a
recipient (a person or organisation, perhaps with an account) and a purpose. One active
consent must cover all of it:
- its scope is "all", or the one kind the disclosure contains;
- its recipient is that person or organisation (by account, else by name, compared without
  case and spacing), or it is the 2024 rule's consent for treatment, payment and health care
  operations and the purpose is one of those;
- its purpose is the disclosure's, or "treatment, payment and health care operations" and the
  purpose is one of them.
`missing` says in words what no consent covers, for the refusal message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SCOPES = ("substance_use", "mental_health", "all")
TPO = "tpo"
TPO_PURPOSES = frozenset({"treatment", "payment", "operations", TPO})
SCOPE_WORDS = {"substance_use": "substance-use records", "mental_health": "mental-health records",
               "all": "all records"}


@dataclass(frozen=True)
class Grant:
    """A consent as the rule sees it (`active` already decided for the moment asked)."""

    key: object
    scope: str
    recipient_kind: str  # person | organisation | tpo
    recipient_name: str
    recipient_account: int | None
    purpose: str
    active: bool = True


@dataclass(frozen=True)
class Ask:
    """A disclosure asked for."""

    kinds: frozenset[str]  # subset of {"substance_use", "mental_health"}
    recipient_name: str
    recipient_account: int | None
    purpose: str


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split()) != ""


def scope_covers(grant: Grant, kinds: Iterable[str]) -> bool:
    return grant.scope == "all" or set(kinds) <= {grant.scope}


def recipient_covers(grant: Grant, ask: Ask) -> bool:
    if grant.recipient_kind == TPO:
        return ask.purpose in TPO_PURPOSES
    if grant.recipient_account is not None and ask.recipient_account is not None:
        return grant.recipient_account == ask.recipient_account
    return _same_name(grant.recipient_name, ask.recipient_name)


def purpose_covers(grant: Grant, purpose: str) -> bool:
    return grant.purpose == purpose or (grant.purpose == TPO and purpose in TPO_PURPOSES)


def covers(grant: Grant, ask: Ask) -> bool:
    return (grant.active and scope_covers(grant, ask.kinds) and recipient_covers(grant, ask)
            and purpose_covers(grant, ask.purpose))


def covering(grants: Sequence[Grant], ask: Ask) -> Grant | None:
    """The first grant (callers pass the newest first) that covers `ask`, or None."""
    return next((g for g in grants if covers(g, ask)), None)


def missing(grants: Sequence[Grant], ask: Ask) -> str:
    """Why no grant covers `ask`, naming the recipient, the purpose and the records."""
    kinds = " and ".join(SCOPE_WORDS[k] for k in sorted(ask.kinds)) or "records"
    wanted = (f"an active consent covering {kinds}, to {ask.recipient_name or 'this recipient'}, "
              f"for {ask.purpose.replace('_', ' ')}")
    active = [g for g in grants if g.active]
    if not active:
        return f"The patient has no active consent: {wanted} is needed."
    to_them = [g for g in active if recipient_covers(g, ask)]
    if not to_them:
        return f"No active consent names this recipient: {wanted} is needed."
    for_purpose = [g for g in to_them if purpose_covers(g, ask.purpose)]
    if not for_purpose:
        return f"No active consent to this recipient covers this purpose: {wanted} is needed."
    return f"No active consent to this recipient covers these records: {wanted} is needed."
