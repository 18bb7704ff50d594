"""Demo cohort: consents as a clinic would hold them, an outside recipient, two disclosures.

Most Team A patients signed the 2024 rule's consent for treatment, payment and health care
operations at enrolment; a few did not (consent is never a condition of care). The demo
patient also consented to Riverside Pharmacy (the `pharmacy` login) and revoked an older
consent to a counselling service; two reports went to the pharmacy under it, so the accounting
of disclosures has something true to show. One consent was given on paper.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from mitra.consent import disclosure, part2
from mitra.consent.models import Consent, Disclosure, Purpose, Recipient, Scope
from mitra.patients.cohort import DemoContext, team_for

PHARMACY = "Riverside Pharmacy"
END_OF_CARE = "the end of my care with this clinic"


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def populate(ctx: DemoContext) -> None:
    pharmacy = ctx.staff["pharmacy"]
    Recipient.objects.create(user=pharmacy, organisation=PHARMACY, purpose=Purpose.TREATMENT)
    version = part2.consent_text().version
    rows: list[Consent] = []
    for dp in ctx.patients:
        patient = dp.patient
        if team_for(dp.index) != "Team A" or dp.index % 4 == 1:
            continue
        rows.append(Consent(
            patient=patient, scope=Scope.ALL, recipient_kind=Consent.RecipientKind.TPO,
            purpose=Purpose.TPO, expiry_event=END_OF_CARE, text_version=version,
            signed_name=patient.display_name, signed_at=_at(patient.enrolled_on, 10)))
        if dp.index % 4 == 0 and dp.index:
            rows.append(Consent(
                patient=patient, scope=Scope.SUBSTANCE_USE,
                recipient_kind=Consent.RecipientKind.ORGANISATION, recipient_name=PHARMACY,
                purpose=Purpose.TREATMENT, expires_on=ctx.today + timedelta(days=120),
                text_version=version, signed_name=patient.display_name,
                signed_at=_at(ctx.today - timedelta(days=30), 11)))
    demo = ctx.patients[0].patient
    rows.append(Consent(
        patient=demo, scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
        recipient_name=PHARMACY, purpose=Purpose.TREATMENT,
        expires_on=ctx.today + timedelta(days=180), text_version=version,
        signed_name=demo.display_name, signed_at=_at(ctx.today - timedelta(days=20), 9)))
    rows.append(Consent(
        patient=demo, scope=Scope.MENTAL_HEALTH, recipient_kind=Consent.RecipientKind.PERSON,
        recipient_name="Lakeside Counselling (J. Moreau)", purpose=Purpose.TREATMENT,
        expiry_event="the end of my counselling", text_version=version,
        signed_name=demo.display_name, signed_at=_at(ctx.today - timedelta(days=60), 15),
        revoked_at=_at(ctx.today - timedelta(days=30), 18), revoked_by=demo.user,
        revocation_note="I stopped seeing the counsellor."))
    if len(ctx.patients) > 5:
        paper = ctx.patients[5].patient
        rows.append(Consent(
            patient=paper, scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
            recipient_name="County Health Plan", purpose=Purpose.PAYMENT,
            expires_on=ctx.today + timedelta(days=365), text_version=version,
            signed_name=paper.display_name, signed_at=_at(ctx.today - timedelta(days=12), 14),
            source=Consent.Source.PAPER, recorded_by=ctx.staff["admin"],
            paper_note="Signed at the front desk; the form is in the paper file."))
    Consent.objects.bulk_create(rows)
    clinician = ctx.staff["clinician"]
    for weeks in (2, 1):
        end = ctx.today - timedelta(days=7 * weeks)
        disclosure.disclose(
            demo, channel=Disclosure.Channel.REPORT,
            what=f"Report {end - timedelta(days=29)} to {end}", kinds=disclosure.KINDS_ALL,
            recipient_name=PHARMACY, purpose=Purpose.TREATMENT, acting=clinician)
