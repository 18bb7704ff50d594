"""Small builders for diary tests (and the route table in tests/routes.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from mitra.diary.actions import do_create_taper_plan, do_submit_diary_entry
from mitra.diary.submission import Submission


def submission(day: date | None = None, uses=(), **ratings) -> Submission:
    """A valid submission; `uses` are (substance, amount, unit[, grams_per_unit])."""
    from mitra.diary.units import check_amount

    rows = []
    for use in uses:
        checked = check_amount(*use)
        rows.append({"substance": checked.substance, "amount": checked.amount,
                     "unit": checked.unit, "grams_per_unit": checked.grams_per_unit,
                     "grams": checked.grams, "time": None, "product_label": ""})
    return Submission(
        uuid=ratings.pop("uuid", None) or uuid.uuid4(), date=day or timezone.localdate(),
        ratings={"mood": None, "anxiety": None, "craving": None, "sleep_quality": None,
                 "withdrawal": None, **ratings},
        motives=[], note="", uses=rows,
    )


def make_entry(patient, day: date | None = None, uses=(("kratom_powder", "3", "g"),), **kw):
    return do_submit_diary_entry(patient, submission(day, uses, **kw), acting=patient.user).entry


def make_plan(patient, by=None, **kw):
    data = {"substance": "kratom_powder", "unit": "g",
            "start_date": timezone.localdate() - timedelta(days=14),
            "start_amount": Decimal("10"), "target_amount": Decimal("2"),
            "step_kind": "percent", "step_size": Decimal("10"), "interval_days": 7, "note": ""}
    data.update(kw)
    return do_create_taper_plan(patient, data, acting=by)


def route_day(cast, patient) -> dict:
    entry = make_entry(patient)
    return {"patient_uuid": patient.uuid, "day": entry.date.isoformat()}


def route_plan(cast, patient) -> dict:
    plan = make_plan(patient, by=cast.clinician)
    return {"patient_uuid": patient.uuid, "plan_uuid": plan.uuid}
