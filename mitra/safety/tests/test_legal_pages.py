"""The legal-status pages: the patient's own, the clinician's per patient, the list; and the
citations every page shows (type and date first)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.patients.models import Intake
from mitra.safety.kb import US_STATES_AND_DC, knowledge_base
from mitra.safety.screening import do_save_intake
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _text(html: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _viewed(patient, path: str) -> int:
    return AuditEvent.objects.filter(event=Event.PATIENT_RECORD_VIEWED.value, patient=patient,
                                     detail=path).count()


def test_the_patient_sees_the_law_where_they_live_and_the_read_is_audited(cast):
    Intake.objects.create(patient=cast.patient, jurisdiction="US-UT", substances=["kratom"])
    client = login(Client(), cast.patient_user)
    url = reverse("safety:my_legal")
    html = client.get(url).content.decode()
    page = _text(html)
    assert "Legal status of kratom and 7-OH: Utah" in page
    assert "pure-leaf kratom" in page
    assert "Unverified" in page and "third-party site" in page
    assert "Federal law" in page and "US service members" in page
    assert "Not legal advice." in page and "not a recommendation" in page
    assert _viewed(cast.patient, url) == 1


def test_a_patient_in_a_state_without_data_is_told_plainly(cast):
    Intake.objects.create(patient=cast.patient, jurisdiction="US-NY")
    page = _text(login(Client(), cast.patient_user).get(reverse("safety:my_legal"))
                 .content.decode())
    assert "No entry for New York: Mitra has no information; check local law." in page
    assert "Why there is no information:" in page
    assert "Possibly out of date" not in page.split("Federal law")[0]
    assert "None" not in page


def test_a_patient_without_a_recorded_jurisdiction_is_told_so(cast):
    page = _text(login(Client(), cast.patient_user).get(reverse("safety:my_legal"))
                 .content.decode())
    assert "Your care team has not recorded where you live" in page
    assert "Not legal advice." in page


def test_the_patient_reaches_the_page_from_the_menu_and_home(cast):
    html = login(Client(), cast.patient_user).get(reverse("core:me")).content.decode()
    assert html.count(f'href="{reverse("safety:my_legal")}"') >= 2  # the menu and a card


def test_the_clinician_sees_the_patients_jurisdiction_and_the_read_is_audited(cast):
    do_save_intake(cast.patient, acting=cast.clinician, jurisdiction="US-CA",
                   substances=["kratom"], conditions=[])
    client = login(Client(), cast.clinician)
    url = reverse("safety:patient_legal", kwargs={"patient_uuid": cast.patient.uuid})
    page = _text(client.get(url).content.decode())
    assert "Legal status of kratom and 7-OH: California" in page
    assert "Making and selling banned" in page and "Sherman" in page
    # The CDPH notice, typed and dated, and a news/vendor source marked as such.
    assert "Government publication 2025-10-24" in page
    assert "Vendor" in page
    assert _viewed(cast.patient, url) == 1
    overview = client.get(reverse("core:patient", args=[cast.patient.uuid])).content.decode()
    assert url in overview
    intake = client.get(reverse("safety:intake", args=[cast.patient.uuid])).content.decode()
    assert url in intake


def test_the_list_shows_every_state_and_dc_and_says_what_is_unknown(cast):
    client = login(Client(), cast.clinician)
    html = client.get(reverse("safety:legal_index")).content.decode()
    kb = knowledge_base()
    for state in US_STATES_AND_DC:
        code = f"US-{state}"
        assert f'id="j-{code}"' in html, code
        assert reverse("safety:legal_detail", kwargs={"code": code}) in html
    page = _text(html)
    assert f"{len(kb.legal)} jurisdictions" in page
    assert "Unknown: Mitra has no information" in page
    assert "possibly out of date" in page and "Not legal advice." in page


def test_a_jurisdiction_page_shows_news_and_vendor_sources_with_type_and_date(cast):
    client = login(Client(), cast.clinician)
    html = client.get(reverse("safety:legal_detail", kwargs={"code": "US-MO"})).content.decode()
    page = _text(html)
    assert "News 2026-02-12" in page  # the KSHB report
    assert "Vendor 2026-02-15" in page  # the affiliate site
    assert "Kansas City" in page and "confidence: low" in page
    assert client.get(reverse("safety:legal_detail", kwargs={"code": "XX"})).status_code == 404


def test_a_source_with_only_a_copy_seen_has_no_link(cast):
    client = login(Client(), cast.clinician)
    html = client.get(reverse("safety:legal_detail", kwargs={"code": "US"})).content.decode()
    assert "no link recorded" in html
    for href in re.findall(r'href="(https?://[^"]+)"', html):
        assert href.startswith("https://"), href


def test_the_evidence_library_shows_news_sources_as_news_with_their_date(cast):
    client = login(Client(), cast.clinician)
    html = client.get(reverse("evidence:claim", kwargs={"claim_id": "kratom-opioid-withdrawal"}))
    page = _text(html.content.decode())
    assert "News 2017-11-14" in page  # Reuters on the FDA Commissioner's statement
    assert 'href="https://doi.org/' in html.content.decode()


def test_a_finding_shows_a_described_title_as_a_description(cast):
    from mitra.patients.models import Medication

    Medication.objects.create(patient=cast.patient, name="buprenorphine")
    do_save_intake(cast.patient, acting=cast.clinician, jurisdiction="US-TX",
                   substances=["7oh"], conditions=[])
    client = login(Client(), cast.clinician)
    page = _text(client.get(reverse("safety:intake", args=[cast.patient.uuid])).content.decode())
    assert "7oh-buprenorphine-initiation" in page
    assert ("Case report 2025 · Sharma, Nair, Pemminati. Precipitated withdrawal after "
            "buprenorphine initiation") in page
    assert "[description, not the title]" in page
    assert "DOI 10.7759/cureus.98386" in page
