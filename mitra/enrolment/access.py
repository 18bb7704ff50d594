"""Who may enrol and invite: the staff who keep a patient's administrative record
(`mitra.patients.access.staff_teams`, `get_patient_for_staff`), under the enrolment's names."""

from __future__ import annotations

from mitra.accounts.models import Role
from mitra.patients.access import get_patient_for_staff as get_patient_for_enrolment
from mitra.patients.access import staff_teams as enrolment_teams

ENROLLING_ROLES = (Role.CLINICIAN, Role.ADMIN)

__all__ = ["ENROLLING_ROLES", "enrolment_teams", "get_patient_for_enrolment"]
