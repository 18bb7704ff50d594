"""Every write to prompts and channel switches made by a person: a prompt opened by its link,
a channel turned off by the link in a message, a prompt answered by the form it asked for.

The periodic jobs' own state changes (planned, sent, failed, expired) are in `planner` and
`dispatch`; they are not audited one by one (each prompt's history is its row).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.reminders.models import ChannelSetting, Prompt

# A prompt the patient may still answer (FAILED: no message reached them, the home page did).
OPEN_STATES = (Prompt.State.PLANNED, Prompt.State.SENT, Prompt.State.OPENED,
               Prompt.State.FAILED)


@transaction.atomic
def do_open_prompt(prompt: Prompt, *, acting: Actor) -> bool:
    """The patient followed the prompt's link: OPENED (audited) unless it was opened, answered
    or closed already. Returns whether it changed."""
    now = timezone.now()
    changed = Prompt.objects.filter(
        pk=prompt.pk, state__in=[Prompt.State.PLANNED, Prompt.State.SENT, Prompt.State.FAILED],
        expires_at__gt=now,
    ).update(state=Prompt.State.OPENED, opened_at=now)
    if changed:
        prompt.state, prompt.opened_at = Prompt.State.OPENED, now
        record_audit(Event.REMINDERS_PROMPT_OPENED, acting=acting, patient=prompt.patient,
                     obj=prompt)
    return bool(changed)


@transaction.atomic
def do_unsubscribe(patient: Patient, channel: str, *, acting: Actor | None) -> bool:
    """Turn `channel` off for the patient (the link in a message; no sign-in). Audited when it
    was on; returns whether it changed. Deliveries still pending on it are not sent (the
    dispatcher checks the switch before sending)."""
    setting = (ChannelSetting.objects.select_for_update()
               .filter(patient=patient, channel=channel).first())
    if setting is not None and not setting.enabled:
        return False
    if setting is None:
        setting = ChannelSetting.objects.create(patient=patient, channel=channel, enabled=False)
    else:
        setting.enabled = False
        setting.save(update_fields=["enabled", "changed_at"])
    record_audit(Event.REMINDERS_UNSUBSCRIBED, acting=acting, patient=patient, detail=channel)
    return True


def do_mark_answered(patient_id: int, *, form: str, instrument: str, day: date,
                     at: datetime) -> int:
    """A questionnaire response or a diary entry arrived (`at`, for the local `day`): the
    patient's open prompts that asked for it (same form and instrument, due on or before
    `day`, their window still open at `at`) are ANSWERED. One UPDATE; returns how many. Not
    audited: the response or diary entry has its own event."""
    schedules = Schedule.objects.filter(patient_id=patient_id, form=form)
    if form == Schedule.Form.QUESTIONNAIRE:
        schedules = schedules.filter(instrument=instrument)
    return Prompt.objects.filter(
        patient_id=patient_id, schedule__in=schedules, state__in=OPEN_STATES,
        due_on__lte=day, expires_at__gt=at,
    ).update(state=Prompt.State.ANSWERED, answered_at=at)
