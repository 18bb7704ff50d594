"""Outside recipients (Role.RECIPIENT): whom they reach, and the disclosure each read makes.

Registered with the one patient access check (`patients.access.register_recipient_gate`) at
start-up: a recipient reaches a patient of their care teams only while an active consent
covers them (by their account, their organisation's name, or the 2024 rule's consent for
treatment, payment and health care operations when their purpose is one of those), and every
page or API read of that patient is recorded as a disclosure under that consent.
"""

from __future__ import annotations

from typing import cast

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from mitra.accounts.models import User
from mitra.consent import disclosure, rules
from mitra.consent.models import Consent, Disclosure, Purpose, Recipient
from mitra.patients.models import Patient


def recipient_of(user: User) -> Recipient | None:
    try:
        return user.recipient
    except Recipient.DoesNotExist:
        return None


def _covering(user: User, recipient: Recipient) -> Q:
    """Consents (not yet checked for the date) that name this recipient for their purpose."""
    names_them = (Q(recipient_account=user)
                  | (Q(recipient_account__isnull=True)
                     & Q(recipient_name__iexact=recipient.organisation.strip())))
    if recipient.purpose in rules.TPO_PURPOSES:
        names_them |= Q(recipient_kind=Consent.RecipientKind.TPO)
        purposes = [recipient.purpose, Purpose.TPO]
    else:
        purposes = [recipient.purpose]
    return names_them & Q(purpose__in=purposes)


def recipient_patients(user: User) -> QuerySet[Patient]:
    """The patients of `user`'s care teams whose active consent covers them."""
    recipient = recipient_of(user)
    if recipient is None:
        return Patient.objects.none()
    now = timezone.now()
    active = (Consent.objects.filter(patient=OuterRef("pk"), revoked_at__isnull=True,
                                     signed_at__lte=now)
              .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate(now)))
              .filter(_covering(user, recipient)))
    return (Patient.objects.filter(care_teams__clinicians=user).distinct()
            .filter(Exists(active)))


def recipient_consent(user: User, patient: Patient) -> Consent | None:
    """The active consent under which `user` reads `patient`: the widest scope, newest."""
    recipient = recipient_of(user)
    if recipient is None:
        return None
    found = [c for c in Consent.objects.filter(patient=patient, revoked_at__isnull=True)
             .filter(_covering(user, recipient)).order_by("-signed_at") if c.is_active()]
    found.sort(key=lambda c: c.scope != "all")
    return found[0] if found else None


def kinds_for_recipient(user: User, patient: Patient) -> frozenset[str]:
    """The kinds of record the recipient may read of this patient (empty: none)."""
    consent = recipient_consent(user, patient)
    if consent is None:
        return frozenset()
    return disclosure.KINDS_ALL if consent.scope == "all" else frozenset({consent.scope})


def on_recipient_read(request: HttpRequest, patient: Patient) -> None:
    """Account for a recipient's read of `patient` (the access check has let them in)."""
    user = cast(User, request.user)  # the access check let a signed-in recipient in
    consent = recipient_consent(user, patient)
    if consent is None:  # revoked between the look-up and now: refuse rather than disclose
        raise disclosure.ConsentMissing("The consent covering you was revoked or has expired.")
    recipient = recipient_of(user)
    channel = (Disclosure.Channel.API if request.path.startswith(("/api/", "/fhir/"))
               else Disclosure.Channel.REPORT)
    kinds = disclosure.KINDS_ALL if consent.scope == "all" else frozenset({consent.scope})
    disclosure.record_disclosure(
        patient, consent=consent, channel=channel, what=f"{request.method} {request.path}",
        kinds=kinds, recipient_name=recipient.organisation if recipient else str(user),
        purpose=recipient.purpose if recipient else consent.purpose, acting=request,
        recipient_account=user.pk)
