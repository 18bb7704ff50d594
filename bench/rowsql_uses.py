"""What each written-out statement (`mitra.lib.rowsql`) buys against the ORM, per diary submission.

    .venv/bin/python bench/rowsql_uses.py [--rounds 2000]

On PostgreSQL (DATABASE_URL, default: database mitra_rowsql_bench on the local server, created
and migrated when needed) with prepared statements on, as in production. For each place that
uses rowsql it times the statement both ways in one process, alternating in blocks so a slow
spell of the shared machine hits both alike, and prints microseconds per call for each, the
difference, and that difference as a share of one whole diary submission (a signed-in JSON POST
through Django's test client, timed in the same run). A use that buys less than about 5% of a
submission goes back to the ORM. Not part of the test suite.

It times the uses that are left. The session read and the entry, use-event and audit inserts
were measured here too and went back to the ORM (Django's session store, `Model.objects.create`):
each bought less than the 5%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mitra_rowsql_bench"


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the operator's URL


def per_call(fn: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - started) / rounds * 1e6


def compare(ways: dict[str, Callable[[], object]], rounds: int, blocks: int = 5) -> dict:
    """Median of `blocks` alternating blocks per way, microseconds per call."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(blocks):
        for name, fn in ways.items():
            times[name].append(per_call(fn, rounds // blocks))
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        print("bench/rowsql_uses.py measures PostgreSQL: set DATABASE_URL=postgres://...")
        return 2
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from mitra.accounts.models import User
    from mitra.diary.alerts import has_unresolved_missed_diary_alert
    from mitra.diary.models import DiaryEntry, UseEvent
    from mitra.diary.queries import load_diary
    from mitra.lib import rowsql
    from mitra.patients.models import Patient
    from mitra.safety.models import Alert
    from mitra.testing import login, make_patient

    call_command("migrate", verbosity=0)
    options = settings.DATABASES["default"].get("OPTIONS", {})
    print(f"PostgreSQL, prepared statements: {options.get('prepare_threshold', 'off')}; "
          f"{args.rounds} calls per way")
    name = f"b{uuid.uuid4().hex[:10]}"
    patient = make_patient(name, "Bench Patient",  # enrolled before the days posted
                           enrolled_on=timezone.localdate() - timedelta(days=366))
    client = login(Client(HTTP_HOST="127.0.0.1"), patient.user)
    rng_days = [timezone.localdate() - timedelta(days=i) for i in range(1, 366)]

    def submit(day: date) -> None:
        body = json.dumps({
            "uuid": str(uuid.uuid4()), "date": day.isoformat(), "mood": 5, "anxiety": 4,
            "craving": 3, "sleep_quality": 6, "withdrawal": 1, "motives": ["pain"], "note": "",
            "uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g",
                      "time": "08:00"}],
        })
        response = client.post("/diary/api/entries/", body, content_type="application/json")
        assert response.status_code in (200, 201), response.content[:200]

    days = iter(rng_days * 50)
    for _ in range(50):  # warm-up: caches, prepared statements
        submit(next(days))
    submission = compare({"submission": lambda: submit(next(days))}, min(args.rounds, 500))
    whole = submission["submission"]
    print(f"one diary submission (test client, in-process): {whole:8.0f} µs")

    user_pk = patient.user.pk
    entry = DiaryEntry.objects.filter(patient=patient).first()
    # Another day's entry (one use event) for the edit's UPDATE: the timed inserts below all
    # hang off `entry`.
    edited = DiaryEntry.objects.filter(patient=patient).exclude(pk=entry.pk).first()
    uses = {
        "user + patient read": {
            "rowsql": lambda: rowsql.get_with(User, "pk", user_pk, Patient, "user"),
            "ORM": lambda: User.objects.select_related("patient").get(pk=user_pk),
        },
        "edit: old version off": {
            "rowsql": lambda: rowsql.execute(
                f"UPDATE {rowsql.table(UseEvent)} SET is_current = %s "  # noqa: S608
                "WHERE entry_id = %s", [True, edited.pk]),
            "ORM": lambda: UseEvent.objects.filter(entry_id=edited.pk).update(is_current=True),
        },
        "42 days of diary": {
            "rowsql": lambda: load_diary(patient, entry.date - timedelta(days=41), entry.date),
            "ORM": lambda: [(e.date, [(u.substance, u.amount, u.unit, u.grams)
                                      for u in e.uses.all()])
                            for e in DiaryEntry.objects.filter(
                                patient=patient, is_current=True,
                                date__range=(entry.date - timedelta(days=41), entry.date))
                            .prefetch_related("uses")],
        },
        "missed-diary check": {
            "rowsql": lambda: has_unresolved_missed_diary_alert(patient, entry.date),
            "ORM": lambda: Alert.objects.filter(
                patient=patient, dedupe_key__gte="diary:missed:",
                dedupe_key__lte=f"diary:missed:{entry.date}", kind=Alert.Kind.MISSED_DIARY)
            .exclude(status=Alert.Status.RESOLVED).exists(),
        },
        "alert keys look-up": {
            "rowsql": lambda: rowsql.rows(
                f"SELECT dedupe_key FROM {rowsql.table(Alert)} WHERE patient_id = %s "  # noqa: S608
                "AND dedupe_key = ANY(%s)", [patient.pk, ["a", "b"]]),
            "ORM": lambda: list(Alert.objects.filter(
                patient_id=patient.pk, dedupe_key__in=["a", "b"]).values_list(
                    "dedupe_key", flat=True)),
        },
        "day look-up (locked)": {
            "rowsql": lambda: rowsql.rows(
                f"SELECT id, uuid, patient_id, version, payload_hash FROM "  # noqa: S608
                f"{rowsql.table(DiaryEntry)} WHERE uuid = %s OR (patient_id = %s AND "
                "date = %s AND is_current) FOR UPDATE",
                [uuid.uuid4(), patient.pk, entry.date]),
            "ORM": lambda: list(DiaryEntry.objects.select_for_update().filter(
                django.db.models.Q(uuid=uuid.uuid4()) | django.db.models.Q(
                    patient_id=patient.pk, date=entry.date, is_current=True)).values_list(
                        "id", "uuid", "patient_id", "version", "payload_hash")),
        },
    }
    print(f"{'use':<22} {'rowsql µs':>10} {'ORM µs':>10} {'saves µs':>9} {'share':>7}")
    with transaction.atomic():
        for use, ways in uses.items():
            result = compare(ways, args.rounds)
            mine, orm = result["rowsql"], next(v for k, v in result.items() if k != "rowsql")
            print(f"{use:<22} {mine:10.1f} {orm:10.1f} {orm - mine:9.1f} "
                  f"{(orm - mine) / whole:7.1%}")
        transaction.set_rollback(True)  # the rows made for timing are not kept
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
