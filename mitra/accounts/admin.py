"""Django's admin for care-team admins: users, care teams, sign-in lockouts, the audit trail.

Care-team admins are not superusers: `CareAdminAccess` grants them exactly these models, so a
model another app registers stays invisible to them unless it opts in. Clinical records are
never among them.
"""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from mitra.accounts.models import CareTeam, Membership, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event, admin_event

# Django's admin signs in through django-allauth, so its login cannot bypass MFA or throttling.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Mitra administration"


def _is_care_admin(request) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or user.is_care_admin)


class CareAdminAccess:
    """Full access to this model for care-team admins (and superusers)."""

    def has_module_permission(self, request):
        return _is_care_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_care_admin(request)

    def has_add_permission(self, request, *args):
        return _is_care_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_care_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _is_care_admin(request)


class AuditedAdmin(CareAdminAccess, admin.ModelAdmin):
    """Every create, change and delete made in the admin goes into the audit trail."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        verb = "changed" if change else "created"
        record_audit(admin_event(obj._meta.model_name, verb), acting=request, obj=obj,
                     detail=",".join(form.changed_data)[:300])

    def delete_model(self, request, obj):
        record_audit(admin_event(obj._meta.model_name, "deleted"), acting=request, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_audit(admin_event(obj._meta.model_name, "deleted"), acting=request,
                         obj=obj)
        super().delete_queryset(request, queryset)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    # No superuser flag, groups or permissions: a care-team admin cannot raise anyone's powers;
    # what a user may do follows from the role alone.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["username", "email", "role", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A superuser's account is changed only by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            fields += ["username", "email", "role", "is_active", "first_name", "last_name"]
        return fields


class MembershipInline(CareAdminAccess, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    filter_horizontal = ["patients"]


# Sign-in lockouts (django-axes): a care-team admin can see them and unlock an account by
# deleting its attempt record.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    def has_module_permission(self, request):
        return _is_care_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_care_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _is_care_admin(request)

    def delete_model(self, request, obj):
        record_audit(Event.ADMIN_LOCKOUT_CLEARED, acting=request, detail=obj.username[:300])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_audit(Event.ADMIN_LOCKOUT_CLEARED, acting=request, detail=obj.username[:300])
        super().delete_queryset(request, queryset)
