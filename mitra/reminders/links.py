"""The links a reminder carries: the one-tap link to its prompt and the unsubscribe link.

Both are signed with the site's key (`django.core.signing`, a salt of their own), so they
cannot be made up or moved to another prompt or patient. The one-tap link is valid while its
prompt is open: the view refuses it once the prompt has expired (its `expires_at` is the
link's expiry, read from the database, exact to the minute). The unsubscribe link never
expires: a mail client may use it at any time (RFC 8058).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from django.core.signing import Signer
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from mitra.lib import conf

OPEN_SALT = "mitra.reminders.open"
UNSUBSCRIBE_SALT = "mitra.reminders.unsubscribe"


def _signature(salt: str, value: str) -> str:
    return Signer(salt=salt).signature(value)


def open_token(prompt_uuid: UUID | str) -> str:
    return _signature(OPEN_SALT, str(prompt_uuid))


def valid_open_token(prompt_uuid: UUID | str, token: str) -> bool:
    return constant_time_compare(open_token(prompt_uuid), token)


def open_path(prompt) -> str:
    """The prompt's one-tap link (a path): `/r/<uuid>/<token>/`."""
    return reverse("reminders:open", kwargs={"prompt_uuid": prompt.uuid,
                                             "token": open_token(prompt.uuid)})


def unsubscribe_token(patient_uuid: UUID | str, channel: str) -> str:
    return _signature(UNSUBSCRIBE_SALT, f"{patient_uuid}/{channel}")


def valid_unsubscribe_token(patient_uuid: UUID | str, channel: str, token: str) -> bool:
    return constant_time_compare(unsubscribe_token(patient_uuid, channel), token)


def unsubscribe_path(patient_uuid: UUID | str, channel: str) -> str:
    return reverse("reminders:unsubscribe", kwargs={
        "patient_uuid": patient_uuid, "channel": channel,
        "token": unsubscribe_token(patient_uuid, channel)})


def preferences_path() -> str:
    return reverse("reminders:preferences")


class Paths:
    """`open_path` and `unsubscribe_path` for many messages: each URL pattern is reversed once
    (with stand-in values replaced per message), the way a batch of reminders is built;
    `reverse` for each of thousands of messages cost more than the rest of the link."""

    def __init__(self) -> None:
        self._uuid, self._token = str(uuid4()), "T0KEN"
        self._open = reverse("reminders:open", kwargs={"prompt_uuid": self._uuid,
                                                       "token": self._token})
        self._unsubscribe: dict[str, str] = {}

    def open_path(self, prompt) -> str:
        return (self._open.replace(self._uuid, str(prompt.uuid))
                .replace(self._token, open_token(prompt.uuid)))

    def unsubscribe_path(self, patient_uuid: UUID | str, channel: str) -> str:
        if channel not in self._unsubscribe:
            self._unsubscribe[channel] = reverse("reminders:unsubscribe", kwargs={
                "patient_uuid": self._uuid, "channel": channel, "token": self._token})
        return (self._unsubscribe[channel].replace(self._uuid, str(patient_uuid))
                .replace(self._token, unsubscribe_token(patient_uuid, channel)))


def absolute(path: str) -> str:
    """`path` on the site's public address (MITRA_BASE_URL); "" when that is unset (only
    possible in production, where `mitra check` warns): a message then names no link."""
    base = conf.base_url()
    return f"{base}{path}" if base else ""
