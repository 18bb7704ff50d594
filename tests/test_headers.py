"""Security headers on every answer: a strict Content-Security-Policy, no caching of patient data,
HTTPS behind a trusted proxy."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

import pytest
from django.conf import settings
from django.test import Client

from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/no-such-page/"])
def test_every_page_has_a_strict_content_security_policy(path):
    found = policy(Client().get(path))
    for name, value in STRICT.items():
        assert found.get(name) == value, (name, found)
    assert "unsafe-inline" not in found["script-src"]
    assert "unsafe-eval" not in found["script-src"]
    assert "style-src" in found


def test_signed_in_pages_have_the_policy_too():
    cast = make_cast()
    client = login(Client(), cast.clinician)
    for path in ("/caseload/", f"/reports/patients/{cast.patient.uuid}/timeline/",
                 f"/diary/patients/{cast.patient.uuid}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["script-src"] == "'self'", path


def test_the_api_docs_page_runs_under_the_same_strict_policy():
    # Swagger UI (django-ninja's bundled copy) needs nothing more: tests/test_browser_csp.py.
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert policy(response) == policy(Client().get("/accounts/login/"))


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_only_inline_styles_allowed_are_the_ones_plotly_adds():
    """A plotly upgrade that changes the map CSS it injects fails here, naming the new hash."""
    found = policy(Client().get("/accounts/login/"))["style-src"].split()
    assert found[0] == "'self'"
    assert "'unsafe-inline'" not in found
    script = files("plotly").joinpath("package_data/plotly.min.js").read_text(encoding="utf-8")
    injected = re.findall(r'e\.id="[0-9a-f]{64}",e\.textContent=\'([^\'\\]*)\'', script)
    assert len(injected) == 1, "plotly.min.js injects another <style>: check its hash"
    assert set(found[1:]) == {_sha256(""), _sha256(injected[0])}, _sha256(injected[0])
    assert found[1:] == settings.PLOTLY_STYLE_HASHES


def test_patient_pages_are_never_stored_by_a_browser_or_proxy():
    cast = make_cast()
    clinician = login(Client(), cast.clinician)
    uuid = cast.patient.uuid
    for path in ("/caseload/", f"/patients/{uuid}/", f"/reports/patients/{uuid}/timeline/",
                 f"/diary/patients/{uuid}/", f"/measures/patients/{uuid}/"):
        response = clinician.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    patient = login(Client(), cast.patient_user)
    for path in ("/me/", "/diary/", "/reports/me/"):
        response = patient.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_api_and_fhir_answers_are_never_stored():
    from mitra.api.tests.helpers import TokenClient, token_for

    cast = make_cast()
    api = TokenClient(token_for(cast.clinician))
    for path in (f"/api/patients/{cast.patient.uuid}/responses",
                 f"/fhir/Patient/{cast.patient.uuid}", "/fhir/metadata"):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        assert "no-store" in response["Cache-Control"], path
    # Refusals too: an error may still name what was asked for.
    response = Client().get(f"/api/patients/{cast.patient.uuid}/responses")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_own_caching():
    response = Client().get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]  # WhiteNoise's
    response.close()


def test_https_is_taken_from_a_trusted_proxy_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.MITRA_TRUSTED_PROXIES = ["10.0.0.5"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    via_proxy = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_PROTO="https")
    assert via_proxy.get("/accounts/login/").status_code == 200
    plain = Client(REMOTE_ADDR="10.0.0.5")
    assert plain.get("/accounts/login/").status_code == 301
    # Anyone else who claims to have come over HTTPS is not believed.
    forged = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_PROTO="https")
    response = forged.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert plain.get("/healthz").status_code == 200  # a monitor on the app server itself
