from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mitra.audit"
    label = "audit"
    verbose_name = "Audit trail"
