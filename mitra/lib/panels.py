"""Panels one app shows on another app's page, neither importing the other.

The diary page shows the CBT app's relapse-prevention prompt after a strong craving, yet the
domain apps may not import each other (ARCHITECTURE.md): the CBT app registers a panel for the
page "diary:entry" in its `AppConfig.ready`, as menu entries are registered (`navigation`), and
the diary renders whatever is registered. A panel is a function of the request and the page's
subject (the patient) returning HTML (a rendered template), or "" when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

Panel = Callable[[HttpRequest, Any], str]

PANELS: dict[str, dict[str, Panel]] = {}


def register(page: str, name: str, render: Panel) -> None:
    """Show `render`'s HTML on `page`; registering a name again replaces it."""
    PANELS.setdefault(page, {})[name] = render


def render_panels(page: str, request: HttpRequest, subject: Any) -> SafeString:
    """Every panel of `page` for this subject, in the order registered ("" when none has
    anything to show). A panel's HTML is kept as it is when it is safe (`render_to_string`
    gives that, escaping the values it prints); plain text is escaped."""
    parts = [render(request, subject) for render in PANELS.get(page, {}).values()]
    return format_html_join("", "{}", ((part,) for part in parts if part))
