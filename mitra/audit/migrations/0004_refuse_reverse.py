"""Unapplying the audit app's migrations is refused: it would drop the append-only trail.

`mitra migrate audit zero` (or any migration back past this one, also when another app's
reverse needs it) stops here with a message, before anything is dropped. The guard in
AuditConfig.ready refuses the same plans earlier, before any app's migration is unapplied;
this operation also stops a migration run that does not send Django's pre_migrate signal.
"""

from django.db import migrations

REFUSAL = (
    "refusing to unapply the audit app's migrations: the audit trail is append-only, and "
    "unapplying them would drop it. To start over, restore a database backup or create a new "
    "database; the trail of this one must be kept."
)


class RefuseReverse(migrations.operations.base.Operation):
    """Does nothing forwards; raises backwards."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        raise migrations.exceptions.IrreversibleError(REFUSAL)

    def describe(self):
        return "Refuse to unapply the audit trail's migrations"


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_drop_redundant_indexes")]

    operations = [RefuseReverse()]
