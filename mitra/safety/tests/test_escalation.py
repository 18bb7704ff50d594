"""Escalation through real SMTP servers on loopback (`smtpservers`): a silent server holds no
lock and no transaction, a working one gets exactly one mail per due alert, `mitra escalate`
exits non-zero with one line per failure, and a dead run's claim is taken up again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from mitra import cli
from mitra.audit.models import AuditEvent
from mitra.lib.jobs import JobFailed
from mitra.safety.actions import do_acknowledge_alert, do_raise_alert
from mitra.safety.escalation import claim_timeout, escalate_due_alerts
from mitra.safety.models import Alert
from mitra.safety.tests.factories import make_alert
from mitra.safety.tests.smtpservers import SilentServer, SmtpSink, free_port
from mitra.testing import make_cast

TIMEOUT = 2  # EMAIL_TIMEOUT in these tests, seconds
MARGIN = 3  # what a loaded two-core machine may add to a run of one alert


@pytest.fixture
def smtp(settings):
    """Point Django's SMTP backend at a port on loopback; returns a function taking the port."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = TIMEOUT
    settings.EMAIL_USE_TLS = False

    def use(port: int) -> None:
        settings.EMAIL_PORT = port
    return use


def _due(cast, *keys, patient=None):
    alerts = [make_alert(patient or cast.patient, key=key) for key in keys]
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(
        created_at=timezone.now() - timedelta(minutes=31))
    return alerts


def _in_thread(target):
    """Run `target` on a thread with its own database connection; returns (thread, result)
    where result gets "value", "error" and "seconds"."""
    result: dict = {}

    def run():
        started = time.monotonic()
        try:
            result["value"] = target()
        except Exception as exc:
            result["error"] = exc
        finally:
            result["seconds"] = time.monotonic() - started
            connections.close_all()
    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _hung_server(kind: str):
    return SilentServer() if kind == "silent" else SmtpSink(hang=True)


def _wait_until_sending(server, kind: str) -> None:
    event = server.connected if kind == "silent" else server.data_received
    assert event.wait(10), "the escalation never reached the mail server"


# ---- a mail server that never answers --------------------------------------------------

@pytest.mark.parametrize("kind", ["silent", "never answers DATA"])
@pytest.mark.django_db(transaction=True)
def test_a_hung_mail_server_holds_no_lock_and_the_alert_stays_due(smtp, kind):
    cast = make_cast()
    (alert,) = _due(cast, "hung")
    with _hung_server(kind) as server:
        smtp(server.port)
        thread, run = _in_thread(lambda: escalate_due_alerts(timezone.now()))
        _wait_until_sending(server, kind)
        # Meanwhile another connection writes: a new alert (on SQLite the write lock on the
        # whole database) and, on PostgreSQL, the alert row itself without waiting for it.
        started = time.monotonic()
        with transaction.atomic():
            if connection.features.has_select_for_update_nowait:
                Alert.objects.select_for_update(nowait=True).get(pk=alert.pk)
            do_raise_alert(cast.other_patient, kind=Alert.Kind.CO_USE,
                           priority=Alert.Priority.HIGH, reason="written meanwhile",
                           dedupe_key="meanwhile")
        wrote_in = time.monotonic() - started
        assert thread.is_alive(), "the send should still be waiting on the server"
        thread.join(TIMEOUT + MARGIN + 5)
    assert wrote_in < 1.0
    assert run["seconds"] < TIMEOUT + MARGIN
    assert isinstance(run["error"], JobFailed)
    (failure,) = run["error"].failures
    assert failure.item == f"alert {alert.uuid}"
    assert "timed out" in failure.line()
    alert.refresh_from_db()
    assert alert.escalated_at is None and alert.status == Alert.Status.OPEN
    assert alert.escalation_claim == "" and alert.escalation_attempts == 1
    assert alert.escalation_retry_at is not None
    assert Alert.objects.filter(dedupe_key="meanwhile").exists()


@pytest.mark.django_db(transaction=True)
def test_a_clinician_acknowledges_the_alert_while_its_mail_hangs(smtp):
    cast = make_cast()
    (alert,) = _due(cast, "ack-while-hung")
    with SilentServer() as server:
        smtp(server.port)
        thread, run = _in_thread(lambda: escalate_due_alerts(timezone.now()))
        assert server.connected.wait(10)
        started = time.monotonic()
        assert do_acknowledge_alert(alert, acting=cast.clinician) is True
        acknowledged_in = time.monotonic() - started
        assert thread.is_alive()
        thread.join(TIMEOUT + MARGIN + 5)
    assert acknowledged_in < 1.0
    assert isinstance(run["error"], JobFailed)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.escalated_at is None
    # Acknowledged: no longer due, so nothing is tried again.
    with SmtpSink() as sink:
        smtp(sink.port)
        assert escalate_due_alerts(timezone.now() + timedelta(hours=1)) == 0
    assert sink.received == []


# ---- a working server: one mail per due alert ------------------------------------------

@pytest.mark.django_db
def test_a_working_server_gets_exactly_one_mail_per_due_alert(smtp):
    cast = make_cast()
    ours = _due(cast, "one", "two")
    (theirs,) = _due(cast, "three", patient=cast.other_patient)
    make_alert(cast.patient, key="not yet")  # raised just now: not due
    with SmtpSink() as sink:
        smtp(sink.port)
        assert escalate_due_alerts(timezone.now()) == 3
        assert escalate_due_alerts(timezone.now() + timedelta(minutes=5)) == 0
    ids = sorted(r.message["Message-ID"] for r in sink.received)
    assert ids == sorted(f"<alert-escalation.{a.uuid}@" + ids[0].split("@")[1]
                         for a in [*ours, theirs])
    by_id = {r.message["Message-ID"].split(".")[1].split("@")[0]: r for r in sink.received}
    assert by_id[str(theirs.uuid)].rcpt_tos == [cast.other_clinician.email]
    assert sorted(by_id[str(ours[0].uuid)].rcpt_tos) == sorted(
        [cast.clinician.email, cast.readonly.email])
    assert cast.patient.pseudonym in by_id[str(ours[0].uuid)].message["Subject"]
    assert AuditEvent.objects.filter(event="alert.escalated").count() == 3


@pytest.mark.django_db
def test_the_mail_waits_for_a_silent_server_then_goes_once_it_is_back(smtp):
    cast = make_cast()
    (alert,) = _due(cast, "comes-back")
    port = free_port()
    with SilentServer(port):
        smtp(port)
        with pytest.raises(JobFailed):
            escalate_due_alerts(timezone.now())
    with SmtpSink(port) as sink:
        assert escalate_due_alerts(timezone.now()) == 0  # its retry time is a minute away
        assert escalate_due_alerts(timezone.now() + timedelta(minutes=2)) == 1
        assert escalate_due_alerts(timezone.now() + timedelta(minutes=3)) == 0
    assert len(sink.received) == 1
    alert.refresh_from_db()
    assert alert.escalated_at is not None and alert.escalation_retry_at is None


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_both_send(smtp):
    cast = make_cast()
    alerts = _due(cast, *[f"race-{i}" for i in range(6)])
    with SmtpSink(delay=0.5) as sink:  # slow enough for the runs to overlap
        smtp(sink.port)
        barrier = threading.Barrier(2)

        def run():
            barrier.wait()
            try:
                return escalate_due_alerts(timezone.now())
            except JobFailed as failed:  # SQLite's test database may refuse a write at once
                return failed.done
        runs = [_in_thread(run) for _ in range(2)]
        for thread, _ in runs:
            thread.join(30)
        escalate_due_alerts(timezone.now() + timedelta(minutes=20))  # anything left over
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(ids) == len(set(ids)) == len(alerts)
    assert sum(result["value"] for _, result in runs) <= len(alerts)
    assert all(result["value"] > 0 for _, result in runs) or connection.vendor == "sqlite"


# ---- claims ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_stale_claim_is_taken_up_and_a_live_one_left_alone(smtp):
    cast = make_cast()
    dead, live = _due(cast, "dead-run", "live-run")
    now = timezone.now()
    Alert.objects.filter(pk=dead.pk).update(
        escalation_claim="d" * 32,
        escalation_claimed_at=now - claim_timeout() - timedelta(seconds=1))
    Alert.objects.filter(pk=live.pk).update(escalation_claim="l" * 32,
                                            escalation_claimed_at=now - timedelta(minutes=1))
    with SmtpSink() as sink:
        smtp(sink.port)
        assert escalate_due_alerts(now) == 1  # the live claim is another run's: not a failure
    assert [r.message["Message-ID"].split(".")[1].split("@")[0] for r in sink.received] == [
        str(dead.uuid)]
    dead.refresh_from_db(), live.refresh_from_db()
    assert dead.escalated_at is not None and dead.escalation_claim == ""
    assert live.escalated_at is None and live.escalation_claim == "l" * 32


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it in the run happens."""


@pytest.mark.django_db
def test_a_run_killed_after_the_server_accepted_mails_again_only_after_the_claim_timeout(
        smtp, monkeypatch):
    # The one duplicate the outbox leaves (escalation module doc): the server took the mail
    # and the run died before recording it.
    from mitra.safety import escalation

    cast = make_cast()
    (alert,) = _due(cast, "killed")
    now = timezone.now()

    def killed(*args):
        raise Killed
    with SmtpSink() as sink:
        smtp(sink.port)
        with monkeypatch.context() as m:
            m.setattr(escalation, "_record_sent", killed)
            with pytest.raises(Killed):
                escalate_due_alerts(now)
        assert len(sink.received) == 1
        assert escalate_due_alerts(now + claim_timeout() - timedelta(seconds=5)) == 0
        assert escalate_due_alerts(now + claim_timeout() + timedelta(seconds=5)) == 1
        assert escalate_due_alerts(now + claim_timeout() * 2) == 0
    # Twice, with one Message-ID: a mail client that drops repeats shows one.
    assert len({r.message["Message-ID"] for r in sink.received}) == 1
    assert len(sink.received) == 2


# ---- `mitra escalate`: exit status and one line per failure ------------------------------

def _mitra_escalate(capsys, *args) -> tuple[int | str | None, str, str]:
    code: int | str | None
    try:
        code = cli.main(["escalate", *args])
    except SystemExit as exited:  # MitraCommand's exit for a CommandError
        code = exited.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.django_db(transaction=True)
def test_mitra_escalate_exits_1_with_one_line_per_failure_when_smtp_refuses(smtp, capsys):
    cast = make_cast()
    alerts = _due(cast, "refused-1", "refused-2")
    smtp(free_port())  # nothing listens: connection refused
    code, out, err = _mitra_escalate(capsys)
    assert code == 1
    assert "Escalated 0 urgent alerts" in out
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert sorted(lines[:2]) == sorted(f"alert {a.uuid}: ConnectionRefusedError: [Errno 111] "
                                       "Connection refused" for a in alerts)
    assert lines[2] == ("mitra escalate: error: 2 failures (listed above); the rest of the run "
                        "was done")
    assert "Traceback" not in err
    # --verbose adds each failure's traceback.
    Alert.objects.update(escalation_retry_at=None)
    code, out, err = _mitra_escalate(capsys, "--verbose")
    assert code == 1 and err.count("Traceback (most recent call last)") == 2


@pytest.mark.django_db(transaction=True)
def test_mitra_escalate_mails_the_others_when_one_recipient_is_refused(smtp, capsys):
    cast = make_cast()
    (ours,) = _due(cast, "delivered")
    (theirs,) = _due(cast, "refused", patient=cast.other_patient)
    with SmtpSink(refuse=frozenset({cast.other_clinician.email})) as sink:
        smtp(sink.port)
        code, out, err = _mitra_escalate(capsys)
        assert code == 1
        assert "Escalated 1 urgent alert " in out
        (line, summary) = err.strip().splitlines()
        assert line.startswith(f"alert {theirs.uuid}: SMTPRecipientsRefused: ")
        assert "550" in line and summary.endswith("1 failure (listed above); the rest of the "
                                                  "run was done")
        assert len(sink.received) == 1
        # Everything fine: exit 0, nothing on stderr.
        Alert.objects.filter(pk=theirs.pk).update(escalation_retry_at=None)
        sink.refuse = frozenset()
        code, out, err = _mitra_escalate(capsys)
    assert (code, err) == (0, "")
    assert "Escalated 1 urgent alert " in out and len(sink.received) == 2
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert ours.escalated_at and theirs.escalated_at


@pytest.mark.parametrize("value", ["0", "-1", "301"])
def test_an_email_timeout_out_of_range_stops_start_up_naming_it(tmp_path, value):
    from tests.clitools import mitra_env, run_mitra

    result = run_mitra("escalate", "--help", env=mitra_env(tmp_path, EMAIL_TIMEOUT=value))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"mitra: configuration error: EMAIL_TIMEOUT must be a whole number of seconds from 1 "
        f"to 300, not {value}")
