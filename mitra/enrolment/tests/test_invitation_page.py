"""A patient's invitation page: its state; shown in clinic as a QR code and a short code (a fresh
invitation each time, never stored); resent; revoked. Audited, and for the patient's care team
only (read-only 403, another team 404)."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from mitra.accounts.actions import code_digest, normalise_short_code
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.enrolment.tests.helpers import (
    admin_on_team_a,
    clinician,
    invitation_page,
    latest_invitation,
    link_path,
    uninvited,
)
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

CODE = re.compile(r'<p class="short-code"[^>]*>([0-9A-Z]{4})-([0-9A-Z]{4})</p>')


@pytest.fixture
def cast():
    return make_cast()


def show(client, patient):
    return client.post(invitation_page(patient) + "show/")


def test_the_page_shows_the_open_invitation_with_its_expiry_and_the_buttons(cast):
    patient, _path = uninvited(cast)
    page = clinician(cast).get(invitation_page(patient))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Invited, not signed up yet" in html and "Sent by e-mail to pat@example.org" in html
    assert "Expires" in html and "Open: not used yet" in html
    for button in ("Show QR code and short code", "Resend by e-mail", "Revoke the invitation"):
        assert button in html
    assert "<svg" not in html  # nothing to scan until asked for
    assert AuditEvent.objects.filter(event=Event.PATIENT_RECORD_VIEWED, patient=patient,
                                     actor=cast.clinician).exists()


def test_the_record_links_to_the_invitation_page(cast):
    html = clinician(cast).get(f"/patients/{cast.patient.uuid}/").content.decode()
    assert f'href="{invitation_page(cast.patient)}"' in html


def test_showing_makes_a_fresh_invitation_with_an_inline_qr_code_and_a_short_code(cast):
    patient, old_path = uninvited(cast)
    before = latest_invitation(patient.user)
    response = show(clinician(cast), patient)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    # An inline SVG (no image request, no script): the QR code of the invitation link.
    assert re.search(r'<svg role="img" aria-label="QR code of the invitation link"', html)
    assert "<path d=" in html and "<img" not in html and "style=" not in html
    code = "".join(CODE.search(html).groups())
    assert normalise_short_code(code) == code
    shown = latest_invitation(patient.user)
    assert shown != before and shown.code_hash == code_digest(code)
    assert code not in shown.code_hash and shown.expires_at > before.expires_at
    # The earlier link was replaced: the patient uses this code (or the QR code's link).
    assert Client().get(old_path).status_code == 410
    event = AuditEvent.objects.get(event=Event.ENROLMENT_INVITATION_SHOWN)
    assert (event.actor, event.patient, event.object_uuid) == (cast.clinician, patient,
                                                               shown.uuid)
    assert code not in event.detail


def test_the_qr_code_is_that_of_the_working_invitation_link(cast):
    """The page's SVG is the QR code of the one open invitation's link (whose secret only
    this response has): that link, opened on a phone, leads to the sign-up."""
    from mitra.enrolment import qr, views

    patient, _path = uninvited(cast)
    with mock.patch.object(views, "qr_svg", wraps=qr.qr_svg) as drawn:
        html = show(clinician(cast), patient).content.decode()
    (url,), _kw = drawn.call_args
    assert url.startswith("http://testserver/accounts/invitation/")
    assert str(qr.qr_svg(url, label="QR code of the invitation link")) in html
    # The link itself is not printed on the page: it is the QR code, the code and /join/.
    assert url not in html and "http://testserver/join/" in html
    phone = Client()
    assert phone.get(url.removeprefix("http://testserver"))["Location"] == "/join/welcome/"
    assert phone.get("/join/welcome/").status_code == 200


def test_the_qr_svg_has_no_fixed_size_and_a_label():
    from mitra.enrolment.qr import qr_svg

    svg = str(qr_svg("https://mitra.example.org/accounts/invitation/x/", label='A "b" <c>'))
    assert svg.startswith('<svg role="img" aria-label="A &quot;b&quot; &lt;c&gt;"')
    assert 'width="' not in svg and 'height="' not in svg and 'viewBox="0 0 ' in svg


def test_resend_mails_a_new_link_replacing_the_old_and_is_audited(
        cast, django_capture_on_commit_callbacks):
    patient, old_path = uninvited(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician(cast).post(invitation_page(patient) + "resend/")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    new_path = link_path(mail.outbox[0].body)
    assert new_path != old_path
    assert Client().get(old_path).status_code == 410
    assert Client().get(new_path).status_code == 302
    event = AuditEvent.objects.get(event=Event.ENROLMENT_INVITATION_RESENT)
    assert (event.actor, event.patient) == (cast.clinician, patient)
    assert event.object_uuid == latest_invitation(patient.user).uuid


def test_revoke_withdraws_the_link_and_the_code_and_is_audited(cast):
    patient, path = uninvited(cast)
    client = clinician(cast)
    code = "".join(CODE.search(show(client, patient).content.decode()).groups())
    response = client.post(invitation_page(patient) + "revoke/")
    assert response.status_code == 302
    page = Client().get(path)
    assert page.status_code == 410  # the older, mailed link: replaced by the shown one
    joined = Client().post("/join/", {"code": code})
    assert joined.status_code == 410
    html = joined.content.decode()
    assert "This invitation was withdrawn" in html and "ask your care team to resend it" in html
    event = AuditEvent.objects.get(event=Event.ENROLMENT_INVITATION_REVOKED)
    assert (event.actor, event.patient, event.detail) == (cast.clinician, patient, "1 open")
    state = client.get(invitation_page(patient)).content.decode()
    assert "Revoked" in state and "Revoke the invitation" not in state
    # Nothing left to revoke: said, naming the field.
    again = client.post(invitation_page(patient) + "revoke/")
    assert again.status_code == 400
    assert "invitation: there is no open invitation to revoke" in again.content.decode()


def test_a_revoked_link_says_it_was_withdrawn(cast):
    patient, path = uninvited(cast)
    assert clinician(cast).post(invitation_page(patient) + "revoke/").status_code == 302
    page = Client().get(path)
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.content.decode()


def test_a_signed_up_patient_has_nothing_to_send(cast):
    client = clinician(cast)  # the cast's patient has set a password
    html = client.get(invitation_page(cast.patient)).content.decode()
    assert "Signed up" in html and "Resend by e-mail" not in html
    for action in ("show/", "resend/", "revoke/"):
        response = client.post(invitation_page(cast.patient) + action)
        assert response.status_code == 400
        assert "patient: has signed up already" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("action", ["", "show/", "resend/", "revoke/"])
def test_a_read_only_member_is_refused_and_another_team_does_not_find_it(cast, action):
    patient, _path = uninvited(cast)
    url = invitation_page(patient) + action
    call = "get" if not action else "post"
    assert getattr(login(Client(), cast.readonly), call)(url).status_code == 403
    assert getattr(login(Client(), cast.other_clinician), call)(url).status_code == 404
    # An admin on another team only: not found either.
    from mitra.accounts.models import Membership

    Membership.objects.create(team=cast.team_b, user=cast.admin)
    assert getattr(login(Client(), cast.admin), call)(url).status_code == 404
    assert not AuditEvent.objects.filter(event__startswith="enrolment.").exists()


def test_a_care_team_admin_shows_and_revokes(cast):
    patient, _path = uninvited(cast)
    client = admin_on_team_a(cast)
    assert show(client, patient).status_code == 200
    assert client.post(invitation_page(patient) + "revoke/").status_code == 302
    assert set(AuditEvent.objects.filter(event__startswith="enrolment.").values_list(
        "event", "actor")) == {(Event.ENROLMENT_INVITATION_SHOWN.value, cast.admin.pk),
                               (Event.ENROLMENT_INVITATION_REVOKED.value, cast.admin.pk)}


def test_an_unknown_patient_is_not_found(cast):
    client = clinician(cast)
    assert client.get("/enrolment/patients/00000000-0000-4000-8000-000000000000/invitation/"
                      ).status_code == 404
    assert client.get(invitation_page(cast.patient) + "show/").status_code == 405
