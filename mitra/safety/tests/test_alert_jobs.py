"""Alerts raised by the diary's screening, withdrawal scores and the periodic job; escalation
that survives a failed mail."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.actions import do_submit_diary_entry
from mitra.diary.alerts import raise_missed_diary_alerts
from mitra.diary.tests.factories import make_entry, submission
from mitra.lib.jobs import JobFailed
from mitra.measures.actions import do_submit_response, raise_overdue_alerts
from mitra.measures.library import get_instrument
from mitra.measures.models import Schedule
from mitra.patients.models import Intake, Patient
from mitra.safety.actions import do_raise_alert
from mitra.safety.escalation import escalate_due_alerts
from mitra.safety.models import Alert, ScreeningRun
from mitra.safety.tests.factories import make_alert
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _alerts(patient, kind):
    return list(Alert.objects.filter(patient=patient, kind=kind).order_by("pk"))


# ---- 1. a co-substance in the diary runs the screening ------------------------------------

def _submit(patient, day, uses):
    return do_submit_diary_entry(patient, submission(day, uses), acting=patient.user)


def test_a_benzodiazepine_in_the_diary_runs_the_screening_once_per_finding(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    today = timezone.localdate()
    uses = (("kratom_powder", "3", "g"), ("benzodiazepine", "1", "tablets"))
    result = _submit(cast.patient, today - timedelta(days=1), uses)
    run = ScreeningRun.objects.get(patient=cast.patient)
    assert run.trigger == ScreeningRun.Trigger.DIARY
    assert run.inputs["co_substances"] == ["benzodiazepine"]
    interaction = _alerts(cast.patient, Alert.Kind.INTERACTION)
    assert len(interaction) == 1 and interaction[0].dedupe_key.startswith(
        "screen:kratom-benzodiazepines:")
    assert "matched: benzodiazepine" in interaction[0].reason
    assert interaction[0] in result.alerts
    # The same-day co-use alert is still raised: it is a different thing.
    assert len(_alerts(cast.patient, Alert.Kind.CO_USE)) == 1
    # The next day the same: a new co-use alert, no new interaction alert, no new run.
    result = _submit(cast.patient, today, uses)
    assert len(_alerts(cast.patient, Alert.Kind.INTERACTION)) == 1
    assert len(_alerts(cast.patient, Alert.Kind.CO_USE)) == 2
    assert ScreeningRun.objects.filter(patient=cast.patient).count() == 1
    assert not [a for a in result.alerts if a.kind == Alert.Kind.INTERACTION]


def test_the_diary_substances_are_screened_with_the_intakes(cast):
    # No intake: the kava in the entry is what the screening runs for.
    _submit(cast.patient, timezone.localdate(), (("kava", "250", "mL"), ("alcohol", "2",
                                                                         "standard_drinks")))
    run = ScreeningRun.objects.get(patient=cast.patient)
    assert run.inputs["substances"] == ["kava"] and run.inputs["co_substances"] == ["alcohol"]
    keys = [a.dedupe_key for a in _alerts(cast.patient, Alert.Kind.INTERACTION)]
    assert any(k.startswith("screen:kava-hepatotoxic-drugs:") for k in keys)


def test_an_opioid_is_screened_as_its_class_not_as_one_drug(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    _submit(cast.patient, timezone.localdate(), (("kratom_powder", "3", "g"),
                                                 ("opioid", "1", "tablets")))
    run = ScreeningRun.objects.get(patient=cast.patient)
    rules = {f["rule"] for f in run.result["findings"]}
    assert "kratom-opioid-agonists" in rules
    # fentanyl's CYP3A and tramadol's serotonergic rules are about one drug, not the class
    assert "kratom-cyp3a-narrow-therapeutic-index" not in rules
    assert "kratom-serotonergic-drugs" not in rules
    assert run.result["unrecognized"] == []


def test_kratom_alone_or_with_cannabis_runs_no_screening(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    _submit(cast.patient, timezone.localdate(), (("kratom_powder", "3", "g"),
                                                 ("cannabis", "1", "g")))
    assert not ScreeningRun.objects.exists()


# ---- 2. severe withdrawal, overdue questionnaires, missed diary days -----------------------

def _answers(instrument: str, total: int) -> dict:
    inst = get_instrument(instrument)
    answers, left = {}, total
    for item in inst.items:
        value = min(left, inst.item_max(item)) if item.scored else None
        answers[item.link_id] = value
        left -= value or 0
    return answers


def _respond(cast, instrument, total, rid=None):
    return do_submit_response(cast.patient, instrument=instrument,
                              answers=_answers(instrument, total),
                              response_uuid=rid or uuid.uuid4(), acting=cast.clinician)[0]


def test_a_severe_cows_raises_severe_withdrawal_once_per_response(cast):
    _respond(cast, "cows", 36)  # moderately severe: no alert
    assert not _alerts(cast.patient, Alert.Kind.SEVERE_WITHDRAWAL)
    rid = uuid.uuid4()
    response = _respond(cast, "cows", 37, rid)
    _respond(cast, "cows", 37, rid)  # the same submission again
    alerts = _alerts(cast.patient, Alert.Kind.SEVERE_WITHDRAWAL)
    assert len(alerts) == 1
    assert alerts[0].source_uuid == response.uuid
    assert alerts[0].priority == Alert.Priority.HIGH
    assert "COWS total 37" in alerts[0].reason and "unverified" not in alerts[0].reason


def test_a_sows_at_the_unverified_cut_off_or_above_says_where_it_comes_from(cast):
    _respond(cast, "sows", 20)
    assert not _alerts(cast.patient, Alert.Kind.SEVERE_WITHDRAWAL)
    _respond(cast, "sows", 21)
    _respond(cast, "sows", 40)  # far above the old convention's 30: still severe
    _respond(cast, "sows", 64)
    alerts = _alerts(cast.patient, Alert.Kind.SEVERE_WITHDRAWAL)
    assert len(alerts) == 3
    for alert, total in zip(alerts, (21, 40, 64), strict=True):
        assert f"SOWS total {total} of 64" in alert.reason
        assert "later clinical convention" in alert.reason and "unverified" in alert.reason
        assert len(alert.reason) <= 300


def test_an_overdue_questionnaire_raises_one_alert_per_occurrence(cast):
    # Overdue follows the answer window: by default 3 days from 09:00 (the patient's zone,
    # UTC here) on the due day.
    today = timezone.localdate()

    def at(day, hour, minute=0):
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    Schedule.objects.create(patient=cast.patient, instrument="phq9", every_days=14,
                            start=today - timedelta(days=20))  # due today-6: overdue
    Schedule.objects.create(patient=cast.patient, instrument="gad7", every_days=14,
                            start=today - timedelta(days=16))  # due today-2: window open
    assert len(raise_overdue_alerts(today, now=at(today, 12))) == 1
    assert raise_overdue_alerts(today, now=at(today, 12)) == []
    tomorrow = today + timedelta(days=1)
    assert raise_overdue_alerts(tomorrow, now=at(tomorrow, 8, 59)) == []  # the same occurrence
    (alert,) = _alerts(cast.patient, Alert.Kind.OVERDUE_MEASURE)
    assert "PHQ-9" in alert.reason and alert.priority == Alert.Priority.LOW
    # The GAD-7's window closes tomorrow at 09:00 (before windows it became overdue a day
    # later); two weeks on, the PHQ-9's next occurrence.
    assert [a.reason[:5] for a in raise_overdue_alerts(tomorrow, now=at(tomorrow, 9))] == [
        "GAD-7"]
    later = today + timedelta(days=14)
    assert len(raise_overdue_alerts(later, now=at(later, 12))) == 1
    assert len(_alerts(cast.patient, Alert.Kind.OVERDUE_MEASURE)) == 3


def test_a_done_questionnaire_is_not_overdue(cast):
    today = timezone.localdate()
    Schedule.objects.create(patient=cast.patient, instrument="gad7", every_days=14,
                            start=today - timedelta(days=20))
    _respond(cast, "gad7", 3)
    assert raise_overdue_alerts(today) == []


def _enrol(patient, days_ago):
    Patient.objects.filter(pk=patient.pk).update(
        enrolled_on=timezone.localdate() - timedelta(days=days_ago))


def test_missed_diary_days_raise_one_alert_per_gap(cast):
    today = timezone.localdate()
    _enrol(cast.patient, 30)
    make_entry(cast.patient, today - timedelta(days=10))
    raised = raise_missed_diary_alerts(today)
    assert len(raised) == 1
    assert raised[0].dedupe_key == f"diary:missed:{today - timedelta(days=9)}"
    assert raised[0].priority == Alert.Priority.NORMAL
    assert raise_missed_diary_alerts(today) == []
    # A back-filled day inside the gap does not make it a new gap.
    make_entry(cast.patient, today - timedelta(days=8))
    assert raise_missed_diary_alerts(today) == []
    assert len(_alerts(cast.patient, Alert.Kind.MISSED_DIARY)) == 1


def test_a_new_gap_after_writing_again_raises_again(cast):
    today = timezone.localdate()
    _enrol(cast.patient, 30)
    make_entry(cast.patient, today - timedelta(days=20))
    assert len(raise_missed_diary_alerts(today - timedelta(days=15))) == 1
    Alert.objects.filter(patient=cast.patient).update(
        created_at=timezone.now() - timedelta(days=15))
    make_entry(cast.patient, today - timedelta(days=12))  # wrote again after the alert
    assert len(raise_missed_diary_alerts(today)) == 1
    assert len(_alerts(cast.patient, Alert.Kind.MISSED_DIARY)) == 2


@contextmanager
def alerts_refused_for(patient):
    """A real failure for one patient's alerts: a trigger that makes the database refuse them
    (SQLite or PostgreSQL), dropped again afterwards."""
    table = Alert._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION planted_failure() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.patient_id = {patient.pk:d} THEN RAISE EXCEPTION 'planted failure'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            cursor.execute(f"CREATE TRIGGER planted_failure BEFORE INSERT ON {table} "
                           "FOR EACH ROW EXECUTE FUNCTION planted_failure()")
        else:
            cursor.execute(f"CREATE TRIGGER planted_failure BEFORE INSERT ON {table} "
                           f"WHEN NEW.patient_id = {patient.pk:d} "
                           "BEGIN SELECT RAISE(ABORT, 'planted failure'); END")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER planted_failure ON {table}")
                cursor.execute("DROP FUNCTION planted_failure()")
            else:
                cursor.execute("DROP TRIGGER planted_failure")


def test_a_patient_whose_missed_diary_alert_fails_does_not_stop_the_others(cast):
    today = timezone.localdate()
    for patient in (cast.patient, cast.other_patient):
        _enrol(patient, 30)
        make_entry(patient, today - timedelta(days=10))
    first, second = sorted((cast.patient, cast.other_patient), key=lambda p: p.pk)
    with alerts_refused_for(first), pytest.raises(JobFailed) as failed:
        raise_missed_diary_alerts(today)
    # The first patient (in the job's order) failed; the second was still done.
    assert failed.value.done == 1
    (failure,) = failed.value.failures
    assert failure.line().startswith(f"patient {first.uuid}: ")
    assert "planted failure" in failure.line()
    assert not _alerts(first, Alert.Kind.MISSED_DIARY)
    assert len(_alerts(second, Alert.Kind.MISSED_DIARY)) == 1
    # Next run, with the fault gone: the one left over is raised, nothing twice.
    assert [a.patient_id for a in raise_missed_diary_alerts(today)] == [first.pk]


def test_a_patient_whose_overdue_alert_fails_does_not_stop_the_others(cast):
    today = timezone.localdate()
    for patient in (cast.patient, cast.other_patient):
        Schedule.objects.create(patient=patient, instrument="phq9", every_days=14,
                                start=today - timedelta(days=20))
    with alerts_refused_for(cast.patient), pytest.raises(JobFailed) as failed:
        raise_overdue_alerts(today)
    assert failed.value.done == 1
    (failure,) = failed.value.failures
    assert failure.line().startswith(f"patient {cast.patient.uuid} (measures:overdue:")
    assert len(_alerts(cast.other_patient, Alert.Kind.OVERDUE_MEASURE)) == 1
    assert not _alerts(cast.patient, Alert.Kind.OVERDUE_MEASURE)
    out, err = StringIO(), StringIO()
    with alerts_refused_for(cast.patient), pytest.raises(CommandError) as exited:
        call_command("escalate", stdout=out, stderr=err)
    # `mitra escalate` names the failed patient on one line and exits 1.
    assert exited.value.returncode == 1
    lines = [line for line in err.getvalue().splitlines() if str(cast.patient.uuid) in line]
    assert len(lines) == 1 and "planted failure" in lines[0], err.getvalue()


def test_missed_diary_needs_the_gap_the_enrolment_and_a_diary_in_use(cast, settings):
    today = timezone.localdate()
    _enrol(cast.patient, 30)
    make_entry(cast.patient, today - timedelta(days=3))  # two whole days missed: too few
    assert raise_missed_diary_alerts(today) == []
    settings.MITRA_DIARY_MISSED_DAYS = 2
    assert len(raise_missed_diary_alerts(today)) == 1
    # The other patient never wrote an entry: no diary in use, no alert.
    _enrol(cast.other_patient, 30)
    assert not _alerts(cast.other_patient, Alert.Kind.MISSED_DIARY)


def test_a_patient_enrolled_only_days_ago_is_not_alerted(cast):
    today = timezone.localdate()
    _enrol(cast.patient, 2)
    make_entry(cast.patient, today - timedelta(days=2))
    Patient.objects.filter(pk=cast.patient.pk).update(enrolled_on=today - timedelta(days=2))
    assert raise_missed_diary_alerts(today + timedelta(days=1)) == []


def test_the_escalate_command_runs_every_job_and_twice_raises_nothing_new(cast):
    today = timezone.localdate()
    _enrol(cast.patient, 30)
    make_entry(cast.patient, today - timedelta(days=10))
    Schedule.objects.create(patient=cast.patient, instrument="phq9", every_days=14,
                            start=today - timedelta(days=20))
    out = StringIO()
    call_command("escalate", stdout=out)
    call_command("escalate", stdout=out)
    text = out.getvalue()
    assert "Raised 1 overdue-questionnaire and 1 missed-diary alerts." in text
    assert "Raised 0 overdue-questionnaire and 0 missed-diary alerts." in text
    assert Alert.objects.filter(patient=cast.patient).count() == 2


# ---- 3. escalation: a failed mail is retried, a sent one never repeated --------------------

class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


FAIL_FOR = "bob@example.org"


class FailForOneBackend(LocmemBackend):
    """Fails for mail to `FAIL_FOR`, delivers the rest to the locmem outbox."""

    def send_messages(self, messages):
        if any(FAIL_FOR in m.to for m in messages):
            raise ConnectionRefusedError("SMTP server down")
        return super().send_messages(messages)


def test_a_failed_mail_leaves_the_alert_due_and_the_next_run_sends_it(cast):
    alert = make_alert(cast.patient)
    later = alert.created_at + timedelta(minutes=31)
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailingBackend"):
        with pytest.raises(JobFailed) as failed:
            escalate_due_alerts(later)
    assert failed.value.done == 0
    (failure,) = failed.value.failures
    assert failure.line() == f"alert {alert.uuid}: ConnectionRefusedError: SMTP server down"
    alert.refresh_from_db()
    assert alert.escalated_at is None and alert.escalation_claim == ""
    assert alert.escalation_attempts == 1
    assert alert.escalation_error == "ConnectionRefusedError: SMTP server down"
    assert later + timedelta(minutes=1) <= alert.escalation_retry_at < later + timedelta(
        minutes=2)
    assert AuditEvent.objects.get(event="alert.escalation_failed",
                                  object_uuid=alert.uuid).detail == (
        "attempt 1: ConnectionRefusedError")
    assert mail.outbox == []
    # Not before its retry time, then once, then never again.
    assert escalate_due_alerts(later + timedelta(seconds=30)) == 0
    assert escalate_due_alerts(later + timedelta(minutes=2)) == 1
    assert escalate_due_alerts(later + timedelta(minutes=3)) == 0
    assert len(mail.outbox) == 1


def test_failed_sends_wait_longer_each_time_up_to_a_quarter_of_an_hour(cast):
    alert = make_alert(cast.patient)
    at = alert.created_at + timedelta(minutes=31)
    waits = []
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailingBackend"):
        for _ in range(6):
            with pytest.raises(JobFailed):
                escalate_due_alerts(at)
            alert.refresh_from_db()
            waits.append(round((alert.escalation_retry_at - at).total_seconds() / 60))
            at = alert.escalation_retry_at
    assert waits == [1, 2, 4, 8, 15, 15]
    assert alert.escalation_attempts == 6


def test_one_failed_mail_does_not_stop_the_others(cast):
    ours = make_alert(cast.patient, key="ours")
    theirs = make_alert(cast.other_patient, key="theirs")
    later = timezone.now() + timedelta(minutes=31)
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailForOneBackend"):
        assert cast.other_clinician.email == FAIL_FOR
        with pytest.raises(JobFailed) as failed:
            escalate_due_alerts(later)
    assert failed.value.done == 1
    assert [f.item for f in failed.value.failures] == [f"alert {theirs.uuid}"]
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert ours.escalated_at is not None and theirs.escalated_at is None
    assert escalate_due_alerts(later + timedelta(minutes=2)) == 1  # after its retry time
    assert [m.to for m in mail.outbox] == [sorted([cast.clinician.email, cast.readonly.email]),
                                           [cast.other_clinician.email]]


def test_the_clinician_who_raised_the_alert_is_not_mailed(cast):
    alert, _ = do_raise_alert(cast.patient, kind=Alert.Kind.SUICIDE_RISK,
                              priority=Alert.Priority.URGENT, reason="PHQ-9 item 9 above 0",
                              dedupe_key="raised-by-clinician", acting=cast.clinician)
    assert escalate_due_alerts(alert.created_at + timedelta(minutes=31)) == 1
    assert mail.outbox[0].to == [cast.readonly.email]


# ---- alerts the patient makes good close themselves, with a note --------------------------

def test_writing_the_diary_again_closes_the_missed_diary_alert(cast):
    today = timezone.localdate()
    _enrol(cast.patient, 30)
    make_entry(cast.patient, today - timedelta(days=10))
    (alert,) = raise_missed_diary_alerts(today)
    # An entry for a day before the gap closes nothing.
    _submit(cast.patient, today - timedelta(days=12), ())
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    _submit(cast.patient, today, ())
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_by is None
    assert alert.resolution_note == (
        f"Closed automatically: the patient recorded the diary for {today.isoformat()}.")
    assert AuditEvent.objects.filter(event="alert.resolved_automatically",
                                     object_uuid=alert.uuid).count() == 1


def test_completing_an_overdue_questionnaire_closes_its_alert_only(cast):
    today = timezone.localdate()
    for instrument in ("phq9", "gad7"):
        Schedule.objects.create(patient=cast.patient, instrument=instrument, every_days=14,
                                start=today - timedelta(days=20))
    assert len(raise_overdue_alerts(today)) == 2
    _respond(cast, "gad7", 3)
    by_reason = {a.reason[:5]: a for a in _alerts(cast.patient, Alert.Kind.OVERDUE_MEASURE)}
    assert by_reason["GAD-7"].status == Alert.Status.RESOLVED
    assert by_reason["GAD-7"].resolution_note.startswith("Closed automatically: GAD-7 completed")
    assert by_reason["PHQ-9"].status == Alert.Status.OPEN
