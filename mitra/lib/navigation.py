"""Navigation per role. Apps add their entries here so the menu is defined in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


NAV: list[NavItem] = [
    NavItem("Caseload", "core:caseload", frozenset({"clinician"})),
    NavItem("Home", "core:me", frozenset({"patient"})),
    NavItem("Cohort", "core:research", frozenset({"researcher"})),
    NavItem("Users and teams", "admin:index", frozenset({"admin"})),
]


def register(label: str, url_name: str, *roles: str, position: int | None = None) -> None:
    item = NavItem(label, url_name, frozenset(roles))
    if item in NAV:
        return
    NAV.insert(len(NAV) if position is None else position, item)


def items_for(role: str, current_path: str) -> list[dict[str, Any]]:
    items = []
    for item in NAV:
        if role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "current": current_path == url})
    return items
