from django.contrib import admin

from mitra.accounts.admin import AuditedAdmin
from mitra.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    list_display = ["pseudonym", "display_name", "enrolled_on"]
    search_fields = ["pseudonym", "display_name"]
    raw_id_fields = ["user"]
