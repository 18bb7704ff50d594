"""A form field for free text, refusing what `mitra.lib.untrusted.text_problem` refuses.

Django's own CharField refuses a NUL ("Null characters are not allowed."); this one refuses NUL
and lone surrogates with the shared check's message, so a form, the REST API and FHIR say the
same. Forms fed from JSON (the diary's endpoint, the REST API's CBT writes) can meet a
surrogate; a browser's form post cannot.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from mitra.lib.untrusted import text_problem


def validate_text(value: Any) -> None:
    problem = text_problem(str(value))
    if problem is not None:
        raise forms.ValidationError(problem, code="unsafe_text")


class TextField(forms.CharField):
    """forms.CharField whose text passes `text_problem` (it replaces Django's NUL check)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators
                           if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(validate_text)
