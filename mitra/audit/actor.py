"""Who is acting: the one way every write action is told.

Every `do_*` action and `record_audit` take the actor as the keyword-only argument `acting`:

- the request, wherever there is one (a view, an API endpoint, the admin, a sign-in signal):
  the audit event then records the request id and the client address as well as the user;
- the user, where there is no request (the demo, a test, a job acting for someone);
- `None` where nobody acts (a periodic job, the command line): the event has no actor.

An action that calls another action passes its `acting` on unchanged, so the request id reaches
every event of one request. Only these helpers look inside an actor.

`User` is named for the type checker only: the audit layer sits below accounts and imports
nothing from it at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, cast

from django.http import HttpRequest

from mitra.lib.client_address import client_address

if TYPE_CHECKING:
    from mitra.accounts.models import User

Actor: TypeAlias = "HttpRequest | User"


def actor_user(acting: Actor | None) -> User | None:
    """The signed-in user behind `acting` (the request's user, or the user itself); None for
    no actor or an anonymous request."""
    user = acting.user if isinstance(acting, HttpRequest) else acting
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return cast("User", user)


def actor_request_id(acting: Actor | None) -> str:
    """The id the request-id middleware gave the request; "" when `acting` is not a request."""
    return getattr(acting, "request_id", "") if isinstance(acting, HttpRequest) else ""


def actor_client_address(acting: Actor | None) -> str | None:
    """The client's address when `acting` is a request; else None."""
    if not isinstance(acting, HttpRequest):
        return None
    # REMOTE_ADDR, or X-Forwarded-For when a trusted proxy (MITRA_TRUSTED_PROXIES) sent it.
    return client_address(acting)
