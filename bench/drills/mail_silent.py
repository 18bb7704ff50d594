"""Drill (a): a mail server that accepts connections and never answers, then a working one,
while patients post diary entries and a clinician acknowledges alerts.

    .venv/bin/python bench/drills/mail_silent.py [--db sqlite|postgres] [--silent 30]

Urgent alerts are made due for escalation (raised 31 minutes ago): `--due` to stay
unacknowledged, `--acked` for the clinician to acknowledge during the fault. The site's mail
goes to a port on loopback where `SilentServer` accepts and never says a word (EMAIL_TIMEOUT
at its default, 10 s). A cron stand-in starts `mitra escalate` every 3 s (at most two at
once, as cron would overlap them) while the clients post (`common`: each entry retried with
its UUID until acknowledged) and the clinician acknowledges, for `--silent` seconds. Then a
real SMTP sink (aiosmtpd, `SmtpSink`) takes the port; the runs go on until every due alert is
mailed (a failed mail's retry is a minute later) or 150 s pass.

Targets: the site keeps answering while escalation hangs (every post and acknowledge
acknowledged, none taking 5 s: a request held up by the mail would wait out its 10 s, or on
SQLite fail at the 5 s busy timeout); every run of `mitra escalate` exits 1 with one line per
failed mail (as many as the silent server took) or 0 with nothing to say; every due alert
mailed exactly once, and no acknowledged one. Prints the figures of `common` and the mail's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import common

EMAIL_TIMEOUT = 10  # the default
# A request held up by a mail in flight would wait out the whole EMAIL_TIMEOUT, or on SQLite
# fail after the 5 s busy timeout; a loaded machine's slowest answers stay well under this.
SLOW = 5.0


class Cron:
    """Starts `mitra escalate` every `every` seconds, at most `at_most` running at once."""

    def __init__(self, site: common.Site, every: float = 3, at_most: int = 2):
        self.site, self.every, self.at_most = site, every, at_most
        self.runs: list[tuple[float, float, int, int]] = []  # start, end, status, stderr lines
        self.running: list[subprocess.Popen] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._waiters: list[threading.Thread] = []

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0 if not self.runs and not self.running else self.every):
            self.running = [p for p in self.running if p.poll() is None]
            if len(self.running) >= self.at_most:
                continue
            started = time.monotonic()
            proc = subprocess.Popen(  # noqa: S603 - fixed argv
                [common.MITRA, "escalate"], env=self.site.env, cwd=common.ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.running.append(proc)
            waiter = threading.Thread(target=self._wait, args=(proc, started), daemon=True)
            waiter.start()
            self._waiters.append(waiter)

    def _wait(self, proc: subprocess.Popen, started: float) -> None:
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        lines = [line for line in err.splitlines() if line.strip()]
        self.runs.append((started, time.monotonic(), proc.returncode, len(lines)))
        if proc.returncode not in (0, 1) or any("Traceback" in line for line in lines):
            common.say(f"mitra escalate exited {proc.returncode}: {err.strip()[-500:]}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for waiter in self._waiters:
            waiter.join(timeout=130)


def make_alerts(people: common.People, due: int, acked: int) -> tuple[list, list]:
    from django.utils import timezone

    from mitra.patients.models import Patient
    from mitra.safety.actions import do_raise_alert
    from mitra.safety.models import Alert

    patients = list(Patient.objects.filter(pk__in=people.patient_ids).order_by("pk"))
    alerts = []
    for i in range(due + acked):
        alert, _ = do_raise_alert(patients[i % len(patients)], kind=Alert.Kind.SUICIDE_RISK,
                                  priority=Alert.Priority.URGENT, reason="PHQ-9 item 9 above 0",
                                  dedupe_key=f"drill:{i}")
        alerts.append(alert)
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(
        created_at=timezone.now() - timedelta(minutes=31))
    common.close_db()
    return alerts[:due], alerts[due:]


def acknowledge(site: common.Site, session: str, alerts: list, spacing: float,
                results: list) -> None:
    from django.urls import reverse

    for alert in alerts:
        time.sleep(spacing)
        path = reverse("safety:alert_ack", args=[alert.uuid])
        for _ in range(20):
            status, seconds = common.post_form(site, session, path)
            results.append((status, seconds))
            if status == 302:
                break
            time.sleep(0.5)


def escalated(alerts: list) -> int:
    from mitra.safety.models import Alert

    common.close_db()
    return Alert.objects.filter(pk__in=[a.pk for a in alerts], escalated_at__isnull=False).count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.common_arguments(parser)
    parser.add_argument("--silent", type=float, default=30, help="seconds of the silent server")
    parser.add_argument("--due", type=int, default=5, help="due alerts nobody acknowledges")
    parser.add_argument("--acked", type=int, default=3, help="due alerts acknowledged meanwhile")
    args = parser.parse_args()
    port = common.free_port()
    with common.drill_dir("mail") as tmp:
        url, cluster = common.database_for(args.db, tmp)
        server = cron = silent = sink = None
        try:
            site = common.make_site(tmp, url, EMAIL_PORT=str(port),
                                    EMAIL_TIMEOUT=str(EMAIL_TIMEOUT))
            people = common.make_people(args.clients)
            due, acked = make_alerts(people, args.due, args.acked)
            silent = common.SilentServer(port)
            server = common.Server(site)
            server.start()
            common.say(f"mitra serve ready in {server.wait_ready():.1f} s; the mail server on "
                       f"port {port} accepts and never answers")
            load = common.DiaryLoad(site, people.client_sessions, deadline=240).start()
            cron = Cron(site)
            cron.start()
            acks: list[tuple[int | None, float]] = []
            acker = threading.Thread(target=acknowledge, daemon=True, args=(
                site, people.clinician_session, acked, args.silent / (args.acked + 1), acks))
            acker.start()
            time.sleep(args.silent)
            acker.join(timeout=60)
            silent_connections = silent.accepted
            silent.stop()
            silent = None
            sink = common.SmtpSink(port)
            back_at = time.monotonic()
            common.say(f"t={back_at - load.started:.1f} s: a working SMTP server on port {port}; "
                       f"{silent_connections} connections had waited on the silent one")
            time.sleep(10)
            load.stop()
            deadline = time.monotonic() + 150
            while escalated(due) < len(due) and time.monotonic() < deadline:
                time.sleep(2)
            mailed_at = time.monotonic()
            time.sleep(2 * cron.every)  # a few more runs: nothing more may be sent
            cron.stop()
            result = common.figures(load, people.patient_ids, back_at)
        finally:
            for part in (cron, silent, sink, server):
                if part is not None:
                    part.stop()
            if cluster is not None:
                cluster.remove()
    ids = Counter(r.message["Message-ID"].split(".", 1)[1].split("@")[0] for r in sink.received)
    per_due = [ids.get(str(a.uuid), 0) for a in due]
    per_acked = [ids.get(str(a.uuid), 0) for a in acked]
    # (start, end, status, stderr lines): exit 1 prints a line per failure and one summary.
    failures = [lines - 1 if status == 1 else 0 for _, _, status, lines in cron.runs]
    agree = all((status == 1 and lines >= 2) or (status == 0 and lines == 0)
                for _, _, status, lines in cron.runs)
    during = [r for r in cron.runs if r[0] < back_at]
    last_runs = [r for r in cron.runs if r[0] >= mailed_at]
    fault_slowest = max((a.seconds for a in load.attempts if a.at < back_at), default=0.0)
    print(f"  during the silent mail server ({args.silent:g} s): {silent_connections} mails "
          f"waited on it; {len(during)} runs of mitra escalate started, exit statuses "
          f"{dict(Counter(r[2] for r in during))}, longest run "
          f"{max((r[1] - r[0] for r in during), default=0):.1f} s; slowest diary post "
          f"{fault_slowest:.2f} s; acknowledges {len([s for s, _ in acks if s == 302])} of "
          f"{len(acked)} (statuses {dict(Counter(s for s, _ in acks))}, slowest "
          f"{max((t for _, t in acks), default=0):.2f} s)")
    print(f"  mitra escalate, all {len(cron.runs)} runs: {sum(failures)} failure lines in all, "
          f"exit status {'agreeing with them in every run' if agree else 'NOT agreeing'} "
          f"(1 with one line per failure, else 0 and nothing on stderr); after the last mail "
          f"{dict(Counter(r[2] for r in last_runs))}")
    print(f"  after the mail server came back: every due alert mailed "
          f"{mailed_at - back_at:.0f} s later (a failed mail is tried again a minute on); "
          f"mails per due alert {per_due}, per acknowledged alert {per_acked}")
    misses = []
    if per_due != [1] * len(due):
        misses.append(f"due alerts mailed {per_due} times (1 each expected)")
    if any(per_acked):
        misses.append("an acknowledged alert was mailed")
    if len([s for s, _ in acks if s == 302]) != len(acked):
        misses.append("an acknowledge failed")
    if max((t for _, t in acks), default=0) >= SLOW or fault_slowest >= SLOW:
        misses.append(f"a request took {SLOW:g} s or more while the mail hung")
    if not agree or sum(failures) != silent_connections:
        misses.append(f"mitra escalate reported {sum(failures)} failures for "
                      f"{silent_connections} mails that hung, or an exit status disagreed")
    if not last_runs or any(r[2] != 0 for r in last_runs):
        misses.append("mitra escalate did not exit 0 once everything was mailed")
    return common.finish(f"drill (a): a silent mail server for {args.silent:g} s, then a working "
                         f"one ({args.db}, {args.clients} clients, {args.due} due and "
                         f"{args.acked} acknowledged alerts)", result, misses)


if __name__ == "__main__":
    sys.exit(main())
