"""The audit event catalogue: the only names the trail takes, and the admin filter built on it."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from mitra.accounts.admin import AuditedAdmin
from mitra.audit.actions import record_audit
from mitra.audit.actor import actor_client_address, actor_request_id, actor_user
from mitra.audit.admin import CatalogueEventFilter
from mitra.audit.events import Event, admin_event
from mitra.audit.models import AuditEvent
from mitra.testing import login, make_cast

MITRA = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_record_audit_refuses_a_name_not_in_the_catalogue_and_writes_nothing():
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError) as refused:
        record_audit("patient.record.peeked", acting=None)
    message = str(refused.value)
    assert "patient.record.peeked" in message
    assert "event:" in message and "patient.record.viewed" in message  # the allowed names
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_record_audit_takes_a_catalogued_name_given_as_text():
    cast = make_cast()
    event = record_audit("account.signed_in", acting=cast.clinician)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event == Event.ACCOUNT_SIGNED_IN == "account.signed_in"
    assert stored.actor == cast.clinician and stored.request_id == ""


def test_every_event_is_a_dotted_name_that_fits_its_column_with_a_one_sentence_description():
    max_length = AuditEvent._meta.get_field("event").max_length
    assert max_length is not None
    # An alias (two members, one value) would make two names one event.
    assert len(Event.__members__) == len(list(Event))
    for event in Event:
        assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", event.value), event.value
        assert len(event.value) <= max_length, event.value
        description = str(event.label)
        assert description[:1].isupper() and description.endswith("."), event.value
        assert description.count(". ") == 0, f"{event.value}: one sentence"
    assert len({str(e.label) for e in Event}) == len(Event), "two events share a description"


def test_an_unknown_name_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="admin.prescription.created"):
        admin_event("prescription", "created")


def test_every_model_the_admin_audits_has_its_three_events_and_no_other_admin_events():
    admins = [a for a in admin.site._registry.values() if isinstance(a, AuditedAdmin)]
    # The audited models and their inlines (a care team's memberships).
    audited = sorted({str(a.model._meta.model_name) for a in admins}
                     | {str(i.model._meta.model_name) for a in admins for i in a.inlines})
    assert {"user", "careteam", "patient", "membership"} <= set(audited)
    for name in audited:
        for verb in ("created", "changed", "deleted"):
            assert admin_event(name, verb).value == f"admin.{name}.{verb}"
    catalogued = {e.value.split(".")[1] for e in Event if e.value.startswith("admin.")}
    assert catalogued == {*audited, "lockout"}


def _python_files():
    for path in sorted(MITRA.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def test_the_code_names_events_only_through_the_catalogue():
    """Statically, so a branch no test reaches cannot hold a typo: every `Event.X` the code
    uses is a member, and no `record_audit` call or `event=` argument is a string literal."""
    members = set(Event.__members__) | {"choices", "values", "labels", "names"}
    unknown, literal = [], []
    for path, tree in _python_files():
        where = path.relative_to(MITRA.parent)
        in_tests = "tests" in path.parts
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Event" and not node.attr.startswith("_")
                    and node.attr not in members):
                unknown.append(f"{where}:{node.lineno} Event.{node.attr}")
            if in_tests or not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = list(node.args[:1]) if name == "record_audit" else []
            args += [k.value for k in node.keywords if k.arg == "event"]
            literal += [f"{where}:{node.lineno}" for a in args
                        if isinstance(a, ast.JoinedStr)
                        or (isinstance(a, ast.Constant) and isinstance(a.value, str))]
    assert unknown == []
    assert literal == []


@pytest.mark.django_db
def test_the_admin_event_filter_offers_the_catalogue_by_description():
    cast = make_cast()
    login(Client(), cast.clinician).get(f"/patients/{cast.patient.uuid}/")
    admin_client = login(Client(), cast.admin)
    url = "/admin/audit/auditevent/"
    page = admin_client.get(url)
    assert page.status_code == 200
    spec = next(f for f in page.context["cl"].filter_specs
                if isinstance(f, CatalogueEventFilter))
    assert list(spec.lookup_choices) == Event.choices
    html = page.content.decode()
    for event in Event:
        assert f"?event={event.value}" in html, event.value
    assert str(Event.ALERT_RESOLVED_AUTOMATICALLY.label) in html
    viewed = admin_client.get(url, {"event": Event.PATIENT_RECORD_VIEWED.value})
    assert viewed.context["cl"].result_count == AuditEvent.objects.filter(
        event="patient.record.viewed").count() == 1
    signed_in = admin_client.get(url, {"event": Event.ACCOUNT_SIGNED_IN.value})
    assert signed_in.context["cl"].result_count == AuditEvent.objects.filter(
        event="account.signed_in").count() >= 2  # the clinician and the admin


@pytest.mark.django_db
def test_the_actor_helpers_read_a_request_or_a_user():
    cast = make_cast()
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
    request.user = cast.clinician
    request.request_id = "4b6f3a52-0000-4000-8000-000000000000"
    assert actor_user(request) == cast.clinician
    assert actor_request_id(request) == "4b6f3a52-0000-4000-8000-000000000000"
    assert actor_client_address(request) == "198.51.100.4"
    assert actor_user(cast.clinician) == cast.clinician
    assert (actor_request_id(cast.clinician), actor_client_address(cast.clinician)) == ("", None)
    assert actor_user(None) is None

    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert actor_user(request) is None


@pytest.mark.django_db
def test_an_action_passes_the_request_on_so_every_event_of_a_request_carries_its_id():
    cast = make_cast()
    client = login(Client(REMOTE_ADDR="203.0.113.5"), cast.clinician)
    # An unrecognised medication: the change, the screening it starts and the alert it raises.
    response = client.post(reverse("safety:medication_add", args=[cast.patient.uuid]),
                           {"name": "alprazolm"})
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    events = AuditEvent.objects.filter(request_id=request_id)
    assert sorted(events.values_list("event", flat=True)) == sorted([
        Event.PATIENT_MEDICATION_ADDED, Event.SAFETY_SCREENING_RUN, Event.ALERT_RAISED])
    assert {(e.actor_id, e.client_address, e.patient_id) for e in events} == {
        (cast.clinician.pk, "203.0.113.5", cast.patient.pk)}
