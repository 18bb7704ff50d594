from __future__ import annotations

from django import forms

from mitra.accounts.models import STAFF_ROLES
from mitra.api.actions import ALLOWED_LIFETIMES_DAYS, STAFF_MAX_DAYS, lifetimes_for
from mitra.api.models import Scope
from mitra.lib.textfield import TextField


def _days(values) -> str:
    values = [str(v) for v in values]
    return ", ".join(values[:-1]) + f" or {values[-1]} days" if len(values) > 1 else \
        f"{values[0]} days"


class TokenForm(forms.Form):
    name = TextField(
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

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.allowed_days = lifetimes_for(user)
        field = self.fields["lifetime_days"]
        field.error_messages["invalid_choice"] = (
            f"Expires after: choose {_days(self.allowed_days)}.")
        # Offer only what this role may choose; `clean_lifetime_days` says why if another is sent.
        field.widget.choices = [(d, f"{d} days") for d in self.allowed_days]

    def clean_lifetime_days(self) -> int:
        days = self.cleaned_data["lifetime_days"]
        if days not in self.allowed_days:
            if self.user.role in STAFF_ROLES:
                raise forms.ValidationError(
                    f"Expires after: tokens of staff accounts (clinician, admin, researcher) "
                    f"last at most {STAFF_MAX_DAYS} days; choose {_days(self.allowed_days)}.")
            raise forms.ValidationError(f"Expires after: choose {_days(self.allowed_days)}.")
        return days
