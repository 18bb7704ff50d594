from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from mitra.evidence import library
from mitra.testing import login, make_cast


def test_every_seed_claim_has_a_verdict_grade_and_citations():
    as_of, claims = library.load()
    assert len(claims) == 15 and as_of
    assert {c.verdict for c in claims} == set(library.VERDICTS)
    assert all(c.citations and c.explanation for c in claims)


def test_a_claim_with_an_unknown_citation_is_refused(tmp_path: Path):
    data = yaml.safe_load(library.DATA.read_text())
    data["claims"][0]["citations"] = ["nosuchpaper"]
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(library.ClaimsError, match=r"claims\[kratom-receptor-actions\]"):
        library.load(path)


@pytest.mark.django_db
def test_index_and_claim_pages():
    cast = make_cast()
    client = login(Client(), cast.patient_user)
    page = client.get(reverse("evidence:index")).content.decode()
    assert "Kava is a mushroom drink." in page and "False" in page
    claim = client.get(reverse("evidence:claim", kwargs={"claim_id": "kratom-safe-dosage"}))
    html = claim.content.decode()
    assert "Unsupported" in html and "Manwill" in html
    missing = client.get(reverse("evidence:claim", kwargs={"claim_id": "nope"}))
    assert missing.status_code == 404
