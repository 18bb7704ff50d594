from __future__ import annotations

from django import forms

from mitra.api.actions import ALLOWED_LIFETIMES_DAYS
from mitra.api.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What the token is for, e.g. “phone app” or “export script”."
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ],
        error_messages={"required": "Choose at least one scope: read, write or fhir."},
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after", coerce=int, initial=90,
        choices=[(d, f"{d} days") for d in ALLOWED_LIFETIMES_DAYS],
    )
