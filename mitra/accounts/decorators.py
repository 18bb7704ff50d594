"""View decorators that answer "may this role use this page at all?" (the patient-level check
is `mitra.patients.access`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    """Views for one role only: any other signed-in role gets a 404 (default deny)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.role not in roles:  # type: ignore[union-attr]
                raise Http404("Not available for this role")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
