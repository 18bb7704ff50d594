"""The alerts the diary raises, and the look-ups they need.

- Flags → alerts: each submission looks at the diary up to its day (`flags_for_day`: an
  escalation episode starting that week, same-day co-use, a first concentrated 7-OH use) and
  raises the new ones (`raise_flag_alerts`; `alert_spec` builds each, for the demo too).
- Co-substances: an entry recording a drug that an interaction rule names asks safety for a
  screening run (`screen_co_substances`).
- Missed days: the periodic job raises one alert per gap in the diary
  (`raise_missed_diary_alerts`); the next entry closes it (`diary.actions`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from mitra.audit.actor import Actor
from mitra.diary import analytics
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.diary.queries import load_diary
from mitra.diary.units import SUBSTANCES
from mitra.lib import conf, jobs, rowsql
from mitra.patients.models import Patient
from mitra.safety.actions import do_raise_alert, do_raise_new_alerts
from mitra.safety.models import Alert, ScreeningRun
from mitra.safety.screening import co_substance_has_rules, do_screen_patient

# A submission for day D looks for escalation episodes starting in D-6..D; whether D-6 starts
# one depends on D-7, whose 35 days of windows reach back to D-41: 42 days read.
FLAG_DAYS = analytics.RECENT_DAYS
HISTORY_DAYS = FLAG_DAYS + analytics.RECENT_DAYS + analytics.BASELINE_DAYS


def escalation_share() -> Decimal:
    return Decimal(str(conf.diary_escalation_share()))


# ---- flags → alerts -------------------------------------------------------------------------

def flags_for_day(patient: Patient, day: date, *,
                  this_entry: DiaryEntry | None = None) -> list[analytics.Flag]:
    """Flags whose evidence ends on `day`: escalation episodes starting in the week up to
    `day`, co-use on `day`, and a first concentrated 7-OH use on `day`."""
    start = day - timedelta(days=HISTORY_DAYS - 1)
    uses, observed = load_diary(patient, start, day)
    flags = analytics.escalation_flags(uses, share=escalation_share(), start=start, end=day,
                                       observed=observed,
                                       since=day - timedelta(days=FLAG_DAYS - 1))
    todays = [u for u in uses if u.day == day]
    flags += analytics.co_use_flags(todays)
    if any(u.substance == "7oh_product" for u in todays):
        before = UseEvent.objects.filter(patient=patient, is_current=True,
                                         substance="7oh_product")
        if this_entry is not None:
            before = before.exclude(entry=this_entry)
        flags += analytics.first_7oh_flag(todays, used_before=before.exists())
    return flags


def alert_spec(patient: Patient, flag: analytics.Flag) -> dict[str, Any]:
    """The alert a flag raises: kind, priority, reason, dedupe key, evidence link.

    Shared by the live action and the demo cohort, so both raise the same alerts.
    """
    day = flag.date.isoformat()
    evidence = reverse("diary:patient_diary", kwargs={"patient_uuid": patient.uuid})
    evidence += f"?until={day}#day-{day}"
    if flag.kind == "escalation":
        name = SUBSTANCES.get(flag.substance, flag.substance)
        what = ("uses per day" if flag.measure == "uses"
                else f"daily amount ({flag.detail['unit']})")
        return dict(
            kind=Alert.Kind.ESCALATION, priority=Alert.Priority.NORMAL,
            reason=(f"{name}: 7-day mean {what} {flag.detail['recent_mean']} is "
                    f"{flag.detail['change_pct']}% above the previous 28-day mean "
                    f"({flag.detail['baseline_mean']}), from {day}"),
            dedupe_key=f"diary:escalation:{flag.substance}:{day}", evidence_url=evidence,
        )
    if flag.kind == "co_use":
        names = ", ".join(SUBSTANCES[s].lower() for s in flag.detail["substances"])
        return dict(
            kind=Alert.Kind.CO_USE, priority=Alert.Priority.HIGH,
            reason=f"Same-day use on {day}: {names}",
            dedupe_key=f"diary:co_use:{day}", evidence_url=evidence,
        )
    return dict(
        kind=Alert.Kind.CONCENTRATED_7OH, priority=Alert.Priority.HIGH,
        reason=f"First recorded use of a concentrated 7-OH product, on {day}",
        dedupe_key="diary:concentrated_7oh:first", evidence_url=evidence,
    )


def raise_flag_alerts(patient: Patient, day: date, entry: DiaryEntry | None, *,
                      acting: Actor | None) -> list[Alert]:
    """Raise the alerts of `day`'s flags not raised before; returns those created."""
    return do_raise_new_alerts(
        patient, [alert_spec(patient, flag) for flag in flags_for_day(patient, day,
                                                                      this_entry=entry)],
        source_uuid=entry.uuid if entry is not None else None, acting=acting)


# ---- co-substances → a screening run --------------------------------------------------------

# Diary substances that are what screening calls kratom, kava and 7oh.
SCREENING_SUBSTANCE = {"kratom_powder": "kratom", "kratom_capsule": "kratom",
                       "kratom_extract": "kratom", "7oh_product": "7oh", "kava": "kava"}
# Diary substances screened under their own id: alcohol is a dictionary name; opioid and
# benzodiazepine are classes (`safety.screening.CO_SUBSTANCE_CLASSES`); cannabis has no rule.
NAMED_CO_SUBSTANCES = ("alcohol", "opioid", "benzodiazepine", "cannabis")


def co_substance_names(uses: Iterable[dict[str, Any]]) -> list[str]:
    """The co-substances of these use events that an interaction rule of kratom, kava or 7-OH
    names. "Other" counts only when its product label is a name the medication dictionary knows
    (free text such as "energy drink" is not a medication list and is not screened)."""
    names = []
    for use in uses:
        substance = use["substance"]
        if substance in SCREENING_SUBSTANCE:
            continue
        name = (substance if substance in NAMED_CO_SUBSTANCES
                else (use.get("product_label") or "").strip())
        if name and name not in names and co_substance_has_rules(name):
            names.append(name)
    return names


def screen_co_substances(patient: Patient, uses: list[dict[str, Any]], entry: DiaryEntry, *,
                         acting: Actor | None) -> list[Alert]:
    """Run the safety screening (trigger `diary`) when the entry records a co-substance that
    the knowledge base has rules about; returns the alerts it raised. Interaction alerts are
    deduplicated by rule and matched names, so drinking every day alerts once, not daily."""
    co = co_substance_names(uses)
    if not co:
        return []
    since = timezone.now()
    run = do_screen_patient(
        patient, acting=acting, trigger=ScreeningRun.Trigger.DIARY, co_substances=co,
        substances=sorted({SCREENING_SUBSTANCE[u["substance"]] for u in uses
                           if u["substance"] in SCREENING_SUBSTANCE}),
    )
    return list(Alert.objects.filter(patient=patient, source_uuid=run.uuid,
                                     created_at__gte=since))


# ---- missed diary days (the periodic job) ---------------------------------------------------

def missed_diary_days() -> int:
    return conf.diary_missed_days()


MISSED_DIARY_PREFIX = "diary:missed:"


def missed_diary_key(first_missed: date) -> str:
    return f"{MISSED_DIARY_PREFIX}{first_missed.isoformat()}"


def missed_diary_alert_spec(patient: Patient, first_missed: date,
                            last_missed: date) -> dict[str, Any]:
    """The MISSED_DIARY alert for a gap that began on `first_missed` (one alert per gap).

    Shared by the periodic job and the demo cohort."""
    last_entry = (first_missed - timedelta(days=1)).isoformat()
    evidence = reverse("diary:patient_diary", kwargs={"patient_uuid": patient.uuid})
    days = (last_missed - first_missed).days + 1
    return dict(
        kind=Alert.Kind.MISSED_DIARY, priority=Alert.Priority.NORMAL,
        reason=(f"No diary entry for {days} days in a row ({first_missed.isoformat()} to "
                f"{last_missed.isoformat()}); last entry {last_entry}"),
        dedupe_key=missed_diary_key(first_missed),
        evidence_url=f"{evidence}?until={last_entry}#day-{last_entry}",
    )


def raise_missed_diary_alerts(today: date | None = None) -> list[Alert]:
    """One MISSED_DIARY alert per gap of `MITRA_DIARY_MISSED_DAYS` (default 3) or more whole
    days without an entry, up to yesterday (today can still be filled in).

    Only for patients who use the diary (at least one entry) and were enrolled at least that
    many days ago. Idempotent: the dedupe key is the gap's first day; and a gap that an earlier
    alert already covered (a later back-filled entry moved its start) raises nothing new.
    """
    today = today or timezone.localdate()
    n = missed_diary_days()
    yesterday = today - timedelta(days=1)
    last_entries = dict(
        DiaryEntry.objects.current()
        .filter(patient__enrolled_on__lte=today - timedelta(days=n))
        .values("patient").annotate(last=Max("date"))
        .filter(last__lte=yesterday - timedelta(days=n))
        .values_list("patient", "last")
    )
    if not last_entries:
        return []
    latest_alert = dict(
        Alert.objects.filter(kind=Alert.Kind.MISSED_DIARY, patient__in=list(last_entries))
        .values("patient").annotate(at=Max("created_at")).values_list("patient", "at")
    )

    def raise_one(patient: Patient) -> Alert | None:
        first_missed = last_entries[patient.pk] + timedelta(days=1)
        at = latest_alert.get(patient.pk)
        if at is not None and timezone.localdate(at) > first_missed:
            return None  # an alert was raised during this gap already
        with transaction.atomic():
            alert, created = do_raise_alert(
                patient, **missed_diary_alert_spec(patient, first_missed, yesterday))
        return alert if created else None

    # One patient's failure (a lock, a bad row) leaves the others' alerts raised.
    return jobs.each(Patient.objects.filter(pk__in=list(last_entries)).order_by("pk"),
                     raise_one, lambda patient: f"patient {patient.uuid}")


def has_unresolved_missed_diary_alert(patient: Patient, up_to: date) -> bool:
    """A cheap look before `do_close_caught_up` locks anything (nearly every submission has
    no missed-diary alert to close): an unresolved one for a gap that began on or before
    `up_to`. The key range keeps to missed-diary keys in the (patient, key) index."""
    return bool(rowsql.rows(
        f"SELECT 1 FROM {rowsql.table(Alert)} WHERE patient_id = %s AND dedupe_key >= %s "  # noqa: S608
        "AND dedupe_key <= %s AND kind = %s AND status <> %s LIMIT 1",
        [patient.pk, MISSED_DIARY_PREFIX, missed_diary_key(up_to), Alert.Kind.MISSED_DIARY,
         Alert.Status.RESOLVED]))

