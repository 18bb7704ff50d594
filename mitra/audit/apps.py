from importlib import import_module

from django.apps import AppConfig
from django.core.management.base import CommandError
from django.db.models.signals import pre_migrate


def refuse_audit_reverse(sender, plan=None, **kwargs) -> None:
    """Refuse a migration plan that unapplies an audit migration, before any step runs (the
    steps of other apps come first in such a plan). See audit/migrations/0004_refuse_reverse."""
    backwards = [str(migration) for migration, is_backwards in plan or ()
                 if is_backwards and migration.app_label == "audit"]
    if backwards:
        refusal = import_module("mitra.audit.migrations.0004_refuse_reverse").REFUSAL
        raise CommandError(f"{refusal} (the plan unapplies {', '.join(backwards)})")


class AuditConfig(AppConfig):
    name = "mitra.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        pre_migrate.connect(refuse_audit_reverse, sender=self,
                            dispatch_uid="mitra.audit.refuse_reverse")
