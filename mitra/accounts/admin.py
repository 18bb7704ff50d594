from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from mitra.accounts.models import CareTeam, Membership, User
from mitra.audit.actions import record_audit

# Django's admin signs in through django-allauth, so its login cannot bypass MFA or throttling.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Mitra administration"


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        verb = "changed" if change else "created"
        record_audit(request, f"admin.{obj._meta.model_name}.{verb}", obj=obj,
                     detail=",".join(form.changed_data)[:300])

    def delete_model(self, request, obj):
        record_audit(request, f"admin.{obj._meta.model_name}.deleted", obj=obj)
        super().delete_model(request, obj)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Mitra", {"fields": ["role"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("Mitra", {"fields": ["role", "email"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    filter_horizontal = ["patients"]
