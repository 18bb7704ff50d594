"""The trail is tamper-evident: each event sealed (HMAC-SHA256) and chained to the one before,
`mitra audit verify` naming the first broken or missing link, and the database refusing to
rewrite the trail on SQLite as on PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import io
import pathlib
import re
import threading
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from mitra.audit import chain
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.audit.management.commands.audit import TRIGGERS
from mitra.audit.models import AuditChainHead, AuditEvent
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db

POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL only")


def verify() -> tuple[int, str]:
    """`mitra audit verify`: (exit status, what it printed)."""
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def trail(n: int = 4) -> list[AuditEvent]:
    """`n` events by a clinician about a patient, the whole trail in chain order."""
    cast = make_cast()
    for i in range(n):
        record_audit(Event.PATIENT_RECORD_VIEWED, acting=cast.clinician, patient=cast.patient,
                     detail=f"/patients/{cast.patient.uuid}/{i}")
    return list(AuditEvent.objects.order_by("seq"))


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def unguarded():
    """What someone holding the database alone can do: set the triggers aside (undone with the
    test's transaction)."""
    tables = list(TRIGGERS[connection.vendor])
    if connection.vendor == "postgresql":
        # PostgreSQL alters no table with foreign-key checks still pending in the transaction.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        for table in tables:
            sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {name}")
            yield
            for _name, create in triggers:
                cursor.execute(create)


def test_each_event_is_sealed_with_the_key_and_chained_to_the_one_before():
    events = trail()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == chain.GENESIS
    key = settings.MITRA_AUDIT_KEY.encode()
    for before, event in zip([None, *events], events, strict=False):
        assert event.prev_hash == (before.hash if before else chain.GENESIS)
        message = event.prev_hash.encode() + b"\n" + chain.canonical(
            {name: getattr(event, name) for name in chain.SEALED})
        assert event.hash == hmac.new(key, message, hashlib.sha256).hexdigest()
    # The seal covers the content: the same event with another detail seals differently.
    values = {name: getattr(events[1], name) for name in chain.SEALED}
    assert chain.seal(events[1].prev_hash, {**values, "detail": "x"}) != events[1].hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_verify_counts_an_intact_trail_and_exits_0():
    events = trail()
    status, output = verify()
    assert status == 0, output
    assert f"audit trail intact: {len(events)} events" in output
    assert events[-1].hash in output  # the head's seal, to keep elsewhere


def test_verify_finds_seals_made_with_another_key(settings):
    trail()
    settings.MITRA_AUDIT_KEY = "not the key the trail was sealed with"
    status, output = verify()
    assert status == 1
    assert "link 1 " in output and "altered or forged" in output


def test_an_event_rolled_back_takes_its_link_with_it():
    trail(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_audit(Event.ACCOUNT_SIGNED_IN, acting=None)
        raise RuntimeError("the action failed")
    record_audit(Event.ACCOUNT_SIGNED_OUT, acting=None)
    assert verify()[0] == 0
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.event == Event.ACCOUNT_SIGNED_OUT
    assert last.seq == AuditEvent.objects.count()


def _update_detail(events):
    sql("UPDATE audit_auditevent SET detail = 'tampered' WHERE seq = 2")
    return r"link 2 \(event .*\) was altered or forged"


def _replace_seal(events):
    sql("UPDATE audit_auditevent SET hash = %s WHERE seq = 2", ["f" * 64])
    return r"link 2 \(event .*\) was altered or forged"


def _relink(events):
    # Point link 3 at another seal: it no longer follows link 2.
    sql("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = 3", [events[0].hash])
    return r"link 3 \(event .*\) does not follow link 2"


def _delete_middle(events):
    sql("DELETE FROM audit_auditevent WHERE seq = 2")
    return r"link 2 is missing: the chain goes on at link 3 .*events were deleted"


def _delete_tail(events):
    last = events[-1].seq
    sql("DELETE FROM audit_auditevent WHERE seq >= %s", [last - 1])
    return rf"links {last - 1} to {last} at the end of the chain are missing"


def _delete_everything(events):
    sql("DELETE FROM audit_auditevent")
    return rf"links 1 to {events[-1].seq} at the end of the chain are missing"


def _forge_beyond_the_head(events):
    e = events[-1]
    sql("INSERT INTO audit_auditevent (uuid, at, actor_role, event, object_uuid, request_id, "
        "detail, subjects, seq, prev_hash, hash, actor_id, patient_id, client_address) "
        "SELECT %s, at, actor_role, event, object_uuid, request_id, detail, subjects, seq + 1, "
        "hash, %s, actor_id, patient_id, client_address FROM audit_auditevent WHERE seq = %s",
        [uuid.uuid4().hex if connection.vendor == "sqlite" else str(uuid.uuid4()), "0" * 64,
         e.seq])
    return rf"link {e.seq + 1} \(event .*\) lies beyond the chain head \(link {e.seq}\)"


def _forge_and_move_the_head(events):
    pattern = _forge_beyond_the_head(events)
    sql("UPDATE audit_auditchainhead SET seq = seq + 1, hash = %s", ["0" * 64])
    assert pattern
    return rf"link {events[-1].seq + 1} \(event .*\) was altered or forged"


def _rewind_the_head(events):
    sql("UPDATE audit_auditchainhead SET seq = seq - 1")
    return rf"the chain head \(link {events[-1].seq - 1}\) does not match the last event"


@pytest.mark.parametrize("tamper", [
    _update_detail, _replace_seal, _relink, _delete_middle, _delete_tail, _delete_everything,
    _forge_beyond_the_head, _forge_and_move_the_head, _rewind_the_head,
])
def test_verify_names_the_first_broken_or_missing_link_and_exits_1(tamper):
    events = trail()
    with unguarded():
        expected = tamper(events)
    status, output = verify()
    assert status == 1, output
    assert output.startswith("the audit trail is broken: ")
    assert re.search(expected, output), output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET detail = 'tampered'",
    "DELETE FROM audit_auditevent",
    "DELETE FROM audit_auditevent WHERE seq = 1",
    "UPDATE audit_auditchainhead SET seq = 0, hash = 'x'",
    "DELETE FROM audit_auditchainhead",
])
def test_the_database_refuses_to_rewrite_the_trail(statement):
    """On SQLite as on PostgreSQL: the triggers refuse raw SQL from the application's role."""
    events = trail(2)
    with pytest.raises(DatabaseError, match="append-only|only moves forward"):
        with transaction.atomic():
            sql(statement)
    assert list(AuditEvent.objects.order_by("seq")) == events
    assert verify()[0] == 0


@POSTGRES_ONLY
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditchainhead"])
def test_postgresql_refuses_truncate(table):
    events = trail(2)
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # else PostgreSQL refuses for pending FK checks
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        with transaction.atomic():
            sql(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == len(events)


def test_verify_names_a_missing_or_disabled_trigger():
    trail(2)
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql("ALTER TABLE audit_auditevent DISABLE TRIGGER mitra_audit_no_truncate")
        name = "audit_auditevent.mitra_audit_no_truncate"
    else:
        sql("DROP TRIGGER mitra_audit_no_delete")
        name = "audit_auditevent.mitra_audit_no_delete"
    status, output = verify()
    assert status == 1
    assert name in output and "missing or disabled" in output


def test_the_chain_restarts_from_the_last_event_when_its_head_row_is_gone():
    """After the test flush empties the tables the head row is recreated; if only the head
    were lost, the chain goes on from the last event and still verifies."""
    trail(2)
    with unguarded():
        sql("DELETE FROM audit_auditchainhead")
    record_audit(Event.ACCOUNT_SIGNED_OUT, acting=None)
    assert verify()[0] == 0


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_form_one_unbroken_chain():
    """Writers on their own connections, each event in a transaction that does a little more
    after it: they queue on the chain head, and every one links to the one committed before."""
    writers, each = 4, 12
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(each):
                with transaction.atomic():
                    record_audit(Event.ACCOUNT_SIGNED_IN, acting=None, detail=f"w{n} e{i}")
                    sql("SELECT pg_sleep(0.002)")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert AuditEvent.objects.count() == writers * each
    status, output = verify()
    assert status == 0, output
    assert f"{writers * each} events" in output
    # The writers really interleaved: the chain mixes them.
    order = list(AuditEvent.objects.order_by("seq").values_list("detail", flat=True))
    assert order != sorted(order, key=lambda d: d.split()[0])


def _readme_grants(app_role: str, database: str) -> list[str]:
    """The README's statements run after every migrate, for `app_role` on `database`."""
    readme = (pathlib.Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = readme.split("-- after every `mitra migrate`", 1)[1].split("\n", 1)[1]
    block = block.split("```", 1)[0]
    sql_text = "\n".join(line for line in block.splitlines()
                         if not line.strip().startswith("--"))
    statements = [s.strip() for s in sql_text.split(";") if s.strip()]
    assert any("REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent" in s for s in statements)
    return [s.replace("mitra_app", app_role).replace("DATABASE mitra ", f'DATABASE "{database}" ')
            for s in statements]


@POSTGRES_ONLY
def test_under_the_readme_grants_the_apps_role_appends_but_cannot_alter_the_trail():
    """The production notes' grants, applied to a role of this test's own (undone with the
    test's transaction): the role records events, and every way of rewriting them is refused."""
    trail(2)
    role = f"mitra_app_test_{uuid.uuid4().hex[:8]}"
    sql(f"CREATE ROLE {role}")
    for statement in _readme_grants(role, connection.settings_dict["NAME"]):
        sql(statement)
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql(f"SET LOCAL ROLE {role}")
    record_audit(Event.ACCOUNT_SIGNED_IN, acting=None)  # appending works
    refused = {
        "UPDATE audit_auditevent SET detail = 'x'": "permission denied",
        "DELETE FROM audit_auditevent": "permission denied",
        "TRUNCATE audit_auditevent CASCADE": "permission denied",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER": "must be (the )?owner",
        "DROP TRIGGER mitra_audit_append_only ON audit_auditevent": "must be (the )?owner",
        "DELETE FROM audit_auditchainhead": "permission denied",
        "UPDATE audit_auditchainhead SET seq = 1": "only moves forward",
    }
    for statement, error in refused.items():
        with pytest.raises(DatabaseError, match=error), transaction.atomic():
            sql(statement)
    sql("RESET ROLE")
    assert verify()[0] == 0
