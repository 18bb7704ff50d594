"""Seal the events stored before the chain existed, in the order they were written (by id).

PostgreSQL's append-only trigger (0002) is dropped first so that the seals can be written;
0007 creates the triggers anew. Runs in its own transaction: PostgreSQL will not alter a table
in the transaction that updated its rows.
"""

from django.db import migrations

from mitra.audit.chain import GENESIS, HEAD_ID, SEALED, seal

BATCH = 2000


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS mitra_audit_append_only ON audit_auditevent", params=None)
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    seq, prev_hash, batch = 0, GENESIS, []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=BATCH):
        seq += 1
        event.seq = seq
        event.prev_hash = prev_hash
        event.hash = prev_hash = seal(prev_hash, {n: getattr(event, n) for n in SEALED})
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    AuditChainHead.objects.update_or_create(pk=HEAD_ID, defaults={"seq": seq, "hash": prev_hash})


# 0002's trigger, as it was.
APPEND_ONLY_0002 = """
CREATE OR REPLACE FUNCTION mitra_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on audit_auditevent refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS mitra_audit_append_only ON audit_auditevent;
CREATE TRIGGER mitra_audit_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION mitra_audit_append_only();
"""


def backwards(apps, schema_editor):
    apps.get_model("audit", "AuditChainHead").objects.all().delete()
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_0002, params=None)


class Migration(migrations.Migration):

    dependencies = [("audit", "0005_hash_chain")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
