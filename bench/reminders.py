"""Reminder dispatch at scale: 100,000 patients with daily diary schedules and fortnightly
questionnaires, 20,000 of them due in the same minute, planned and mailed to a local SMTP sink.

Builds the rows into a fresh PostgreSQL database (`--database`, dropped and created by this
script; users, patients, schedules with their `next_fire_at`, a reminder preference for one
patient in five) with `bulk_create`. The due minute is 18:00 UTC: 20:00 in Berlin, 14:00 in New
York and 18:00 in London's winter zone (UTC) for a third of the due patients each; everyone
else's diary falls in another minute of the day and every questionnaire on another day.

Then, in a fresh process (so that its peak memory is the dispatch's own), it runs the planner
(`plan_due`) and the sender (`send_due`) once at that minute against an SMTP sink (aiosmtpd, in
a process of its own, counting and discarding), and prints prompts per second, wall seconds of
each step, the number of queries, the peak memory (resident set size, and its rise over the
process before the run), and the ceiling measured in the same run: the same number of
prebuilt messages sent raw with smtplib over one connection to the same sink. A second run at
the same minute shows what an idle minute costs. Target (issue): the minute's 20,000 prompts
dispatched within 60 s on a 2-core machine, the query count not growing with the patients.

    .venv/bin/python bench/reminders.py [--patients 100000] [--due 20000] [--batch N]
        [--postgres-url postgres://postgres@127.0.0.1:5432] [--database mitra_bench_reminders]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITRA = str(Path(sys.executable).with_name("mitra"))
TARGET_SECONDS = 60
# The due minute, and the bench's "now" within it.
DAY = date(2026, 6, 1)
DUE_AT = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
NOW = DUE_AT + timedelta(seconds=30)
# Local times that are 18:00 UTC on DAY (summer time in Berlin and New York).
DUE_ZONES = (("UTC", "18:00"), ("Europe/Berlin", "20:00"), ("America/New_York", "14:00"))
CHUNK = 5000
QUIET = (dt_time(2, 0), dt_time(2, 30))  # local, for one patient in five


def _fresh_postgres(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    django.setup()


# --- the rows ------------------------------------------------------------------------------------


def build(patients: int, due: int) -> dict:
    """Runs in a process whose DATABASE_URL points at the fresh, migrated database."""
    _setup_django()
    from datetime import time as clock

    from mitra.accounts.models import Role, User
    from mitra.measures.models import Schedule
    from mitra.patients.models import Patient
    from mitra.reminders.models import Preference

    started = time.monotonic()
    made = 0
    for first in range(0, patients, CHUNK):
        numbers = range(first, min(patients, first + CHUNK))
        users = User.objects.bulk_create([
            User(username=f"bench{n}", email=f"bench{n}@bench.invalid", role=Role.PATIENT,
                 password="!") for n in numbers])  # noqa: S106 - unusable, as set_unusable_password()
        rows = []
        for n, user in zip(numbers, users, strict=True):
            zone = DUE_ZONES[n % 3][0] if n < due else ("UTC", "Europe/Berlin",
                                                          "America/New_York")[n % 3]
            rows.append(Patient(user=user, display_name=f"Bench {n}", pseudonym=f"B{n:08d}",
                                time_zone=zone, enrolled_on=DAY - timedelta(days=60)))
        people = Patient.objects.bulk_create(rows)
        schedules, prefs = [], []
        for n, patient in zip(numbers, people, strict=True):
            if n < due:
                at = clock.fromisoformat(DUE_ZONES[n % 3][1])
                fire = DUE_AT
            else:
                # Any other minute of the day (UTC), the next one after NOW.
                minute = (n * 7919) % 1440
                if minute == 18 * 60:
                    minute += 1
                fire = datetime.combine(DAY, clock(0, 0), tzinfo=UTC) + timedelta(minutes=minute)
                at = fire.astimezone(_zone(patient.time_zone)).time()
                if n % 5 == 0 and QUIET[0] <= at < QUIET[1]:
                    fire += timedelta(minutes=40)  # clear of the quiet hours below
                    at = fire.astimezone(_zone(patient.time_zone)).time()
                if fire <= NOW:
                    fire += timedelta(days=1)
            schedules.append(Schedule(
                patient=patient, form=Schedule.Form.DIARY, cadence=Schedule.Cadence.INTERVAL,
                every_days=1, start=DAY - timedelta(days=30), time_of_day=at,
                window_minutes=3 * 24 * 60, next_fire_at=fire))
            # Fortnightly PHQ-9 at 09:00 local: the last one closed (its 3-day window), the
            # next on one of the next 10 days.
            start = DAY - timedelta(days=14) + timedelta(days=1 + n % 10)
            next_day = start + timedelta(days=14)
            schedules.append(Schedule(
                patient=patient, form=Schedule.Form.QUESTIONNAIRE, instrument="phq9",
                cadence=Schedule.Cadence.INTERVAL, every_days=14, start=start,
                time_of_day=clock(9, 0),
                next_fire_at=datetime.combine(next_day, clock(9, 0),
                                              tzinfo=_zone(patient.time_zone)).astimezone(UTC)))
            if n % 5 == 0:
                # Quiet hours that none of the patient's reminders fall in.
                prefs.append(Preference(patient=patient, quiet_start=QUIET[0],
                                        quiet_end=QUIET[1]))
        Schedule.objects.bulk_create(schedules, batch_size=CHUNK)
        Preference.objects.bulk_create(prefs)
        made += len(people)
    history = _history()
    return {"patients": made, "seconds": time.monotonic() - started, "history": history,
            "check": _check_times(due)}


def _history() -> int:
    """A week of past prompts for every diary and the last one of every questionnaire, as a
    running system holds them (the planner reads each schedule's last prompt), made by the
    database itself: every occurrence before the schedule's next fire time."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO reminders_prompt (uuid, patient_id, schedule_id, due_on, fire_at,
                                          expires_at, state, failure, created_at)
            SELECT gen_random_uuid(), s.patient_id, s.id, o.day, o.fire,
                   o.fire + make_interval(mins => s.window_minutes),
                   CASE WHEN o.day < %s THEN 'expired' ELSE 'answered' END, '', now()
            FROM measures_schedule s
            JOIN patients_patient p ON p.id = s.patient_id
            CROSS JOIN LATERAL (
                SELECT d::date AS day, (d::date + s.time_of_day) AT TIME ZONE p.time_zone AS fire
                FROM generate_series(CASE WHEN s.form = 'diary' THEN %s::date ELSE s.start END,
                                     %s::date, interval '1 day') AS d
                WHERE s.form = 'diary' OR d::date = s.start
            ) AS o
            WHERE o.fire < s.next_fire_at
        """, [DAY - timedelta(days=3), DAY - timedelta(days=7), DAY])
        made = cursor.rowcount
        cursor.execute("ANALYZE")
    return made


def reset() -> dict:
    """Undo a measured run on a built database (`--again`): the due minute's prompts go, their
    schedules are due again."""
    _setup_django()
    from mitra.measures.models import Schedule
    from mitra.reminders.models import Prompt

    made = Prompt.objects.filter(fire_at=DUE_AT)
    ids = list(made.values_list("schedule_id", flat=True))
    made.delete()
    Schedule.objects.filter(pk__in=ids).update(next_fire_at=DUE_AT)
    return {"reset": len(ids)}


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _check_times(due: int) -> str:
    """The times written above are the planner's own: `replan` of a sample changes none."""
    from mitra.measures.models import Schedule
    from mitra.reminders.planner import replan

    sample = list(Schedule.objects.order_by("pk").values_list("pk", flat=True)[:300])
    sample += list(Schedule.objects.order_by("-pk").values_list("pk", flat=True)[:300])
    changed = replan(sample, now=NOW)
    if changed:
        raise SystemExit(f"bench data disagrees with the planner on {changed} schedules")
    return f"replan of {len(sample)} sample schedules changed none"


# --- the SMTP sink ---------------------------------------------------------------------------


def _sink(port: int, count, ready, stop) -> None:
    """aiosmtpd on 127.0.0.1:port, in its own process: counts each message, keeps none."""
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    def __init__(self) -> None:
        from mitra.safety.tests.smtpservers import free_port

        self.port = free_port()
        self.count = multiprocessing.Value("l", 0)
        self._ready, self._stop = multiprocessing.Event(), multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_sink, args=(self.port, self.count, self._ready, self._stop), daemon=True)

    def __enter__(self) -> Sink:
        self._process.start()
        if not self._ready.wait(15):
            raise SystemExit("the SMTP sink did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._process.join(10)


# --- the measurement ---------------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(due: int, batch: int | None) -> dict:
    """Runs in a fresh process against the built database, with the sink on EMAIL_PORT."""
    _setup_django()
    from django.conf import settings
    from django.db import connection

    from mitra.reminders import dispatch
    from mitra.reminders.channels import EmailChannel
    from mitra.reminders.models import Delivery, Prompt
    from mitra.reminders.planner import plan_due

    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    before_mb = _peak_mb()
    result: dict = {"batch": batch or settings.MITRA_REMINDER_BATCH}
    with connection.execute_wrapper(count):
        began, cpu = time.monotonic(), time.process_time()
        planned = plan_due(NOW, batch=batch)
        planned_at, plan_cpu = time.monotonic(), time.process_time()
        plan_queries = queries["n"]
        sent = dispatch.send_due(NOW, batch=batch)
        done, send_cpu = time.monotonic(), time.process_time()
        result.update(planned=planned, sent=sent, plan_s=planned_at - began,
                      send_s=done - planned_at, wall_s=done - began, plan_queries=plan_queries,
                      send_queries=queries["n"] - plan_queries, plan_cpu=plan_cpu - cpu,
                      send_cpu=send_cpu - plan_cpu)
        # The same minute again: nothing new, and what an idle run costs.
        queries["n"] = 0
        began = time.monotonic()
        again = plan_due(NOW, batch=batch) + dispatch.send_due(NOW, batch=batch)
        result.update(again=again, idle_s=time.monotonic() - began, idle_queries=queries["n"])
    result.update(peak_mb=_peak_mb(), rise_mb=_peak_mb() - before_mb,
                  prompts=Prompt.objects.count(),
                  deliveries_sent=Delivery.objects.filter(state=Delivery.State.SENT).count())

    # The ceiling: the same number of messages, built once, sent raw over one connection.
    sample = Delivery.objects.select_related("prompt__patient__user", "prompt__schedule")[0]
    raw = EmailChannel().message(sample).message().as_bytes(linesep="\r\n")
    began = time.monotonic()
    with smtplib.SMTP("127.0.0.1", settings.EMAIL_PORT, timeout=10) as smtp:
        for n in range(due):
            smtp.sendmail("mitra@localhost", [f"bench{n}@bench.invalid"], raw)
    result["ceiling_s"] = time.monotonic() - began
    result["message_bytes"] = len(raw)
    return result


def _run(argv: list[str], env: dict) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:3])} failed: {done.stderr.strip()[-3000:]}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=None,
                        help="planner and sender batch (default: MITRA_REMINDER_BATCH, 1000)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "MITRA_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="mitra_bench_reminders")
    parser.add_argument("--again", action="store_true",
                        help="measure again on the database an earlier run built (no build)")
    parser.add_argument("--step", choices=["build", "measure", "reset"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.due <= args.patients:
        parser.error("--due: from 1 to --patients")
    if args.step == "build":
        print(json.dumps(build(args.patients, args.due)))
        return 0
    if args.step == "reset":
        print(json.dumps(reset()))
        return 0
    if args.step == "measure":
        print(json.dumps(measure(args.due, args.batch)))
        return 0

    print(f"reminder benchmark: {args.patients} patients ({2 * args.patients} schedules), "
          f"{args.due} due at {DUE_AT:%H:%M} UTC, {os.cpu_count()} CPUs, PostgreSQL")
    with tempfile.TemporaryDirectory(prefix="mitra-bench-reminders-") as tmp:
        url = (f"{args.postgres_url}/{args.database}" if args.again
               else _fresh_postgres(args.postgres_url, args.database))
        env = {**os.environ, "DATABASE_URL": url, "MITRA_VAR_DIR": str(Path(tmp) / "var"),
               "PYTHONPATH": str(ROOT)}
        began = time.monotonic()
        me = [sys.executable, __file__, "--patients", str(args.patients), "--due", str(args.due)]
        if args.batch:
            me += ["--batch", str(args.batch)]
        if args.again:
            _run([*me, "--step", "reset"], env)
        else:
            _run([MITRA, "migrate", "--no-input"], env)
            built = json.loads(_run([*me, "--step", "build"], env).strip().splitlines()[-1])
            print(f"  built in {time.monotonic() - began:.0f} s, with {built['history']} past "
                  f"prompts ({built['check']})", flush=True)
        with Sink() as sink:
            env |= {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port),
                    "MITRA_BASE_URL": "https://mitra.example.org"}
            r = json.loads(_run([*me, "--step", "measure"], env).strip().splitlines()[-1])
            received = sink.count.value
    dispatched = r["sent"]
    rate = dispatched / r["wall_s"] if r["wall_s"] else 0.0
    ceiling_rate = args.due / r["ceiling_s"] if r["ceiling_s"] else 0.0
    ok = (r["planned"] == args.due and dispatched == args.due and r["again"] == 0
          and received == 2 * args.due and r["wall_s"] <= TARGET_SECONDS)
    print(f"  planned {r['planned']} prompts in {r['plan_s']:.1f} s "
          f"({r['plan_cpu']:.1f} s CPU; {r['plan_queries']} queries, batch {r['batch']})")
    print(f"  sent {dispatched} e-mails in {r['send_s']:.1f} s ({r['send_cpu']:.1f} s CPU; "
          f"{r['send_queries']} queries)")
    print(f"  dispatched: {rate:,.0f} prompts/s, {r['wall_s']:.1f} s wall, load average "
          f"{os.getloadavg()[0]:.1f} "
          f"(target <= {TARGET_SECONDS} s: {'ok' if r['wall_s'] <= TARGET_SECONDS else 'OVER'})")
    print(f"  queries: {r['plan_queries'] + r['send_queries']} in all, "
          f"{(r['plan_queries'] + r['send_queries']) / max(1, args.due / r['batch']):.1f} per "
          f"batch of {r['batch']}; an idle minute: {r['idle_queries']} queries, "
          f"{r['idle_s'] * 1000:.0f} ms, {r['again']} new")
    print(f"  peak memory: {r['peak_mb']:.0f} MB resident, {r['rise_mb']:.0f} MB over the "
          "process before the run")
    print(f"  ceiling: {args.due} prebuilt {r['message_bytes']}-byte messages over one raw SMTP "
          f"connection in {r['ceiling_s']:.1f} s ({ceiling_rate:,.0f}/s)")
    print(f"  sink received {received} (the dispatch's {dispatched} and the ceiling's "
          f"{args.due}); {r['prompts']} prompts stored")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
