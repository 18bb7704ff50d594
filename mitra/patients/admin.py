"""Patient records in the admin: their administrative fields only, every change audited.

The account a record belongs to is chosen when the record is made and never changed here:
pointing a record at another account would hand it to whoever holds that account. A new record
is put on a care team as it is made (a record on no team is one nobody can reach); the list
shows the date of birth, study code and teams, so two people of one name can be told apart.
"""

from django import forms
from django.contrib import admin

from mitra.accounts.admin import AuditedAdmin
from mitra.accounts.models import CareTeam
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.patients.models import Patient


class PatientAddForm(forms.ModelForm):
    care_team = forms.ModelChoiceField(
        queryset=CareTeam.objects.order_by("name"),
        help_text="The team whose clinicians look after this patient (more can be added on "
                  "the team's page).")

    class Meta:
        model = Patient
        fields = ["user", "display_name", "pseudonym", "date_of_birth", "enrolled_on",
                  "time_zone", "language", "phone"]


@admin.register(Patient)
class PatientAdmin(AuditedAdmin):
    list_display = ["pseudonym", "display_name", "date_of_birth", "enrolled_on", "teams"]
    list_filter = ["care_teams"]
    search_fields = ["pseudonym", "display_name"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("care_teams")

    @admin.display(description="care teams")
    def teams(self, obj: Patient) -> str:
        return ", ".join(t.name for t in obj.care_teams.all()) or "none"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PatientAddForm
        return super().get_form(request, obj, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        team = form.cleaned_data.get("care_team") if not change else None
        if team is not None:
            team.patients.add(form.instance)
            record_audit(Event.ADMIN_CARETEAM_PATIENT_ADDED, acting=request, obj=team,
                         patient=form.instance)

    def audit_patient(self, obj):
        return obj

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["user"] if obj is not None else fields
