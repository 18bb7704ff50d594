"""On PostgreSQL, refuse UPDATE and DELETE on the audit table in the database itself.

The model already refuses them; the trigger also stops raw SQL and any other client that uses
the application's database role. SQLite is skipped: it is the single-machine demo database,
and Django's test flush deletes rows there.
"""

from django.db import migrations

TABLE = "audit_auditevent"

CREATE = f"""
CREATE OR REPLACE FUNCTION mitra_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on {TABLE} refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS mitra_audit_append_only ON {TABLE};
CREATE TRIGGER mitra_audit_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION mitra_audit_append_only();
"""

DROP = f"""
DROP TRIGGER IF EXISTS mitra_audit_append_only ON {TABLE};
DROP FUNCTION IF EXISTS mitra_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
