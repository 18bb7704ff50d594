"""Patient records in the admin: their administrative fields only, every change audited.

The account a record belongs to is chosen when the record is made and never changed here:
pointing a record at another account would hand it to whoever holds that account.
"""

from django.contrib import admin

from mitra.accounts.admin import AuditedAdmin
from mitra.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    list_display = ["pseudonym", "display_name", "enrolled_on"]
    search_fields = ["pseudonym", "display_name"]
    raw_id_fields = ["user"]

    def audit_patient(self, obj):
        return obj

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["user"] if obj is not None else fields
