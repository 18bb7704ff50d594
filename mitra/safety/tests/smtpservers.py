"""Real mail servers on loopback for the escalation tests and the fault drills (`bench/drills`).

- `SilentServer`: accepts TCP connections and never sends a byte (no greeting), the mail
  server that froze escalation: a few lines of socket code.
- `SmtpSink`: a real SMTP server (aiosmtpd) that keeps every message it accepts. It can
  refuse some recipients (550, as a server refusing a mailbox), take its time over each
  message, or take the whole envelope and then never answer the message (`hang=True`): the
  silence comes after DATA, where the server may already hold the message.

Each runs on its own thread, binds 127.0.0.1 only and is a context manager that stops it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentServer:
    """Listens on 127.0.0.1:`port` (a free one by default), accepts and says nothing."""

    def __init__(self, port: int | None = None):
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port or 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self.connected = threading.Event()  # set at the first connection
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            self._held.append(conn)  # held open, never read, never answered
            self.accepted += 1
            self.connected.set()

    def stop(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone may not.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.hang:
            self.sink.data_received.set()
            await asyncio.Event().wait()  # never answers; cancelled when the sink stops
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        with self.sink.lock:
            self.sink.received.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1:`port`; `received` holds the accepted messages in order."""

    def __init__(self, port: int | None = None, *, refuse: frozenset[str] = frozenset(),
                 hang: bool = False, delay: float = 0.0):
        self.refuse, self.hang, self.delay = refuse, hang, delay
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.data_received = threading.Event()
        self.port = port or free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      ready_timeout=10)
        self._start()

    def _start(self) -> None:
        # The port may still be held by a server stopped a moment ago (the drills reuse it).
        deadline = time.monotonic() + 5
        while True:
            try:
                self._controller.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self._controller._thread = None
                time.sleep(0.1)

    def subjects(self) -> list[str]:
        with self.lock:
            return [r.message["Subject"] for r in self.received]

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
