"""Enrolment forms: a patient from the caseload, a staff member, a short code, the sign-up.

Every error starts with the field's name and says what is allowed (CONTRIBUTING.md).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.utils import timezone

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.enrolment import terms
from mitra.enrolment.access import enrolment_teams
from mitra.lib.bounds import HISTORY_EARLIEST
from mitra.lib.textfield import TextField
from mitra.measures.recurrence import RuleError, zone
from mitra.patients.models import Patient
from mitra.safety.kb import knowledge_base
from mitra.safety.legal import GROUPS, group_of, known_codes

# Offered in the time zone field's list; any other IANA name is accepted as typed.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Vienna", "Europe/Zurich",
    "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul",
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
    "America/Toronto", "America/Vancouver", "America/Mexico_City", "America/Sao_Paulo",
    "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai", "Asia/Kolkata",
    "Asia/Bangkok", "Asia/Jakarta", "Asia/Kuala_Lumpur", "Asia/Singapore", "Asia/Manila",
    "Asia/Hong_Kong", "Asia/Tokyo", "Australia/Perth", "Australia/Sydney",
    "Pacific/Auckland", "Pacific/Guam",
)
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
PHONE_PUNCTUATION = re.compile(r"[\s().-]")
STUDY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}")


def common_zones() -> list[str]:
    zones = list(COMMON_ZONES)
    if settings.TIME_ZONE not in zones:
        zones.insert(0, settings.TIME_ZONE)
    return zones


def jurisdiction_choices() -> list[tuple[str, Any]]:
    """Every jurisdiction of the legal knowledge base, grouped as its list page groups them."""
    kb = knowledge_base()
    groups: dict[str, list[tuple[str, str]]] = {key: [] for key, _label in GROUPS}
    for code in known_codes(kb):
        name = kb.legal[code]["name"] if code in kb.legal else code
        groups[group_of(code)].append((code, f"{name} ({code})"))
    return [("", "Choose where they live")] + [
        (label, sorted(groups[key], key=lambda choice: choice[1]))
        for key, label in GROUPS if groups[key]]


def _team_field(user: User) -> forms.ModelChoiceField:
    teams = enrolment_teams(user).order_by("name")
    names = ", ".join(t.name for t in teams) or "none"
    field = forms.ModelChoiceField(
        queryset=teams, to_field_name="uuid", label="Care team",
        initial=teams.first() if teams.count() == 1 else None,
        error_messages={"required": f"care_team: choose one of your care teams: {names}",
                        "invalid_choice": f"care_team: not one of your care teams; allowed: "
                                          f"{names}"})
    return field


def _email_field(help_text: str) -> forms.EmailField:
    return forms.EmailField(max_length=254, label="E-mail address", help_text=help_text,
                            error_messages={
                                "required": "email: give the person's own e-mail address",
                                "invalid": "email: give a whole address, such as "
                                           "name@example.org"})


def _unused_email(value: str) -> str:
    email = value.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise forms.ValidationError(
            f"email: {email} is already the address of an account; each person needs "
            "their own (look the patient up in the caseload, or give another address)")
    return email


def _name(value: str) -> str:
    return " ".join(value.split())


class EnrolPatientForm(forms.Form):
    """A new patient: who they are, how to reach them, where and when they live, which team."""

    display_name = TextField(max_length=120, label="Name", error_messages={
        "required": "display_name: give the patient's name as the care team knows them",
        "max_length": "display_name: at most %(limit_value)d characters (it has %(show_value)d)",
    })
    date_of_birth = forms.DateField(label="Date of birth",
                                    widget=forms.DateInput(attrs={"type": "date"}),
                                    error_messages={
                                        "required": "date_of_birth: give the date of birth",
                                        "invalid": "date_of_birth: give a date as YYYY-MM-DD"})
    email = _email_field("The invitation to sign up is sent here: the patient's own address.")
    phone = forms.CharField(required=False, max_length=24, label="Mobile phone (optional)",
                            help_text="For later text-message reminders: international form, "
                                      "+ and country code, such as +4915112345678.",
                            widget=forms.TextInput(attrs={"type": "tel",
                                                          "autocomplete": "off"}))
    jurisdiction = forms.ChoiceField(label="Where they live", choices=(), error_messages={
        "required": "jurisdiction: choose the country or US state where the patient lives",
        "invalid_choice": "jurisdiction: %(value)s is not a known ISO 3166 code (such as TH "
                          "or US-AL)"})
    time_zone = forms.CharField(max_length=64, label="Time zone",
                                help_text="Reminders come at the patient's own local time. An "
                                          "IANA name, such as Europe/Berlin.",
                                widget=forms.TextInput(attrs={"list": "time-zones",
                                                              "autocomplete": "off"}),
                                error_messages={"required": "time_zone: give an IANA name "
                                                            "such as Europe/Berlin"})
    language = forms.ChoiceField(label="Preferred language", choices=(), error_messages={
        "required": "language: choose the patient's preferred language",
        "invalid_choice": "language: %(value)s is not one of the site's languages (such as "
                          "en or de)"})
    care_team = forms.ModelChoiceField(queryset=CareTeam.objects.none())
    pseudonym = forms.CharField(required=False, max_length=16, label="Study code (optional)",
                                help_text="What researchers see instead of the name. Left "
                                          "blank, one is made (P- and 8 characters).",
                                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                                error_messages={"max_length": "pseudonym: at most "
                                                "%(limit_value)d characters"})
    enrol_anyway = forms.BooleanField(required=False, label="Enrol anyway: this is another "
                                                            "person")

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"time_zone": settings.TIME_ZONE,
                             "language": _default_language(), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["jurisdiction"]).choices = jurisdiction_choices()
        cast(forms.ChoiceField, self.fields["language"]).choices = list(settings.LANGUAGES)
        self.fields["care_team"] = _team_field(user)
        self.duplicates: list[Patient] = []

    def clean_display_name(self) -> str:
        name = _name(self.cleaned_data["display_name"])
        if not name:
            raise forms.ValidationError("display_name: give the patient's name as the care "
                                        "team knows them")
        return name

    def clean_date_of_birth(self) -> date:
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if not HISTORY_EARLIEST <= value <= today:
            raise forms.ValidationError(
                f"date_of_birth: {value.isoformat()} is not allowed; allowed: from "
                f"{HISTORY_EARLIEST.isoformat()} to {today.isoformat()} (today)")
        return value

    def clean_email(self) -> str:
        return _unused_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"].strip()
        if not typed:
            return ""
        phone = PHONE_PUNCTUATION.sub("", typed)
        if not PHONE.fullmatch(phone):
            raise forms.ValidationError(
                f"phone: {typed} is not an international number; allowed: + then 8 to 15 "
                "digits, the first not 0 (E.164, such as +4915112345678), or leave it blank")
        return phone

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            zone(name)
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return name

    def clean_pseudonym(self) -> str:
        code = self.cleaned_data["pseudonym"].strip()
        if not code:
            return ""
        if not STUDY_CODE.fullmatch(code):
            raise forms.ValidationError(
                f"pseudonym: {code!r} is not allowed; allowed: up to 16 letters, digits, - "
                "and _, starting with a letter or digit (or leave it blank for a new one)")
        if Patient.objects.filter(pseudonym__iexact=code).exists():
            raise forms.ValidationError(
                f"pseudonym: {code} is already another patient's study code; give another, "
                "or leave it blank for a new one")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name, born, team = (cleaned.get(k) for k in ("display_name", "date_of_birth",
                                                     "care_team"))
        if name and born and team:
            self.duplicates = list(
                Patient.objects.filter(care_teams=team, display_name__iexact=name,
                                       date_of_birth=born).order_by("enrolled_on", "pk"))
            if self.duplicates and not cleaned.get("enrol_anyway"):
                codes = ", ".join(p.pseudonym for p in self.duplicates)
                self.add_error("enrol_anyway", (
                    f"enrol_anyway: {team.name} has a patient with this name and date of birth "
                    f"already ({codes}). If this is the same person, do not enrol them again; "
                    "if it is someone else, tick “Enrol anyway”."))
        return cleaned


def _default_language() -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    for code in (settings.LANGUAGE_CODE, settings.LANGUAGE_CODE.split("-")[0]):
        if code in codes:
            return code
    return codes[0]


STAFF_ROLES = [(Role.CLINICIAN.value, "Clinician"), (Role.ADMIN.value, "Care-team admin"),
               (Role.RESEARCHER.value, "Researcher")]


class InviteStaffForm(forms.Form):
    """A clinician, care-team admin or researcher, invited to set their password and
    authenticator themselves, and made a member of one of the inviting admin's teams."""

    first_name = TextField(max_length=150, label="First name", error_messages={
        "required": "first_name: give the person's first name"})
    last_name = TextField(max_length=150, label="Last name", error_messages={
        "required": "last_name: give the person's last name"})
    email = _email_field("The invitation is sent here: their own work address.")
    role = forms.ChoiceField(choices=STAFF_ROLES, label="Role", error_messages={
        "required": "role: choose clinician, admin or researcher",
        "invalid_choice": "role: %(value)s is not allowed; allowed: clinician, admin, "
                          "researcher"})
    care_team = forms.ModelChoiceField(queryset=CareTeam.objects.none())
    access = forms.ChoiceField(choices=Membership.Access.choices, initial=Membership.Access.WRITE,
                               label="Access to the team's patient records",
                               error_messages={"invalid_choice": "access: %(value)s is not "
                                               "allowed; allowed: write, read"})

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["care_team"] = _team_field(user)

    def clean_email(self) -> str:
        return _unused_email(self.cleaned_data["email"])

    def clean_first_name(self) -> str:
        return _name(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _name(self.cleaned_data["last_name"])


class JoinCodeForm(forms.Form):
    code = forms.CharField(max_length=20, label="Your code", strip=True,
                           help_text="8 letters and digits, as shown in clinic: XXXX-XXXX.",
                           widget=forms.TextInput(attrs={
                               "autocomplete": "one-time-code", "autocapitalize": "characters",
                               "spellcheck": "false", "inputmode": "text"}),
                           error_messages={"required": "code: type the 8-character code "
                                                       "you were shown"})


class SignUpForm(SetPasswordForm):
    """The password, and the acceptance of the terms and consent text that were shown."""

    accept_terms = forms.BooleanField(
        label="I have read the terms and the consent above and I accept them",
        error_messages={"required": "accept_terms: to sign up, tick the box to accept the "
                                    "terms and the consent (or close this page to stop)"})
    terms_version = forms.CharField(widget=forms.HiddenInput, initial=terms.CURRENT)

    def clean_terms_version(self) -> str:
        version = self.cleaned_data["terms_version"]
        if version != terms.CURRENT:
            raise forms.ValidationError(
                "terms_version: the terms changed while the page was open; read the new "
                "version above and accept it")
        return version
