from django.contrib import admin

from mitra.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "actor_role", "event", "patient", "client_address", "detail"]
    list_filter = ["actor_role", "event", "at"]
    search_fields = ["event", "actor__username", "patient__pseudonym", "object_uuid", "detail"]
    date_hierarchy = "at"
    list_select_related = ["actor", "patient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
