"""End to end through a real mail server: the clinician enrols a patient, the invitation arrives
at an SMTP server on loopback (after the commit), and its link, followed, signs the patient up
(terms, password, reminders) and lands on their home page."""

from __future__ import annotations

import pytest
from django.test import Client

from mitra.enrolment.models import Acceptance
from mitra.enrolment.tests.helpers import (
    ADD,
    CONSENT,
    PREFERENCES,
    SIGNUP,
    clinician,
    enrol_data,
    link_path,
    sign_up,
)
from mitra.patients.models import Patient
from mitra.safety.tests.smtpservers import SmtpSink, free_port
from mitra.testing import make_cast

# A real transaction: the mail goes out on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mailed_invitation_signs_the_patient_up_to_their_home(settings):
    cast = make_cast()
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
        response = clinician(cast).post(ADD, enrol_data(cast))
        assert response.status_code == 302
        received = list(sink.received)
    assert len(received) == 1
    mail = received[0]
    assert mail.rcpt_tos == ["nina@example.org"]
    assert mail.message["Subject"] == "[Mitra] Set up your account"
    body = mail.message.get_payload(decode=True).decode(mail.message.get_content_charset())
    # No clinical content in a message to a patient.
    for word in ("kratom", "PHQ", "GAD", "diary", "questionnaire"):
        assert word.lower() not in body.lower()
    phone = Client()
    opened = phone.get(link_path(body))
    assert opened.status_code == 302 and opened["Location"] == SIGNUP
    assert phone.get(SIGNUP).status_code == 200
    signed = sign_up(phone)
    assert signed.status_code == 302 and signed["Location"] == CONSENT
    chosen = phone.post(PREFERENCES, {"email": "on"})
    assert chosen.status_code == 302
    home = phone.get(chosen["Location"])
    assert home.status_code == 200
    assert "Hello, Nina Newcomer" in home.content.decode()
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert Acceptance.objects.filter(user=patient.user).exists()


def test_a_mail_server_that_cannot_be_reached_leaves_the_enrolment_done_and_says_so(settings):
    cast = make_cast()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    client = clinician(cast)
    response = client.post(ADD, enrol_data(cast), follow=True)
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert response.redirect_chain == [(f"/enrolment/patients/{patient.uuid}/invitation/", 302)]
    html = response.content.decode()
    assert "is enrolled, but the invitation e-mail could not be sent" in html
    assert "Show QR code and short code" in html
