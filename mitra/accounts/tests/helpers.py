"""Helpers for admin tests: submit an admin change page as a browser would."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def _post_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _form_fields(form, data: dict[str, Any]) -> None:
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if field.show_hidden_initial:  # a callable default: the page sends its initial too
            data[bound.html_initial_name] = _post_value(value)
        if value is False:
            continue  # an unticked checkbox sends nothing
        if value is True:
            data[bound.html_name] = "on"
            continue
        data[bound.html_name] = _post_value(value)


def admin_form_data(response) -> dict[str, Any]:
    """The POST data of an admin add or change page as it stands (its inlines too)."""
    assert response.status_code == 200, response.status_code
    data: dict[str, Any] = {}
    _form_fields(response.context["adminform"].form, data)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        _form_fields(formset.management_form, data)
        for form in formset.initial_forms:
            _form_fields(form, data)
        data[formset.management_form["TOTAL_FORMS"].html_name] = str(len(formset.initial_forms))
    return data


def add_inline_form(data: dict[str, Any], prefix: str, **fields: Any) -> None:
    """Append one new inline form (prefix e.g. "membership_set") with `fields`."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in fields.items():
        data[f"{prefix}-{total}-{name}"] = _post_value(value)
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
