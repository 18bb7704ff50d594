"""Labels for the safety knowledge base's ids on the pages: a condition id
("anxiety-depression") by its conditions.yaml label ("Anxiety or depressive disorder"), a
substance id ("7oh") by its name ("concentrated 7-OH products")."""

from __future__ import annotations

from django import template

from mitra.safety.kb import SUBSTANCE_LABELS, condition_label

register = template.Library()


@register.filter
def condition_labels(names) -> list[str]:
    """The names a finding matched: condition ids as their labels, drug names as given."""
    return [condition_label(str(n)) for n in names or []]


@register.filter
def substance_label(value) -> str:
    return SUBSTANCE_LABELS.get(str(value), str(value))
