"""Every URL pattern Mitra defines, and who may reach it: the one table the matrix test walks.

A new view must be added here, or tests/test_authorization_matrix.py fails. Each entry:

    "namespace:name": Route(ACCESS, kwargs=lambda cast, patient: {...}, method="GET", ok={200})

ACCESS is one of the profiles in `EXPECTED` below. `kwargs` builds the URL arguments for Team A's
patient `patient` (create any object the URL needs, for that patient). `ok` lists the statuses
that count as success for an allowed user (a POST with an empty body may answer 200 with form
errors, 302 after success, or 400 naming the missing field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Who is allowed, per access profile. Actors: anon, patient (Team A's patient, the target's own
# record), other_patient (Team B), clinician (Team A, write), readonly (Team A, read only),
# other_clinician (Team B), researcher, admin.
ALLOW = "ok"
DENY = 404
FORBID = 403
LOGIN = 302

ACTORS = ("anon", "patient", "other_patient", "clinician", "readonly", "other_clinician",
          "researcher", "admin")


def _profile(default, **overrides):
    return {actor: overrides.get(actor, default) for actor in ACTORS}


EXPECTED: dict[str, dict[str, Any]] = {
    "public": _profile(ALLOW),
    "signed_in": _profile(ALLOW, anon=LOGIN),
    "clinician": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=ALLOW,
                          other_clinician=ALLOW),
    # A page about Team A's patient, for their care team.
    "patient_record": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=ALLOW),
    # A change to Team A's patient's record by their care team.
    "patient_record_write": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=FORBID),
    # The signed-in patient's own pages (no patient in the URL).
    "own": _profile(DENY, anon=LOGIN, patient=ALLOW, other_patient=ALLOW),
    # A page about Team A's patient that the patient themself reaches (UUID of their own object).
    "patient_self": _profile(DENY, anon=LOGIN, patient=ALLOW),
    "researcher": _profile(DENY, anon=LOGIN, researcher=ALLOW),
}


@dataclass(frozen=True)
class Route:
    access: str
    kwargs: Callable[[Any, Any], dict] | None = None
    method: str = "GET"
    ok: frozenset[int] = field(default_factory=lambda: frozenset({200}))
    data: dict | None = None


def _patient(cast, patient):
    return {"patient_uuid": patient.uuid}


ROUTES: dict[str, Route] = {
    # core
    "core:home": Route("signed_in", ok=frozenset({302})),
    "core:healthz": Route("public"),
    "core:caseload": Route("clinician"),
    "core:patient": Route("patient_record", _patient),
    "core:me": Route("own"),
    "core:research": Route("researcher"),
    # safety
    "safety:crisis": Route("signed_in"),
}
