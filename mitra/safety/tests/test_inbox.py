"""The alert inbox's filters, order, grouping by patient and pages (`safety.inbox`)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.safety import inbox
from mitra.safety.actions import do_acknowledge_alert, do_resolve_alert
from mitra.safety.models import Alert, reason_under_kind
from mitra.safety.tests.factories import make_alert
from mitra.testing import MARKER, login, make_cast, make_patient

pytestmark = pytest.mark.django_db

URL = reverse("safety:inbox")


@pytest.fixture
def cast():
    return make_cast()


def _client(user) -> Client:
    return login(Client(), user)


def _shown(html: str) -> list[str]:
    """The alert UUIDs on the page, in order."""
    return re.findall(r'data-alert="([0-9a-f-]{36})"', html)


def _alert(patient, key, *, priority=Alert.Priority.NORMAL, kind=Alert.Kind.ESCALATION,
           age_minutes=0, reason=None):
    alert = make_alert(patient, priority=priority, kind=kind, key=key,
                       reason=reason or f"reason {key}")
    if age_minutes:
        Alert.objects.filter(pk=alert.pk).update(
            created_at=timezone.now() - timedelta(minutes=age_minutes))
        alert.refresh_from_db()
    return alert


# -- the card's text ---------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "kind", "shown"), [
    # The walk-through's card: the instrument and "Possible suicide risk" both went.
    ("PHQ-9: Possible suicide risk: PHQ-9 item 9 (thoughts of being better off dead or of"
     " self-harm) answered above 'Not at all', regardless of the total", "Suicide risk",
     "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered above"
     " 'Not at all', regardless of the total"),
    ("PHQ-9: PHQ-9 item 9 (thoughts of death or self-harm) not assessed: recorded as not"
     " assessed, never as 0; clinician review needed", "Suicide risk",
     "PHQ-9 item 9 (thoughts of death or self-harm) not assessed: recorded as not assessed,"
     " never as 0; clinician review needed"),
    # A leading label that the rest does not repeat carries information: it stays.
    ("Kratom powder: 7-day mean daily amount (g) 9.1 is 40% above", "Escalating use",
     "Kratom powder: 7-day mean daily amount (g) 9.1 is 40% above"),
    ("Alcohol: 7-day mean uses per day 3 is 50% above", "Escalating use",
     "Alcohol: 7-day mean uses per day 3 is 50% above"),
    ("Same-day use on 2026-01-05: kratom, alcohol", "Co-use with a depressant",
     "Same-day use on 2026-01-05: kratom, alcohol"),
    # A leading clause with every word of the kind's label goes.
    ("First recorded use of a concentrated 7-OH product, on 2026-01-05",
     "First use of a concentrated 7-OH product", "On 2026-01-05"),
    ("Same-day use of alcohol, kratom", "Co-use with a depressant",
     "Same-day use of alcohol, kratom"),
    # The kind's own label goes, in any case; a reason that is only labels stays whole.
    ("suicide risk: item 9 above 0", "Suicide risk", "item 9 above 0"),
    ("Suicide risk: ", "Suicide risk", "Suicide risk:"),
])
def test_the_card_reason_does_not_repeat_the_kind_or_the_source(reason, kind, shown):
    assert reason_under_kind(reason, kind) == shown


def test_the_page_shows_the_kind_once_and_the_reason_without_repeating_it(cast):
    _alert(cast.patient, "phq9", priority=Alert.Priority.URGENT, kind=Alert.Kind.SUICIDE_RISK,
           reason="PHQ-9: Possible suicide risk: PHQ-9 item 9 answered above 'Not at all'")
    html = _client(cast.clinician).get(URL).content.decode()
    card = html[html.index('class="alert-item'):]
    card = card[:card.index("</li>")]
    assert card.count("Suicide risk") == 1
    assert "Possible suicide risk" not in card and card.count("PHQ-9") == 1
    assert "PHQ-9 item 9 answered above &#x27;Not at all&#x27;" in card


# -- order and filters -------------------------------------------------------------------

def test_new_alerts_come_first_then_acknowledged_each_most_urgent_first(cast):
    ack_urgent = _alert(cast.patient, "ack-urgent", priority=Alert.Priority.URGENT)
    new_low = _alert(cast.patient, "new-low", priority=Alert.Priority.LOW)
    new_high_old = _alert(cast.patient, "new-high-old", priority=Alert.Priority.HIGH,
                          age_minutes=90)
    new_high = _alert(cast.patient, "new-high", priority=Alert.Priority.HIGH)
    resolved = _alert(cast.patient, "resolved", priority=Alert.Priority.URGENT)
    do_acknowledge_alert(ack_urgent, acting=cast.clinician)
    do_resolve_alert(resolved, note="seen", acting=cast.clinician)
    page = _client(cast.clinician).get(URL)
    assert page.status_code == 200
    assert _shown(page.content.decode()) == [
        str(a.uuid) for a in (new_high, new_high_old, new_low, ack_urgent)]
    everything = _client(cast.clinician).get(URL, {"state": "all"}).content.decode()
    assert _shown(everything)[-1] == str(resolved.uuid)


def test_each_filter_keeps_only_its_alerts(cast):
    second = make_patient("sam", "Sam Second", cast.team_a)
    urgent = _alert(cast.patient, "u", priority=Alert.Priority.URGENT,
                    kind=Alert.Kind.SUICIDE_RISK)
    missed = _alert(cast.patient, "m", priority=Alert.Priority.LOW, kind=Alert.Kind.MISSED_DIARY)
    sams = _alert(second, "s", priority=Alert.Priority.HIGH, kind=Alert.Kind.CO_USE)
    acked = _alert(second, "a", priority=Alert.Priority.NORMAL, kind=Alert.Kind.ESCALATION)
    do_acknowledge_alert(acked, acting=cast.clinician)
    gone = _alert(second, "r", priority=Alert.Priority.NORMAL, kind=Alert.Kind.ESCALATION)
    do_resolve_alert(gone, note="done", acting=cast.clinician)
    _alert(cast.other_patient, "other", priority=Alert.Priority.URGENT)
    client = _client(cast.clinician)

    def shown(**params):
        page = client.get(URL, params)
        assert page.status_code == 200, page.content.decode()
        return set(_shown(page.content.decode()))

    ids = lambda *alerts: {str(a.uuid) for a in alerts}  # noqa: E731
    assert shown() == ids(urgent, missed, sams, acked)
    assert shown(kind="missed_diary") == ids(missed)
    assert shown(priority="urgent") == ids(urgent)
    assert shown(priority="High") == ids(sams)  # the word, in any case
    assert shown(patient=str(second.uuid)) == ids(sams, acked)
    assert shown(state="new") == ids(urgent, missed, sams)
    assert shown(state="acknowledged") == ids(acked)
    assert shown(state="resolved") == ids(gone)
    assert shown(state="all", patient=str(second.uuid), kind="escalation") == ids(acked, gone)
    # The patient filter names whom it shows, with the way back to everyone.
    html = client.get(URL, {"patient": str(second.uuid)}).content.decode()
    assert "Only the alerts of" in html and "Sam Second" in html and "Show every patient" in html
    assert MARKER not in html


@pytest.mark.parametrize(("params", "named"), [
    ({"kind": "nosuch"}, "kind: 'nosuch' is not allowed; allowed values: suicide_risk,"),
    ({"priority": "2"}, "priority: '2' is not allowed; allowed values: urgent, high, normal, low"),
    ({"state": "closed"}, "state: 'closed' is not allowed; allowed values: open, new,"
                          " acknowledged, resolved, all"),
    ({"group": "kind"}, "group: 'kind' is not allowed; allowed values: patient"),
    ({"patient": "pat"}, "patient: 'pat' is not allowed; allowed values: the ID of a patient"),
])
def test_an_unknown_filter_value_is_a_400_naming_the_allowed_values(cast, params, named):
    _alert(cast.patient, "one")
    page = _client(cast.clinician).get(URL, params)
    assert page.status_code == 400
    html = page.content.decode()
    assert named in html.replace("&#x27;", "'")
    assert _shown(html) == []  # no alerts under an error


def test_every_wrong_filter_is_named_at_once(cast):
    page = _client(cast.clinician).get(URL, {"kind": "x", "state": "y"})
    html = page.content.decode().replace("&#x27;", "'")
    assert page.status_code == 400
    assert "kind: 'x' is not allowed" in html and "state: 'y' is not allowed" in html


def test_another_teams_patient_cannot_be_filtered_for_and_is_not_revealed(cast):
    _alert(cast.other_patient, "other", priority=Alert.Priority.URGENT)
    client = _client(cast.clinician)
    theirs = client.get(URL, {"patient": str(cast.other_patient.uuid)})
    nobody = client.get(URL, {"patient": "00000000-0000-4000-8000-000000000000"})
    assert theirs.status_code == nobody.status_code == 400
    assert "no patient on your care teams has this ID" in theirs.content.decode()
    assert MARKER not in theirs.content.decode()
    # The same answer whether the patient exists on another team or not at all.
    strip = lambda r: re.sub(r'(csrfmiddlewaretoken" value|data-csrf-token)="[^"]+"',  # noqa: E731
                             "", r.content.decode())
    assert strip(theirs) == strip(nobody)


# -- pages, groups, the audit trail, the query count --------------------------------------

def test_the_inbox_is_paged_and_the_audit_names_only_the_patients_of_the_page(cast):
    people = [make_patient(f"p{n}", f"Person {n}", cast.team_a) for n in range(30)]
    alerts = [_alert(p, f"k{n}", age_minutes=n) for n, p in enumerate(people)]
    client = _client(cast.clinician)
    first = client.get(URL).content.decode()
    assert _shown(first) == [str(a.uuid) for a in alerts[:inbox.PAGE_SIZE]]
    assert "Page 1 of 2" in first and 'rel="next"' in first and "30 alerts open" in first
    event = AuditEvent.objects.filter(event="patient.list.viewed").latest("id")
    assert event.subjects == [str(p.uuid) for p in people[:inbox.PAGE_SIZE]]
    second = client.get(URL, {"page": "2"}).content.decode()
    assert _shown(second) == [str(a.uuid) for a in alerts[inbox.PAGE_SIZE:]]
    event = AuditEvent.objects.filter(event="patient.list.viewed").latest("id")
    assert event.subjects == [str(p.uuid) for p in people[inbox.PAGE_SIZE:]]
    # A page out of range shows the last one, as the caseload does.
    assert _shown(client.get(URL, {"page": "99"}).content.decode()) == _shown(second)


def test_grouped_by_patient_the_most_pressing_patient_comes_first_with_a_few_alerts(cast):
    calm = make_patient("calm", "Calm Person", cast.team_a)
    busy = make_patient("busy", "Busy Person", cast.team_a)
    _alert(calm, "calm-low", priority=Alert.Priority.LOW)
    busy_alerts = [_alert(busy, f"busy-{n}", priority=Alert.Priority.NORMAL, age_minutes=n)
                   for n in range(inbox.ALERTS_PER_GROUP + 3)]
    urgent = _alert(cast.patient, "pat-urgent", priority=Alert.Priority.URGENT)
    _alert(cast.other_patient, "other", priority=Alert.Priority.URGENT)
    page = _client(cast.clinician).get(URL, {"group": "patient"})
    html = page.content.decode()
    assert page.status_code == 200 and MARKER not in html
    order = re.findall(r'class="alert-group"[^>]*data-patient="([0-9a-f-]{36})"', html)
    assert order == [str(cast.patient.uuid), str(busy.uuid), str(calm.uuid)]
    # Under a patient's heading the cards do not repeat the name, and are h3.
    busy_part = html[html.index(f'data-patient="{busy.uuid}"'):html.index(
        f'data-patient="{calm.uuid}"')]
    assert _shown(busy_part) == [str(a.uuid) for a in busy_alerts[:inbox.ALERTS_PER_GROUP]]
    assert busy_part.count("Busy Person") == 2  # the heading and the "more" link
    assert "3 more alerts of Busy Person" in busy_part
    assert f"patient={busy.uuid}" in busy_part and '<h3 class="alert-title">' in busy_part
    assert str(urgent.uuid) in html
    assert f"{inbox.ALERTS_PER_GROUP + 5} alerts open" in html
    event = AuditEvent.objects.filter(event="patient.list.viewed").latest("id")
    assert event.subjects == [str(cast.patient.uuid), str(busy.uuid), str(calm.uuid)]


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"group": "patient"}, {"state": "all", "kind":
                                                                "escalation"}])
def test_the_query_count_does_not_grow_with_the_alerts(cast, params):
    client = _client(cast.clinician)
    few = make_patient("few", "Few Alerts", cast.team_a)
    _alert(few, "f0")
    do_acknowledge_alert(_alert(few, "f1"), acting=cast.clinician)
    client.get(URL, params)  # the session and the first look-ups settled
    small = _queries(client, params)
    for n in range(12):
        person = make_patient(f"m{n}", f"Many {n}", cast.team_a)
        for k in range(4):
            alert = _alert(person, f"m{n}-{k}", priority=1 + k % 4)
            if k == 1:
                do_acknowledge_alert(alert, acting=cast.readonly)
    assert _queries(client, params) == small
