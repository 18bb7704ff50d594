"""The clinician's caseload dashboard: one row per patient, most urgent first.

The page must stay fast at a thousand patients, so the number of SQL queries is fixed, whatever
the caseload size: a handful of grouped queries summarise every patient (alerts, scores, diary,
kratom amounts, schedules, CBT homework), the rows are sorted and filtered in Python, and only
the page shown gets the details (sparkline, taper status). Clinical numbers come from the apps
that own them: severity bands, reliable change and remission from `measures.scoring` and the
instrument data files; the escalation windows from `diary.analytics`; what is due from
`measures.schedules`; open and overdue homework from the cbt app's `HomeworkQuerySet`.

By subject: `rows` (a row and its cells), `summary` (the grouped queries that fill the rows),
`diary_columns` (adherence, kratom trend, sparkline), `reminder_columns` (reminders answered),
`ordering` (sorts and filters),
`details` (what only the page shown gets); here, the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from mitra.patients.models import Patient
from mitra.reports.dashboard.details import add_page_details
from mitra.reports.dashboard.ordering import filter_rows, sort_rows
from mitra.reports.dashboard.summary import summarise

PAGE_SIZE = 50


@dataclass
class Dashboard:
    page: Page
    total: int
    shown: int
    sort: str
    show: str
    q: str
    today: date


def build(patients: QuerySet[Patient], today: date, *, sort: str = "urgency", show: str = "",
          q: str = "", page: str | int = 1, now: datetime | None = None) -> Dashboard:
    """The dashboard for these patients; DashboardError for a parameter out of range.
    `now` (the moment the reminders are judged at) defaults to the present."""
    sort_rows([], sort)  # a bad parameter is refused before any work
    filter_rows([], show, q)
    now = now or timezone.now()
    # The diary and reminders columns are summarised for everyone only when the order or
    # filter needs them; otherwise for the page shown.
    everyone = sort.lstrip("-") in ("adherence", "kratom") or show == "rising"
    reminders = sort.lstrip("-") == "reminders" or show == "low_adherence"
    rows = summarise(patients, today, diary=everyone, reminders_at=now if reminders else None)
    total = len(rows)
    rows = sort_rows(filter_rows(rows, show, q), sort)
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    add_page_details(list(page_obj.object_list), today, now, diary=not everyone)
    return Dashboard(page_obj, total, len(rows), sort, show, q, today)
