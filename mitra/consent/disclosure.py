"""The one gate for anything that leaves the care team: a covering consent, then an account.

    consent = require_consent(patient, kinds=KINDS_ALL, recipient_name="Dr Okafor",
                              purpose=Purpose.TREATMENT)          # ConsentMissing (403) if none
    record_disclosure(patient, consent=consent, channel=Disclosure.Channel.REPORT,
                      what="Report 2026-11-01 to 2026-11-30", kinds=KINDS_ALL,
                      recipient_name="Dr Okafor", purpose=Purpose.TREATMENT, acting=request)

`disclose` does both. With Part 2 handling off (`MITRA_PART2=0`, a service not covered by
42 CFR Part 2) no consent is asked for, and the disclosure is still accounted (HIPAA's own
accounting, 45 CFR 164.528), without a consent and without the notice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.consent import part2, rules
from mitra.consent.models import Consent, Disclosure
from mitra.lib import conf
from mitra.patients.models import Patient

SUBSTANCE_USE = "substance_use"
MENTAL_HEALTH = "mental_health"
# What a whole record (a report, an export) contains.
KINDS_ALL = frozenset({SUBSTANCE_USE, MENTAL_HEALTH})


class ConsentMissing(PermissionDenied):
    """No active consent covers the disclosure; the message says what is missing."""


def part2_on() -> bool:
    return conf.part2()


def grant_of(consent: Consent, at: datetime) -> rules.Grant:
    return rules.Grant(key=consent.pk, scope=consent.scope,
                       recipient_kind=consent.recipient_kind,
                       recipient_name=consent.recipient_name,
                       recipient_account=consent.recipient_account_id,
                       purpose=consent.purpose, active=consent.is_active(at))


def consents_for(patient: Patient) -> list[Consent]:
    """The patient's consents not revoked, newest first (one query)."""
    return list(Consent.objects.filter(patient=patient, revoked_at__isnull=True)
                .order_by("-signed_at", "-pk"))


def covering_consent(patient: Patient, *, kinds: frozenset[str], recipient_name: str,
                     purpose: str, recipient_account: int | None = None,
                     at: datetime | None = None) -> Consent | None:
    at = at or timezone.now()
    consents = consents_for(patient)
    ask = rules.Ask(kinds=kinds, recipient_name=recipient_name,
                    recipient_account=recipient_account, purpose=purpose)
    found = rules.covering([grant_of(c, at) for c in consents], ask)
    return next((c for c in consents if found is not None and c.pk == found.key), None)


def require_consent(patient: Patient, *, kinds: frozenset[str], recipient_name: str,
                    purpose: str, recipient_account: int | None = None) -> Consent | None:
    """The consent covering this disclosure (None with Part 2 handling off); ConsentMissing,
    naming what is missing, when there is none."""
    if not part2_on():
        return None
    at = timezone.now()
    consents = consents_for(patient)
    ask = rules.Ask(kinds=kinds, recipient_name=recipient_name,
                    recipient_account=recipient_account, purpose=purpose)
    grants = [grant_of(c, at) for c in consents]
    found = rules.covering(grants, ask)
    if found is None:
        raise ConsentMissing(rules.missing(grants, ask))
    return next(c for c in consents if c.pk == found.key)


def record_disclosure(patient: Patient, *, consent: Consent | None, channel: str, what: str,
                      kinds: frozenset[str], recipient_name: str, purpose: str,
                      acting: Actor | None, recipient_account: int | None = None,
                      uuid: UUID | None = None) -> Disclosure:
    """One disclosure and its audit event, in one transaction. `uuid`: the submission's
    client-made UUID, so a repeated request finds the disclosure it already made."""
    scope = next(iter(kinds)) if len(kinds) == 1 else "all"
    with transaction.atomic():
        user = actor_user(acting)
        row = Disclosure.objects.create(
            patient=patient, recipient_name=recipient_name[:200],
            recipient_account_id=recipient_account, channel=channel, what=what[:300],
            scope=scope, purpose=purpose, consent=consent,
            made_by=user if user is not None and user.pk else None,
            notice_version=part2.notice().version if consent is not None else "",
            **({"uuid": uuid} if uuid is not None else {}))
        record_audit(Event.DISCLOSURE_MADE, acting=acting, patient=patient, obj=row,
                     detail=f"{channel}: {what}"[:300])
    return row


def disclose(patient: Patient, *, channel: str, what: str, kinds: frozenset[str],
             recipient_name: str, purpose: str, acting: Actor | None,
             recipient_account: int | None = None, uuid: UUID | None = None) -> Disclosure:
    """`require_consent` then `record_disclosure`: the disclosure, or ConsentMissing."""
    consent = require_consent(patient, kinds=kinds, recipient_name=recipient_name,
                              purpose=purpose, recipient_account=recipient_account)
    return record_disclosure(patient, consent=consent, channel=channel, what=what, kinds=kinds,
                             recipient_name=recipient_name, purpose=purpose, acting=acting,
                             recipient_account=recipient_account, uuid=uuid)
