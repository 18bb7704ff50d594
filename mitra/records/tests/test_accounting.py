"""The accounting of disclosures: the Disclosure rows joined to the audit trail, in a fixed
number of queries; the patient's page (own record only), the staff page, CSV and PDF; each
view audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.models import Membership
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.consent import disclosure, part2
from mitra.consent.models import Consent, Disclosure, Purpose, Scope
from mitra.records import accounting
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

PHARMACY = "Riverside Pharmacy"


@pytest.fixture
def cast():
    cast = make_cast()
    Membership.objects.create(team=cast.team_a, user=cast.admin)
    return cast


def _consent(patient, **kw) -> Consent:
    fields = {"scope": Scope.ALL, "recipient_kind": Consent.RecipientKind.ORGANISATION,
              "recipient_name": PHARMACY, "purpose": Purpose.TREATMENT,
              "expires_on": timezone.localdate() + timedelta(days=90),
              "text_version": part2.consent_text().version, "signed_name": patient.display_name,
              "signed_at": timezone.now() - timedelta(days=1)}
    return Consent.objects.create(patient=patient, **{**fields, **kw})


def _disclose(cast, what: str = "Report 2026-11-01 to 2026-11-30") -> Disclosure:
    return disclosure.disclose(cast.patient, channel=Disclosure.Channel.REPORT, what=what,
                               kinds=disclosure.KINDS_ALL, recipient_name=PHARMACY,
                               purpose=Purpose.TREATMENT, acting=cast.clinician)


def test_each_disclosure_is_listed_with_its_consent_and_attested_by_the_trail(cast):
    consent = _consent(cast.patient)
    row = _disclose(cast)
    (entry,) = accounting.entries(cast.patient)
    assert entry.uuid == row.uuid
    assert entry.recipient == PHARMACY
    assert entry.what == "Report 2026-11-01 to 2026-11-30"
    assert entry.purpose == "Treatment"
    assert entry.consent_uuid == consent.uuid
    assert entry.consent_scope == "All my records"
    assert entry.consent_text_version == consent.text_version
    assert entry.made_by == cast.clinician.username
    assert entry.attested and entry.problem == ""


def test_another_patients_disclosures_are_not_listed(cast):
    _consent(cast.patient)
    _disclose(cast)
    assert accounting.entries(cast.other_patient) == []


def test_a_row_the_trail_does_not_know_is_shown_with_the_problem(cast):
    consent = _consent(cast.patient)
    # Written around the gate: no audit event.
    Disclosure.objects.create(patient=cast.patient, recipient_name=PHARMACY, channel="report",
                              what="Report", scope="all", purpose="treatment", consent=consent,
                              made_by=cast.clinician)
    (entry,) = accounting.entries(cast.patient)
    assert not entry.attested and entry.problem == accounting.NO_EVENT


def test_an_event_whose_row_is_missing_is_shown_from_the_trail(cast, settings):
    settings.MITRA_PART2 = False
    row = _disclose(cast, what="FHIR Observation search")
    # Gone from the table (a PROTECT FK does not stop a raw delete of the row itself).
    Disclosure.objects.filter(pk=row.pk).delete()
    (entry,) = accounting.entries(cast.patient)
    assert entry.problem == accounting.NO_ROW
    assert (entry.channel, entry.what) == ("report", "FHIR Observation search")
    assert entry.made_by == cast.clinician.username


def test_it_takes_two_queries_whatever_the_number_of_disclosures(cast):
    _consent(cast.patient)
    for n in range(3):
        _disclose(cast, what=f"Report {n}")
    with CaptureQueriesContext(connection) as few:
        assert len(accounting.entries(cast.patient)) == 3
    for n in range(7):
        _disclose(cast, what=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(accounting.entries(cast.patient)) == 10
    assert len(few) == len(many) == 2


def test_the_patient_sees_their_own_accounting_and_the_view_is_audited(cast):
    _consent(cast.patient)
    _disclose(cast)
    client = login(Client(), cast.patient_user)
    response = client.get(reverse("records:my_accounting"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Who has seen my records" in body and PHARMACY in body
    event = AuditEvent.objects.filter(event=Event.ACCOUNTING_VIEWED).get()
    assert event.patient == cast.patient and event.detail == "page: 1 entries"


def test_the_other_patient_sees_only_their_own_empty_accounting(cast):
    _consent(cast.patient)
    _disclose(cast)
    client = login(Client(), cast.other_patient_user)
    body = client.get(reverse("records:my_accounting")).content.decode()
    assert PHARMACY not in body and "No disclosure" in body


def test_the_csv_has_every_column_and_a_row_per_disclosure(cast):
    consent = _consent(cast.patient)
    _disclose(cast, what="=cmd|' /C calc'!A0")
    client = login(Client(), cast.patient_user)
    response = client.get(reverse("records:my_accounting_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(accounting.COLUMNS)
    assert len(rows) == 2
    assert rows[1][1] == PHARMACY and rows[1][6] == str(consent.uuid)
    assert rows[1][3].startswith("'=")  # no formula in a spreadsheet
    assert rows[1][-1] == "yes"
    assert AuditEvent.objects.filter(event=Event.ACCOUNTING_VIEWED, detail="csv: 1 entries"
                                     ).exists()


def test_the_pdf_downloads_for_the_patient_and_for_staff(cast):
    _consent(cast.patient)
    _disclose(cast)
    patient = login(Client(), cast.patient_user).get(reverse("records:my_accounting_pdf"))
    assert patient.status_code == 200 and patient.content.startswith(b"%PDF")
    admin = login(Client(), cast.admin).get(
        reverse("records:patient_accounting_pdf", args=[cast.patient.uuid]))
    assert admin.status_code == 200 and admin.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(event=Event.ACCOUNTING_VIEWED, detail__startswith="pdf"
                                     ).count() == 2


def test_staff_of_the_patients_team_see_it_and_others_do_not(cast):
    _consent(cast.patient)
    _disclose(cast)
    url = reverse("records:patient_accounting", args=[cast.patient.uuid])
    for user in (cast.clinician, cast.admin):
        response = login(Client(), user).get(url)
        assert response.status_code == 200 and PHARMACY in response.content.decode()
    assert login(Client(), cast.other_clinician).get(url).status_code == 404
    assert login(Client(), cast.patient_user).get(url).status_code == 404
