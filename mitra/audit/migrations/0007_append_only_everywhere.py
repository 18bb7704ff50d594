"""The chain columns become required, and the database refuses to rewrite the trail.

PostgreSQL: UPDATE, DELETE and TRUNCATE on the events refused by triggers; the chain head may
only move forward and never be deleted or truncated. SQLite gets the same row triggers (it has
no TRUNCATE: a DELETE without WHERE fires the row trigger). Triggers stop the application's
own database role by mistake or by a stolen connection string; with the production grants in
the README the role cannot drop them either, and the hash chain shows whatever an owner did.
Created last: on SQLite, altering a table's columns rebuilds it and drops its triggers.
"""

from importlib import import_module

from django.db import migrations, models

# Unapplying is refused (0004): this operation goes last, so that it is the first undone.
RefuseReverse = import_module("mitra.audit.migrations.0004_refuse_reverse").RefuseReverse

EVENTS = "audit_auditevent"
HEAD = "audit_auditchainhead"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION mitra_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION mitra_audit_head_forward() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward: UPDATE on % refused',
            TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS mitra_audit_append_only ON {EVENTS};
CREATE TRIGGER mitra_audit_append_only BEFORE UPDATE OR DELETE ON {EVENTS}
    FOR EACH ROW EXECUTE FUNCTION mitra_audit_append_only();
DROP TRIGGER IF EXISTS mitra_audit_no_truncate ON {EVENTS};
CREATE TRIGGER mitra_audit_no_truncate BEFORE TRUNCATE ON {EVENTS}
    FOR EACH STATEMENT EXECUTE FUNCTION mitra_audit_append_only();
DROP TRIGGER IF EXISTS mitra_audit_head_forward ON {HEAD};
CREATE TRIGGER mitra_audit_head_forward BEFORE UPDATE ON {HEAD}
    FOR EACH ROW EXECUTE FUNCTION mitra_audit_head_forward();
DROP TRIGGER IF EXISTS mitra_audit_head_kept ON {HEAD};
CREATE TRIGGER mitra_audit_head_kept BEFORE DELETE ON {HEAD}
    FOR EACH ROW EXECUTE FUNCTION mitra_audit_append_only();
DROP TRIGGER IF EXISTS mitra_audit_head_no_truncate ON {HEAD};
CREATE TRIGGER mitra_audit_head_no_truncate BEFORE TRUNCATE ON {HEAD}
    FOR EACH STATEMENT EXECUTE FUNCTION mitra_audit_append_only();
"""

POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS mitra_audit_append_only ON {EVENTS};
DROP TRIGGER IF EXISTS mitra_audit_no_truncate ON {EVENTS};
DROP TRIGGER IF EXISTS mitra_audit_head_forward ON {HEAD};
DROP TRIGGER IF EXISTS mitra_audit_head_kept ON {HEAD};
DROP TRIGGER IF EXISTS mitra_audit_head_no_truncate ON {HEAD};
DROP FUNCTION IF EXISTS mitra_audit_head_forward();
"""

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS mitra_audit_no_update BEFORE UPDATE ON {EVENTS}
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE on {EVENTS} refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS mitra_audit_no_delete BEFORE DELETE ON {EVENTS}
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on {EVENTS} refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS mitra_audit_head_forward BEFORE UPDATE ON {HEAD}
    WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: UPDATE on {HEAD} refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS mitra_audit_head_kept BEFORE DELETE ON {HEAD}
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on {HEAD} refused'); END""",
]
SQLITE_NAMES = ["mitra_audit_no_update", "mitra_audit_no_delete", "mitra_audit_head_forward",
                "mitra_audit_head_kept"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Back to 0006's state, no trigger: stepping back over 0006 recreates 0002's.
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [("audit", "0006_seal_stored_events")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        RefuseReverse(),
    ]
