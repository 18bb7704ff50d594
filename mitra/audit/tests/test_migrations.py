"""The audit app's migrations cannot be unapplied: that would drop the append-only trail."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

from mitra.audit.models import AuditEvent

AUDIT_TABLE = AuditEvent._meta.db_table


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db
@pytest.mark.parametrize("app", ["audit", "patients"])
def test_migrate_refuses_to_unapply_the_audit_app_before_anything_runs(app):
    before = _tables()
    with pytest.raises(CommandError) as refused:
        call_command("migrate", app, "zero", verbosity=0, interactive=False)
    message = str(refused.value)
    assert "refusing to unapply the audit app's migrations" in message
    assert "audit.0001_initial" in message
    assert _tables() == before  # not one migration of any app was unapplied
    assert AUDIT_TABLE in before


@pytest.mark.django_db(transaction=True)
def test_the_migration_itself_refuses_when_run_without_the_command():
    executor = MigrationExecutor(connection)
    with pytest.raises(IrreversibleError, match="the audit trail is append-only"):
        executor.migrate([("audit", "0003_drop_redundant_indexes")])
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert ("audit", "0004_refuse_reverse") in applied
    assert AUDIT_TABLE in _tables()
