"""Navigation per role. Apps add their entries here so the menu is defined in one place.

Two menus: the main one (the pages of the role's work) and the account menu (API tokens,
security, signing out), which keeps account settings out of a patient's everyday menu. A
`pinned` main entry stays in view on a phone, beside the "Menu" button that opens the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.urls import NoReverseMatch, reverse

Menu = Literal["main", "account"]


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    menu: Menu = "main"
    pinned: bool = False


NAV: list[NavItem] = [
    NavItem("Caseload", "core:caseload", frozenset({"clinician"})),
    NavItem("Home", "core:me", frozenset({"patient"})),
    NavItem("Cohort", "core:research", frozenset({"researcher"})),
    NavItem("Users and teams", "admin:index", frozenset({"admin"})),
]


def register(label: str, url_name: str, *roles: str, position: int | None = None,
             menu: Menu = "main", pinned: bool = False) -> None:
    if menu not in ("main", "account"):
        raise ValueError(f"menu: {menu!r}; allowed: 'main', 'account'")
    item = NavItem(label, url_name, frozenset(roles), menu, pinned)
    if item in NAV:
        return
    NAV.insert(len(NAV) if position is None else position, item)


def items_for(role: str, current_path: str, menu: Menu = "main") -> list[dict[str, Any]]:
    items = []
    for item in NAV:
        if role not in item.roles or item.menu != menu:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "current": current_path == url,
                      "pinned": item.pinned})
    return items
