"""The channels a prompt is delivered over, and the e-mail channel.

A channel is one object registered here (`register`, from an app's `AppConfig.ready`); the
planner makes one `Delivery` per prompt and registered channel that the patient can be reached
on and has not turned off, and the dispatcher hands a batch of due deliveries to the channel's
`send_many`, outside any transaction. Adding Web Push (the offline app) or SMS is one subclass of
`Channel` and one `register` call; the recipe is in `mitra/reminders/README.md`.

What every channel keeps to:

- **No clinical content.** A message says that a check-in is waiting and links to it
  (`links.open_url`): no instrument name, no score, no substance, nothing a lock screen or a
  shared mailbox should not show.
- **A timeout on every network call**, and the batch's `deadline` (a `time.monotonic()`
  value): past it, stop and answer `NOT_ATTEMPTED` for the rest (the dispatcher's claim on them
  runs out soon after; they go back to pending, untouched).
- **Never two messages for one delivery.** Answer `Outcome.retry(...)` only when the message
  certainly did not leave (the connection could not be made, the server refused it with a
  temporary code); when it may have left (the connection broke after the message was handed
  over), answer `Outcome.failed("outcome unknown: ...")`: it is not sent again.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.html import escape

from mitra.measures.recurrence import RuleError, zone
from mitra.reminders import links
from mitra.reminders.preferences import EMAIL

if TYPE_CHECKING:
    from mitra.patients.models import Patient
    from mitra.reminders.models import Delivery

log = logging.getLogger(__name__)

# The whole of what a reminder says, on every channel (no instrument, nothing clinical).
SUBJECT = "You have a check-in waiting"
# How an outcome that may have left the server starts (not resent).
UNKNOWN = "outcome unknown, not resent"


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery: sent, or not with `error` (one line, no patient data).

    `retry`: the message certainly did not leave, so it may be tried again later (with
    backoff, while the prompt is open). `attempted` False: not tried at all (the deadline
    passed first): back to pending without counting an attempt or a failure.
    """

    sent: bool
    error: str = ""
    retry: bool = False
    attempted: bool = True

    @classmethod
    def again(cls, error: str) -> Outcome:
        """Not sent, and nothing left: try again later."""
        return cls(False, _one_line(error), retry=True)

    @classmethod
    def failed(cls, error: str) -> Outcome:
        """Not sent and not to be tried again (refused for good, or the outcome is unknown)."""
        return cls(False, _one_line(error), retry=False)


SENT = Outcome(True)
NOT_ATTEMPTED = Outcome(False, "not attempted before the batch's deadline", retry=True,
                        attempted=False)


class Channel(ABC):
    """One way of reaching a patient. Subclass, set `name` and `label`, implement both
    methods, and `register()` an instance in your app's `AppConfig.ready`."""

    # Stored in Delivery.channel and ChannelSetting.channel (at most 16 characters).
    name: str
    # Shown to the patient ("E-mail") on the preferences, history and unsubscribe pages.
    label: str

    @abstractmethod
    def reachable(self, patients: Sequence[Patient]) -> set[int]:
        """The ids of those patients this channel can reach now (an e-mail address, a push
        subscription, a verified phone number). Called once per planner batch: answer with a
        fixed number of queries whatever the number of patients (each patient comes with its
        `user` loaded). Whether the patient turned the channel off is checked by the planner."""

    @abstractmethod
    def send_many(self, deliveries: Sequence[Delivery], deadline: float) -> list[Outcome]:
        """Send each delivery's message; one Outcome per delivery, in order. Each delivery
        comes with `prompt`, `prompt.schedule`, `prompt.patient` and `prompt.patient.user`
        loaded. Runs outside any transaction; must not raise for one delivery's failure."""


_CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    """Add a channel (registering a name again replaces it: `ready()` may run twice)."""
    if not 0 < len(channel.name) <= 16:
        raise ValueError(f"channel name {channel.name!r}: 1 to 16 characters")
    _CHANNELS[channel.name] = channel


def unregister(name: str) -> None:
    _CHANNELS.pop(name, None)


def registered() -> list[Channel]:
    return list(_CHANNELS.values())


def get(name: str) -> Channel | None:
    return _CHANNELS.get(name)


def label(name: str) -> str:
    channel = _CHANNELS.get(name)
    return channel.label if channel else name


class EmailChannel(Channel):
    """E-mail over Django's mail backend (SMTP in production): one connection per batch,
    `EMAIL_TIMEOUT` on each of its steps, the message carrying only `SUBJECT`, the one-tap link
    and the unsubscribe link (with RFC 8058 one-click headers).

    A batch is built on a second thread while the first sends over the connection (the
    builder's work fits in the sender's waits for the server's replies); building touches no
    database, every delivery comes with what it needs."""

    name = EMAIL
    label = "E-mail"
    # Messages built ahead of the sender at a time.
    BUILD_CHUNK = 50

    def reachable(self, patients: Sequence[Patient]) -> set[int]:
        return {p.pk for p in patients
                if p.user is not None and p.user.is_active and p.user.email}

    def message(self, delivery: Delivery, kit: _Kit | None = None) -> EmailMultiAlternatives:
        """The delivery's message (`kit`: what a batch shares, made once)."""
        kit = kit or _Kit()
        prompt = delivery.prompt
        patient = prompt.patient
        if patient.user is None or not patient.user.email:
            raise ValueError("the patient has no e-mail address any more")
        unsubscribe_url = links.absolute(kit.paths.unsubscribe_path(patient.uuid, self.name))
        values = {
            "open_url": links.absolute(kit.paths.open_path(prompt)),
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": kit.preferences_url,
            "closes": formats.date_format(prompt.expires_at.astimezone(_zone(patient)),
                                          "DATETIME_FORMAT"),
        }
        headers = {
            # The same id on every try of one prompt: a client that drops repeated ids would
            # show a second copy as one (none is sent: the dispatcher never resends).
            "Message-ID": f"<reminder.{prompt.uuid}.{self.name}@{DNS_NAME}>",
            "Auto-Submitted": "auto-generated",  # RFC 3834: no out-of-office replies
        }
        if unsubscribe_url:
            # RFC 8058 one-click unsubscribe: the mail client POSTs List-Unsubscribe=One-Click
            # to the URL (signed: no sign-in needed). Only with an absolute URL to give.
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message = _Prebuilt(
            subject=SUBJECT, body=kit.text.fill(values), from_email=settings.DEFAULT_FROM_EMAIL,
            to=[patient.user.email], headers=headers)
        message.attach_alternative(kit.html.fill(values, html=True), "text/html")
        return message.prebuild()

    def send_many(self, deliveries: Sequence[Delivery], deadline: float) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(deliveries)
        kit = _Kit()
        numbered = list(enumerate(deliveries))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reminder-mail") as builder:
            chunks = [builder.submit(self._build, kit, numbered[n:n + self.BUILD_CHUNK])
                      for n in range(0, len(numbered), self.BUILD_CHUNK)]
            try:
                self._send((built for chunk in chunks for built in chunk.result()),
                           outcomes, deadline)
            finally:
                for chunk in chunks:
                    chunk.cancel()
        return [o if o is not None else NOT_ATTEMPTED for o in outcomes]

    def _build(self, kit: _Kit, numbered: list[tuple[int, Delivery]]
               ) -> list[tuple[int, EmailMultiAlternatives | Outcome]]:
        built: list[tuple[int, EmailMultiAlternatives | Outcome]] = []
        for i, delivery in numbered:
            try:
                built.append((i, self.message(delivery, kit)))
            except Exception as exc:  # this one's data (a bad zone, an address): not the rest
                built.append((i, Outcome.failed(f"message not built: {_error(exc)}")))
        return built

    def _send(self, built: Iterator[tuple[int, EmailMultiAlternatives | Outcome]],
              outcomes: list[Outcome | None], deadline: float) -> None:
        # One connection for the whole batch; every socket step waits EMAIL_TIMEOUT at most.
        connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        try:
            connection.open()
        except Exception as exc:  # refused, unknown host, a server that never greets
            cannot = Outcome.again(f"cannot connect to the mail server: {_error(exc)}")
            for i, _m in built:
                outcomes[i] = cannot
            return
        lost: Outcome | None = None
        try:
            for i, message in built:
                if isinstance(message, Outcome):
                    outcomes[i] = message
                elif lost is not None:
                    outcomes[i] = lost  # the connection broke before this one started
                elif time.monotonic() < deadline:  # else left None: NOT_ATTEMPTED
                    outcome = outcomes[i] = self._send_one(connection, message)
                    if outcome.error.startswith(UNKNOWN):
                        lost = Outcome.again(f"mail connection lost: {outcome.error}")
        finally:
            try:
                connection.close()
            except Exception as exc:  # every outcome is known by now; QUIT decides nothing
                log.info("closing the reminder mail connection: %s", exc)

    @staticmethod
    def _send_one(connection, message: EmailMultiAlternatives) -> Outcome:
        try:
            accepted = connection.send_messages([message])
        except smtplib.SMTPResponseException as exc:
            # The server answered with a code: the message was refused, not sent.
            if 500 <= exc.smtp_code < 600:
                return Outcome.failed(f"refused: {_error(exc)}")
            return Outcome.again(f"refused for now: {_error(exc)}")
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome.failed(f"address refused: {_error(exc)}")
        except Exception as exc:
            # The connection broke (a timeout, a reset) while this message was under way: the
            # server may hold it. Never sent twice, so not tried again; the ones after it
            # did not start and are tried again later.
            return Outcome.failed(f"{UNKNOWN}: {_error(exc)}")
        return SENT if accepted == 1 else Outcome.again("the mail backend sent nothing")


class _Prebuilt(EmailMultiAlternatives):
    """A message whose MIME form (`message()`, which the mail backend asks for when it sends)
    is made once, by the builder thread, rather than by the sender between two replies."""

    _mime: Any = None

    def prebuild(self) -> _Prebuilt:
        self._mime = super().message()
        # A boundary of its own (random, never in a reminder's text): without one, the
        # generator compiles a regular expression per message to make one.
        self._mime.set_boundary(f"=_mitra_{secrets.token_hex(16)}")
        return self

    def message(self, *args: Any, **kwargs: Any) -> Any:
        if self._mime is None or args or kwargs:
            return super().message(*args, **kwargs)
        return self._mime


class _Body:
    """A message body's template, rendered once per batch with stand-ins for the values that
    differ per message, then filled per message (a template render per message cost more than
    the rest of building it)."""

    def __init__(self, name: str, context: dict[str, str]):
        self.marks = {key: f"\x00{key}\x00" if value else "" for key, value in context.items()}
        self.text = render_to_string(name, {"site_name": settings.SITE_NAME, **self.marks})

    def fill(self, values: dict[str, str], *, html: bool = False) -> str:
        text = str(self.text)
        for key, mark in self.marks.items():
            if mark:
                text = text.replace(mark, str(escape(values[key])) if html else values[key])
        return text


class _Kit:
    """What every message of a batch shares: the bodies, the link patterns, the settings link."""

    def __init__(self) -> None:
        self.paths = links.Paths()
        self.preferences_url = links.absolute(links.preferences_path())
        # Whether there are links at all is the batch's (MITRA_BASE_URL), not the message's.
        has_links = "x" if self.preferences_url else ""
        context = {"open_url": has_links, "unsubscribe_url": has_links,
                   "preferences_url": has_links, "closes": "x"}
        self.text = _Body("reminders/email/prompt.txt", context)
        self.html = _Body("reminders/email/prompt.html", context)


def _zone(patient: Patient) -> ZoneInfo:
    try:
        return zone(patient.time_zone)
    except RuleError:
        return ZoneInfo("UTC")


def _error(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
