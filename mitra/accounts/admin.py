"""Django's admin for care-team admins: users, care teams, sign-in lockouts, the audit trail.

Care-team admins are not superusers: `CareAdminAccess` grants them exactly these models, so a
model another app registers stays invisible to them unless it opts in. Clinical records are
never among them.

Nobody sets or learns another person's password here. A new account is created without a
usable password and its owner is mailed an invitation to set one (`accounts.actions`); an
admin helps someone back in by mailing a reset link to that person's own address, deactivates
an account or unlocks it. Django's set-password page is refused, and a care-team admin cannot
change the address of an account whose owner has set a password (the owner can, under their
account's e-mail page), since a reset link sent to an address the admin chose would hand them
the account. Every change made here, inlines and bulk actions included, goes into Mitra's
audit trail with the names of the fields changed.
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model

from mitra.accounts.actions import (
    do_deactivate_user,
    do_invite_user,
    do_send_password_reset,
    invitation_days,
)
from mitra.accounts.models import CareTeam, Membership, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event, admin_event

# Django's admin signs in through django-allauth, so its login cannot bypass MFA or throttling.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Mitra administration"
admin.site.site_title = "Mitra administration"
admin.site.index_title = "Users, care teams and the audit trail"


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


def audit_target(obj: Model) -> dict[str, Any]:
    """How an admin event names `obj`: by its UUID; a membership by its member's, with the
    team in the detail."""
    if isinstance(obj, Membership):
        return {"object_uuid": obj.user.uuid, "detail": f"(team {obj.team.uuid})"}
    return {"obj": obj}


def record_admin_change(request, obj: Model, verb: str, fields: list[str] | None = None,
                        *, patient: Any = None) -> None:
    """One audit event for an admin's create, change or delete of `obj`: the fields' names,
    never their values (a name or a note is not for the trail)."""
    target = audit_target(obj)
    detail = " ".join(part for part in (",".join(fields or []), target.pop("detail", ""))
                      if part)
    record_audit(admin_event(str(obj._meta.model_name), verb), acting=request, patient=patient,
                 detail=detail[:300], **target)


class AuditedAdmin(CareAdminAccess, admin.ModelAdmin):
    """Every create, change and delete made in the admin goes into the audit trail: the
    object's own form, its inlines (`save_formset`) and bulk deletes."""

    def audit_patient(self, obj):
        """The patient an event about `obj` concerns, for the patient's own trail."""
        return None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_admin_change(request, obj, "changed" if change else "created",
                            list(form.changed_data), patient=self.audit_patient(obj))

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        changed = {id(f.instance): f.changed_data for f in formset.forms}
        for obj in formset.new_objects:
            record_admin_change(request, obj, "created", changed.get(id(obj)))
        for obj, fields in formset.changed_objects:
            record_admin_change(request, obj, "changed", list(fields))
        for obj in formset.deleted_objects:
            record_admin_change(request, obj, "deleted")

    def delete_model(self, request, obj):
        record_admin_change(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_admin_change(request, obj, "deleted")
        super().delete_queryset(request, queryset)


class InviteUserForm(forms.ModelForm):
    """A new account: who and which role, never a password (the owner sets it)."""

    email = forms.EmailField(help_text="The invitation to set a password is sent here.")

    class Meta:
        model = User
        fields = ["username", "email", "role", "first_name", "last_name"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"Username: {username!r} is already taken.")
        return username


class AccountChangeForm(forms.ModelForm):
    """An account's details, without its password (Django's form links to a set-password page)."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "is_active"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = AccountChangeForm
    add_form = InviteUserForm
    list_display = ["username", "email", "role", "is_active", "sign_in", "last_login"]
    list_filter = ["role", "is_active"]
    actions = ["send_password_reset_link", "send_invitation_link", "deactivate_accounts"]
    # No superuser flag, groups or permissions: a care-team admin cannot raise anyone's powers;
    # what a user may do follows from the role alone. No password either: see the module.
    fieldsets = [
        (None, {"fields": ["username", "sign_in"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "description": "The new user is mailed a single-use link to set their own "
                               "password (and, for clinicians and admins, to set up their "
                               "authenticator app).",
                "fields": ["username", "email", "role", "first_name", "last_name"]}),
    ]
    readonly_fields = ["sign_in", "last_login", "date_joined"]

    @admin.display(description="sign-in")
    def sign_in(self, obj: User) -> str:
        if obj.pk is None:
            return ""
        if obj.has_usable_password():
            return "password set by the user"
        pending = obj.invitations.filter(used_at__isnull=True, replaced_at__isnull=True).first()
        if pending is not None:
            return f"invitation sent, valid until {pending.expires_at:%Y-%m-%d %H:%M}"
        return "no password yet: send an invitation"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A superuser's account is changed only by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            fields += ["username", "email", "role", "is_active", "first_name", "last_name"]
        # Whoever chooses the address a reset link goes to holds the account.
        elif obj is not None and obj.has_usable_password() and not request.user.is_superuser:
            fields += ["email"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied(
            "Nobody sets another person's password: send them a password reset link "
            "(select the user in the list, action “Send a password reset link”).")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if not change:
            do_invite_user(obj, acting=request)
            self.message_user(request, f"An invitation to set a password, valid for "
                              f"{invitation_days()} days, was sent to {obj.email}.")

    def _targets(self, request, queryset, what: str):
        """The selected users this admin may act on (a superuser only by a superuser)."""
        for user in queryset:
            if user.is_superuser and not request.user.is_superuser:
                self.message_user(request, f"{user.username}: a superuser's account; {what} "
                                  "is for a superuser to do.", messages.WARNING)
                continue
            yield user

    def _send_links(self, request, queryset, what: str, *, needs_password: bool,
                    send, not_yet: str, none_sent: str, sent_to: str) -> None:
        """Send `send(user)` to each selected active user with an address who has set a
        password (`needs_password`) or has not; say why for every other one."""
        sent = []
        for user in self._targets(request, queryset, what):
            why = ("is deactivated" if not user.is_active else "has no e-mail address"
                   if not user.email else None
                   if user.has_usable_password() == needs_password else not_yet)
            if why:
                self.message_user(request, f"{user.username} {why}; {none_sent}.",
                                  messages.WARNING)
                continue
            send(user, acting=request)
            sent.append(user.username)
        if sent:
            self.message_user(request, f"{sent_to}{', '.join(sent)}.")

    @admin.action(description="Send a password reset link (to their own address)")
    def send_password_reset_link(self, request, queryset):
        self._send_links(request, queryset, "a reset link", needs_password=True,
                         send=do_send_password_reset,
                         not_yet="has not set a password yet: send an invitation",
                         none_sent="no link sent",
                         sent_to="Password reset link sent to the address of: ")

    @admin.action(description="Send a new invitation link (accounts without a password)")
    def send_invitation_link(self, request, queryset):
        self._send_links(request, queryset, "an invitation", needs_password=False,
                         send=do_invite_user,
                         not_yet="has set a password: send a reset link instead",
                         none_sent="no invitation sent", sent_to="Invitation sent to: ")

    @admin.action(description="Deactivate the selected accounts")
    def deactivate_accounts(self, request, queryset):
        done = [u.username for u in self._targets(request, queryset, "deactivation")
                if u.pk != request.user.pk and do_deactivate_user(u, acting=request)]
        self.message_user(request, f"Deactivated: {', '.join(done) or 'none'}.")


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

    def save_related(self, request, form, formsets, change):
        team = form.instance
        before = set(team.patients.all()) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(team.patients.all())
        # One event per patient, in that patient's trail: a team's clinicians read its records.
        for patient in sorted(after - before, key=lambda p: p.pk):
            record_audit(Event.ADMIN_CARETEAM_PATIENT_ADDED, acting=request, obj=team,
                         patient=patient)
        for patient in sorted(before - after, key=lambda p: p.pk):
            record_audit(Event.ADMIN_CARETEAM_PATIENT_REMOVED, acting=request, obj=team,
                         patient=patient)


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

    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        if count:
            record_audit(Event.ADMIN_LOCKOUT_CLEARED, acting=request,
                         detail=f"expired attempts cleaned up: {count}")
        self.message_user(request, f"Cleaned up {count} expired access attempts.")
