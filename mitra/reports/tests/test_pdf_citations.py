"""The PDF lists a finding's sources through the one citation model: type and date first, the
reference's marks kept."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mitra.patients.models import Medication
from mitra.safety.screening import do_save_intake
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


def test_the_pdf_shows_each_sources_type_date_and_description_mark(client):
    cast = make_cast()
    Medication.objects.create(patient=cast.patient, name="buprenorphine")
    do_save_intake(cast.patient, acting=cast.clinician, jurisdiction="US-TX",
                   substances=["7oh"], conditions=[])
    login(client, cast.clinician)
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "[Case report, 2025] Sharma, Nair, Pemminati. Precipitated withdrawal" in text
    assert "[description, not the title]" in text
    assert "doi:10.7759/cureus.98386" in text
