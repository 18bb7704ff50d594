"""Closing a patient's account: sign-in and reminders off, the clinical record kept.

    closure, created = do_close_account(patient, acting=request, reason="Asked on paper")

Reached two ways: an admin grants the patient's CLOSE request (`requests.do_answer_request`),
or closes the account directly for a patient who asked on paper. Each step is an action with
its own audit event, all in one transaction, then `ACCOUNT_CLOSED` with the counts:

1. the user deactivated (`accounts.do_deactivate_user`): no sign-in, sessions and API tokens
   stop working;
2. every active schedule stopped (`measures.do_stop_schedule`): the planner plans nothing;
3. every reminder channel switched off (`reminders.ChannelSetting`);
4. open invitations revoked: the link and the short code say so;
5. prompts not yet answered closed (EXPIRED, "account closed") and their unsent deliveries
   CANCELLED: the dispatcher sends nothing already planned;
6. an `AccountClosure` with `retain_until` = today + `MITRA_RETENTION_YEARS` (HIPAA
   164.530(j)(2): six years by default).

Nothing clinical is deleted or changed: the record stays for the retention period, readable
by the care team. Research copies (aggregates, de-identified exports) never held identifiers,
so closing changes nothing in them.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from mitra.accounts.actions import do_deactivate_user
from mitra.accounts.models import User
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.lib import conf
from mitra.measures.actions import do_stop_schedule
from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.records.models import AccountClosure, RecordRequest
from mitra.reminders import channels
from mitra.reminders.models import ChannelSetting, Delivery, Prompt
from mitra.reminders.preferences import EMAIL

CLOSED_NOTE = "account closed"
REASON_MAX = 300
# Prompts still waiting for the patient: planned, sent or opened, not yet answered or closed.
OPEN_PROMPT_STATES = (Prompt.State.PLANNED, Prompt.State.SENT, Prompt.State.OPENED)


def retain_until(closed_on: date, years: int) -> date:
    """`closed_on` plus `years` (29 February falls back to 28 February)."""
    try:
        return closed_on.replace(year=closed_on.year + years)
    except ValueError:
        return closed_on.replace(year=closed_on.year + years, day=28)


@transaction.atomic
def do_close_account(patient: Patient, *, acting: Actor, reason: str,
                     request: RecordRequest | None = None) -> tuple[AccountClosure, bool]:
    """Close the account (see the module); (closure, created). Closing twice returns the first
    closure and changes nothing."""
    existing = AccountClosure.objects.select_for_update().filter(patient=patient).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    user = patient.user
    if user is not None:
        do_deactivate_user(user, acting=acting)
    stopped = 0
    for schedule in Schedule.objects.select_for_update().filter(patient=patient, active=True):
        do_stop_schedule(schedule, acting=acting)
        stopped += 1
    names = sorted({EMAIL, *(c.name for c in channels.registered())})
    for name in names:
        ChannelSetting.objects.update_or_create(patient=patient, channel=name,
                                                defaults={"enabled": False})
    revoked = 0
    if user is not None:
        # Both stamps, as enrolment's revoke does: every check refusing a replaced invitation
        # refuses a revoked one.
        revoked = user.invitations.filter(used_at__isnull=True, replaced_at__isnull=True,
                                          revoked_at__isnull=True).update(revoked_at=now,
                                                                          replaced_at=now)
        if revoked:
            record_audit(Event.ENROLMENT_INVITATION_REVOKED, acting=acting, patient=patient,
                         obj=user, detail=f"{revoked} open; {CLOSED_NOTE}")
    open_prompts = Prompt.objects.filter(patient=patient, state__in=OPEN_PROMPT_STATES)
    cancelled = Delivery.objects.filter(
        prompt__in=open_prompts, state=Delivery.State.PENDING).update(
        state=Delivery.State.CANCELLED, last_error=f"not sent: the {CLOSED_NOTE}")
    closed_prompts = open_prompts.update(state=Prompt.State.EXPIRED, closed_at=now,
                                         failure=CLOSED_NOTE)
    closure = AccountClosure.objects.create(
        patient=patient, closed_at=now, closed_by=_staff_user(acting), request=request,
        retain_until=retain_until(timezone.localdate(now), conf.retention_years()),
        reason=reason.strip()[:REASON_MAX])
    record_audit(Event.ACCOUNT_CLOSED, acting=acting, patient=patient, obj=request,
                 detail=(f"schedules stopped {stopped}; channels off {', '.join(names)}; "
                         f"invitations revoked {revoked}; prompts closed {closed_prompts}; "
                         f"deliveries cancelled {cancelled}; "
                         f"kept until {closure.retain_until.isoformat()}"))
    return closure, True


def _staff_user(acting: Actor) -> User | None:
    user = actor_user(acting)
    return user if user is not None and user.pk else None
