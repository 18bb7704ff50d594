"""Token authentication and scopes: the only way into the REST and FHIR endpoints.

A request carries `Authorization: Bearer mitra_pat_...`. The token's user becomes
`request.user`, so every endpoint reaches patients through the one access helper the web views
use (`mitra.patients.access.get_patient_for_user` / `patients_for_user`): a token can never see
more than its user could in the browser, and a scope can only narrow that.

Each endpoint names the scopes it needs with `auth=`:

    @router.get("/patients", auth=READ)        # token with the "read" scope
    @router.post("/diary", auth=WRITE)         # "write"
    @router.get("/Patient", auth=FHIR_READ)    # "fhir"
    @router.post("/QuestionnaireResponse", auth=FHIR_WRITE)   # "fhir" and "write"

These endpoints are the only CSRF-exempt ones: a bearer token is not sent by a browser on its
own, so a cross-site request cannot borrow it. Session cookies are ignored here.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from mitra.api.models import ApiToken, Scope, digest


class ScopeMissing(Exception):
    """The token is valid but was not granted the scope this endpoint needs (403)."""

    def __init__(self, needed: tuple[str, ...]):
        self.needed = needed
        super().__init__(f"this token lacks the scope(s): {', '.join(needed)}")


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def __init__(self, *scopes: str) -> None:
        assert all(s in Scope.values for s in scopes), scopes  # noqa: S101 - programming error
        self.scopes = scopes
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        if not token or len(token) > 200:
            return None
        found = (
            ApiToken.objects.usable().select_related("user").filter(token_hash=digest(token))
        ).first()
        if found is None:
            return None
        # Acting as the token's user: the access helper and the audit trail read request.user.
        request.user = found.user
        request._cached_user = found.user  # type: ignore[attr-defined]
        found.mark_used()
        missing = tuple(s for s in self.scopes if not found.has_scope(s))
        if missing:
            raise ScopeMissing(missing)
        return found


READ = TokenAuth(Scope.READ)
WRITE = TokenAuth(Scope.WRITE)
FHIR_READ = TokenAuth(Scope.FHIR)
FHIR_WRITE = TokenAuth(Scope.FHIR, Scope.WRITE)
