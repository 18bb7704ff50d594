"""Escalation: an urgent alert still unacknowledged after `MITRA_ALERT_ESCALATION_MINUTES` is
mailed to the rest of the care team, through an outbox, so that no row lock and no transaction
is ever held while the mail server is talked to.

A mail server that accepts connections and never answers used to freeze the alert row (it was
locked while the mail went out), every clinician acknowledging that alert with it, and on SQLite
every write of the site. Now each due alert goes through three steps (`escalate_due_alerts`):

1. **Claim**, one short transaction: a conditional UPDATE marks the alert claimed (a random
   token and the time) only while it is still due, not escalated, not waiting for a retry and
   not claimed by a live run. It changes one row or none, so of two runs at once exactly one
   gets the alert and the other moves on; it commits at once.
2. **Send**, outside any transaction. Every socket operation of the SMTP conversation has
   `EMAIL_TIMEOUT` (default 10 s): a silent server costs one alert about that long.
3. **Record the outcome**, a second short transaction. Accepted: `escalated_at` and the
   `alert.escalated` audit event, before the connection's QUIT. Failed: the claim is released
   with the error, the attempt counted, a retry time set (1, 2, 4, 8, then every 15 minutes)
   and an `alert.escalation_failed` event; the run goes on with the other alerts and reports
   each failure (`mitra.lib.jobs.JobFailed`), so `mitra escalate` exits non-zero.

A claim older than `claim_timeout()` (default 5 minutes, at least 30 x `EMAIL_TIMEOUT`: longer
than any send can take) belongs to a run that died between claim and outcome (killed, its
machine lost) and is taken up by the next run.

**Exactly once, and the window left.** Only the run holding the claim sends, and a sent mail is
recorded before its claim is let go, so a mail recorded as sent is never sent again. One
duplicate remains possible: a run that dies (or loses the database for longer than the outcome's
few retries) after the mail server accepted the message, its reply to DATA, and before the
outcome commits. That window is one UPDATE and one INSERT long; the next run mails again once
the claim times out. Likewise a reply to DATA that never comes is a failure, though the server
may have queued the message. No design can close this window while the message leaves through
SMTP: the server's acceptance and the database's commit are two systems' steps, and one of them
comes first. Mitra sends a second mail rather than risk none, and every try of one alert
carries the same Message-ID (`<alert-escalation.<uuid>@host>`), so a mail client that drops
repeated ids shows the second copy as one mail.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from mitra.accounts.models import Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.lib import conf, jobs
from mitra.safety.models import Alert

log = logging.getLogger(__name__)

# Waits before the next try after 1, 2, 3, ... failed sends; the last repeats.
BACKOFF_MINUTES = (1, 2, 4, 8, 15)


def claim_timeout() -> timedelta:
    """How old a claim must be before another run takes it up (its run is taken to be dead).

    Longer than a send can take: smtplib waits up to EMAIL_TIMEOUT for each of the
    conversation's steps (connect, greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT per recipient,
    DATA), so a claim timing out under a live, slow run would mean two mails."""
    return timedelta(seconds=max(300, 30 * int(settings.EMAIL_TIMEOUT)))


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed send (1, 2, 4, 8, then 15 minutes)."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def due_for_escalation(now: datetime) -> QuerySet[Alert]:
    """Urgent alerts open since before the escalation time and not yet mailed (claimed or not,
    waiting for a retry or not)."""
    cutoff = now - timedelta(minutes=conf.alert_escalation_minutes())
    return Alert.objects.filter(
        priority=Alert.Priority.URGENT, status=Alert.Status.OPEN, escalated_at__isnull=True,
        created_at__lte=cutoff,
    )


def claimable(now: datetime, at: datetime | None = None) -> QuerySet[Alert]:
    """The due alerts a run may claim at `at` (default `now`): no retry time still ahead and no
    live claim."""
    at = at or now
    return due_for_escalation(now).filter(
        Q(escalation_retry_at__isnull=True) | Q(escalation_retry_at__lte=at),
        Q(escalation_claimed_at__isnull=True) | Q(escalation_claimed_at__lt=at - claim_timeout()),
    )


def escalate_due_alerts(now: datetime) -> int:
    """Mail the care team about every urgent alert still unacknowledged after the set time
    (see the module for the claim, the send and the outcome). Returns how many this run
    mailed; raises `jobs.JobFailed` after the run when any send failed, each such alert left
    due for a later run. Run it outside any transaction: each step commits its own."""
    clock = _clock(now)
    due = list(claimable(now).order_by("created_at").values_list("pk", "uuid"))
    escalated, failures = 0, []
    for pk, uuid in due:
        try:
            escalated += _escalate_one(pk, now, clock)
        except Exception as exc:
            # One line per failure: the caller reports it (`mitra escalate` on stderr).
            log.info("alert %s: escalation failed: %s", uuid, _one_line(exc))
            failures.append(jobs.Failure(f"alert {uuid}", exc))
    if failures:
        raise jobs.JobFailed(escalated, failures)
    return escalated


class SentNotRecorded(Exception):
    """The server accepted the mail, and the database refused its record: the one duplicate."""


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _clock(now: datetime) -> Callable[[], datetime]:
    """The run's time: `now` at its start, moving on with the wall clock, so that a claim made
    late in a long run (many alerts, each waiting on a silent server) carries its own time."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _escalate_one(pk: int, now: datetime, clock: Callable[[], datetime]) -> int:
    """Claim, send and record one alert; 0 when another run has it or it is no longer due."""
    token = secrets.token_hex(16)
    claimed_at = clock()
    with transaction.atomic():
        claimed = claimable(now, claimed_at).filter(pk=pk).update(
            escalation_claim=token, escalation_claimed_at=claimed_at)
    if not claimed:
        return 0  # another run claimed it, or a clinician acknowledged it meanwhile
    sent = False
    try:
        alert = Alert.objects.select_related("patient").get(pk=pk)
        recipients = escalation_recipients(alert)
        if not recipients:
            log.warning("urgent alert %s has no care-team e-mail to escalate to", alert.uuid)
            _retrying(lambda: _record_sent(alert, recipients, clock()))
            return 1

        def accepted() -> None:
            nonlocal sent
            sent = True
            _retrying(lambda: _record_sent(alert, recipients, clock()))

        _send_escalation_mail(alert, recipients, accepted)
    except Exception as exc:
        if sent:  # the mail went out; only its record failed: the claim stays (module doc)
            raise SentNotRecorded(f"the mail went out but its record failed ({_one_line(exc)}); "
                                  f"mailed again after {claim_timeout()}") from exc
        try:
            _record_failure(pk, token, exc, clock())
        except DatabaseError as lost:
            log.warning("alert %s: could not record the failed escalation (%s); another run "
                        "takes it up after %s", pk, lost, claim_timeout())
        raise
    return 1


def _retrying(write: Callable[[], None]) -> None:
    """Run a short write, trying again twice over about 3 s when the database connection
    fails: after a sent mail, this record is what keeps a later run from mailing again."""
    for wait in (1.0, 2.0, None):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if wait is None or connection.in_atomic_block:
                raise  # inside a caller's transaction (a test) there is no reconnecting
            connection.close()  # Django reconnects on the next query
            time.sleep(wait)


@transaction.atomic
def _record_sent(alert: Alert, recipients: list[str], at: datetime) -> None:
    # Whoever's claim it is now: the mail went out. Only a run slower than the claim timeout
    # finds the alert escalated by another already (then both mailed: say so).
    changed = Alert.objects.filter(pk=alert.pk, escalated_at__isnull=True).update(
        escalated_at=at, escalation_claim="", escalation_claimed_at=None,
        escalation_retry_at=None)
    if not changed:
        log.warning("alert %s was escalated by another run as well: mailed twice", alert.uuid)
        return
    record_audit(Event.ALERT_ESCALATED, acting=None, patient=alert.patient, obj=alert,
                 detail=f"{len(recipients)} recipients")


@transaction.atomic
def _record_failure(pk: int, token: str, exc: Exception, at: datetime) -> None:
    alert = Alert.objects.select_related("patient").filter(
        pk=pk, escalation_claim=token).first()
    if alert is None:
        return  # the claim was taken up by another run meanwhile: that run records its own
    attempts = alert.escalation_attempts + 1
    error = _one_line(exc)
    Alert.objects.filter(pk=pk, escalation_claim=token).update(
        escalation_claim="", escalation_claimed_at=None, escalation_attempts=attempts,
        escalation_error=error[:Alert._meta.get_field("escalation_error").max_length],
        escalation_retry_at=at + backoff(attempts))
    # The error class only: an SMTP server's message may name the recipients.
    record_audit(Event.ALERT_ESCALATION_FAILED, acting=None, patient=alert.patient, obj=alert,
                 detail=f"attempt {attempts}: {type(exc).__name__}")


def escalation_recipients(alert: Alert) -> list[str]:
    """The e-mail addresses of "the rest of the care team" for this alert.

    Alerts have no assignee: the whole team shares one inbox, so every active clinician on the
    patient's care teams is notified, except the clinician who raised the alert by their own
    action (for example by entering the questionnaire in a session), who has already seen it.
    When nobody else is on the team, that clinician is reminded rather than nobody.
    """
    team = list(
        User.objects.filter(
            care_teams__patients=alert.patient, role=Role.CLINICIAN, is_active=True
        ).exclude(email="").values_list("pk", "email").distinct()
    )
    raised_by = set(
        AuditEvent.objects.filter(event=Event.ALERT_RAISED, object_uuid=alert.uuid,
                                  actor_role=Role.CLINICIAN)
        .values_list("actor_id", flat=True)
    )
    rest = [email for pk, email in team if pk not in raised_by]
    return sorted(set(rest or [email for _pk, email in team]))


def inbox_line() -> str:
    """Where the mail sends its reader: the alert inbox's absolute address (MITRA_BASE_URL).
    Unset (production only; `mitra check` warns, mitra.W008) the mail says where to go rather
    than give a relative link no mail client can open."""
    base, path = conf.base_url(), reverse("safety:inbox")
    if base:
        return f"Open the alert inbox: {base}{path}"
    return f"Sign in to {settings.SITE_NAME} and open Alerts (the alert inbox, {path})."


def _send_escalation_mail(alert: Alert, recipients: list[str],
                          accepted: Callable[[], None]) -> None:
    """Send the mail; `accepted` runs as soon as the server took it (its reply to DATA), before
    the connection's QUIT, so the outcome is recorded without waiting for the goodbye."""
    # No name, no clinical detail in the mail: only the study code and a link to sign in.
    message = EmailMessage(
        subject=f"[{settings.SITE_NAME}] Urgent alert not yet acknowledged "
                f"({alert.patient.pseudonym})",
        body=(
            f"An urgent {alert.get_kind_display().lower()} alert for {alert.patient.pseudonym} "
            f"has not been acknowledged for {conf.alert_escalation_minutes()} minutes.\n\n"
            f"{inbox_line()}\n"
        ),
        to=recipients,
        # One id per alert, the same on every try: a mail client that drops a repeated
        # Message-ID shows the rare second copy (module doc) as one mail.
        headers={"Message-ID": f"<alert-escalation.{alert.uuid}@{DNS_NAME}>"},
    )
    # EMAIL_TIMEOUT reaches the SMTP backend through settings; opened here, the connection
    # is not closed by send_messages, so QUIT waits until after `accepted`.
    mail = get_connection(fail_silently=False)
    mail.open()
    try:
        if mail.send_messages([message]) != 1:
            raise RuntimeError("the mail backend sent nothing")
        accepted()
    finally:
        try:
            mail.close()
        except Exception as exc:  # the message is accepted or not by now; QUIT decides nothing
            log.info("closing the mail connection for alert %s: %s", alert.uuid, exc)
