"""Prompts (one occurrence of a schedule, asked of the patient), their delivery per channel, and
the patient's reminder preferences.

A prompt's life: PLANNED (made by the planner, waiting for its `fire_at`), SENT (at least one
channel delivered it), FAILED (no channel could, `failure` says why), OPENED (the patient
followed its link), ANSWERED (the form it asks for arrived within its window), EXPIRED (the
window closed unanswered). One prompt per schedule and local day: the unique constraint is what
makes planning twice harmless. One delivery per prompt and channel: what makes sending twice
impossible.
"""

from __future__ import annotations

import uuid

from django.db import models


class Prompt(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        OPENED = "opened", "Opened"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="prompts")
    schedule = models.ForeignKey("measures.Schedule", on_delete=models.PROTECT,
                                 related_name="prompts")
    # The local day of the occurrence (the patient's time zone).
    due_on = models.DateField()
    # When it is to be sent (after the random offset and quiet hours) and when it expires.
    fire_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PLANNED)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # failed or expired
    failure = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fire_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_on"], name="one_prompt_per_day"),
        ]
        indexes = [
            # The dispatcher: planned prompts whose time has come; the expiry sweep.
            models.Index(fields=["state", "fire_at"], name="prompt_state_fire"),
            models.Index(fields=["state", "expires_at"], name="prompt_state_expiry"),
            # A patient's history and adherence.
            models.Index(fields=["patient", "fire_at"], name="prompt_patient_fire"),
        ]

    def __str__(self) -> str:
        return f"prompt {self.schedule_id} {self.due_on} {self.state}"


class Delivery(models.Model):
    """One prompt sent over one channel (e-mail, push, SMS).

    SENDING is claimed before the message leaves and never retried by another worker: a
    delivery left SENDING by a worker that died is marked FAILED ("outcome unknown"), not sent
    again, so a patient never gets two messages for one prompt. CANCELLED: not sent because it
    was no longer wanted when its turn came (answered or opened first, the channel turned off,
    the schedule stopped); `last_error` says which.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed"

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "channel"], name="one_delivery_per_channel"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.state} ({self.prompt_id})"


class Preference(models.Model):
    """How a patient wants to be reminded: quiet hours, a pause, and each channel on or off."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.CASCADE,
                                   related_name="reminder_preference")
    # Local times; a prompt that would fire inside them waits for `quiet_end`. Both or neither;
    # quiet_start > quiet_end spans midnight (22:00-07:00).
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    # A pause (a holiday): no prompt is planned on these local days, both included.
    paused_from = models.DateField(null=True, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reminder preferences of {self.patient_id}"


class ChannelSetting(models.Model):
    """A channel on or off for one patient (no row: the channel's default). Unsubscribing by
    the link in a message turns it off here."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE,
                                related_name="reminder_channels")
    channel = models.CharField(max_length=16)
    enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "channel"], name="one_setting_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {'on' if self.enabled else 'off'} for {self.patient_id}"
