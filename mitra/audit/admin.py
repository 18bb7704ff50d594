"""The audit trail in Django's admin: read-only, filtered by patient, actor, event and date."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent


class InputFilter(admin.SimpleListFilter):
    """A free-text filter box: a caseload has thousands of patients, too many for a link list."""

    template = "audit/input_filter.html"

    def lookups(self, request, model_admin):
        # Django shows a filter only when it has choices; the box itself is the one "choice".
        return [("", "")]

    def choices(self, changelist):
        # The other active filters, so the box's form keeps them when it submits.
        query = changelist.get_filters_params()
        query.pop(self.parameter_name, None)
        yield {"value": self.value() or "", "parameter_name": self.parameter_name,
               "others": [(k, v) for k, values in query.items() for v in values]}


class PatientFilter(InputFilter):
    title = "patient (study code)"
    parameter_name = "patient_code"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        # Events about the patient, and the lists that showed them (by UUID in `subjects`);
        # the patient model through the relation: the audit layer imports nothing above it.
        patients = AuditEvent._meta.get_field("patient").related_model
        shown = Q()
        for uuid in patients.objects.filter(pseudonym__iexact=value).values_list("uuid",
                                                                                flat=True):
            shown |= Q(subjects__icontains=str(uuid))
        return queryset.filter(Q(patient__pseudonym__iexact=value) | shown)


class ActorFilter(InputFilter):
    title = "actor (username)"
    parameter_name = "actor_name"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(actor__username__iexact=value) if value else queryset


class EventFilter(InputFilter):
    title = "event (prefix, e.g. patient.)"
    parameter_name = "event_prefix"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(Q(event__startswith=value)) if value else queryset


class CatalogueEventFilter(admin.SimpleListFilter):
    """One event of the catalogue (`audit.events`), each listed by its description."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return Event.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(event=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "actor_role", "event", "patient_code", "shown",
                    "client_address", "request_id", "detail"]
    list_filter = [PatientFilter, ActorFilter, EventFilter, CatalogueEventFilter, "actor_role",
                   "at"]
    search_fields = ["event", "actor__username", "patient__pseudonym", "object_uuid", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["actor", "patient"]
    # Every field is shown, none can be edited.
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description="patient", ordering="patient__pseudonym")
    def patient_code(self, obj: AuditEvent) -> str:
        # The study code, not the name: the admin manages accounts, not clinical records.
        return obj.patient.pseudonym if obj.patient_id else ""

    @admin.display(description="patients shown")
    def shown(self, obj: AuditEvent) -> str:
        return str(len(obj.subjects)) if obj.subjects else ""

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_active and (user.is_superuser or user.role == "admin")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
