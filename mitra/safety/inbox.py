"""The alert inbox: its filters, its order, its grouping by patient and its pages.

Query parameters: `?kind=` (an alert kind), `?priority=` (urgent, high, normal, low),
`?patient=` (a patient's UUID), `?state=` (open: new and acknowledged, the default; new;
acknowledged; resolved; all), `?group=patient` and `?page=`. A value outside the allowed ones
is an InboxError naming the parameter and the allowed values (the view answers 400 with it).

The order: new alerts first, then acknowledged, then resolved; within each the most urgent
first, then the newest. Grouped by patient, the patients come in the order of their most
pressing alert, each with their first few alerts in the same order. A page costs a fixed
number of queries however many alerts there are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import QueryDict

from mitra.patients.models import Patient
from mitra.safety.models import Alert

PAGE_SIZE = 25  # alerts a page, ungrouped
GROUPS_PER_PAGE = 10  # patients a page, grouped
ALERTS_PER_GROUP = 3  # alerts shown under each patient; the rest are one link away

Status = Alert.Status

# ?state=: (label, the statuses it keeps)
STATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "open": ("Open", (Status.OPEN, Status.ACKNOWLEDGED)),
    "new": ("New", (Status.OPEN,)),
    "acknowledged": ("Acknowledged", (Status.ACKNOWLEDGED,)),
    "resolved": ("Resolved", (Status.RESOLVED,)),
    "all": ("All", (Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED)),
}
DEFAULT_STATE = "open"
# ?priority=: the words, as the badges show them.
PRIORITIES: dict[str, int] = {label.lower(): value for value, label in Alert.Priority.choices}
KINDS: dict[str, str] = dict(Alert.Kind.choices)
GROUPS: dict[str, str] = {"": "One list", "patient": "By patient"}


class InboxError(ValueError):
    """Query parameters outside their allowed values; the message names each and its values."""


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    priority: str = ""
    patient: uuid.UUID | None = None
    state: str = DEFAULT_STATE
    group: str = ""

    @property
    def narrowed(self) -> bool:
        """True when a filter keeps fewer alerts than the default list (open ones)."""
        return bool(self.kind or self.priority or self.patient or self.state != DEFAULT_STATE)


def _allowed(name: str, value: str, allowed: list[str], empty: str) -> str:
    return (f"{name}: {value!r} is not allowed; allowed values: {', '.join(allowed)}"
            f" (or empty for {empty})")


def parse_filters(params: QueryDict) -> Filters:
    """The filters of a GET request; InboxError naming every parameter that is wrong."""
    errors = []
    kind = params.get("kind", "").strip()
    if kind and kind not in KINDS:
        errors.append(_allowed("kind", kind, list(KINDS), "every kind"))
    priority = params.get("priority", "").strip().lower()
    if priority and priority not in PRIORITIES:
        errors.append(_allowed("priority", priority, list(PRIORITIES), "every priority"))
    state = params.get("state", "").strip().lower() or DEFAULT_STATE
    if state not in STATES:
        errors.append(_allowed("state", state, list(STATES), f"{DEFAULT_STATE}"))
    group = params.get("group", "").strip().lower()
    if group not in GROUPS:
        errors.append(_allowed("group", group, [g for g in GROUPS if g], "one list"))
    raw_patient = params.get("patient", "").strip()
    patient = None
    if raw_patient:
        try:
            patient = uuid.UUID(raw_patient)
        except ValueError:
            errors.append(f"patient: {raw_patient!r} is not allowed; allowed values: the ID of"
                          " a patient on your care teams, as the inbox links give it (or empty"
                          " for every patient)")
    if errors:
        raise InboxError("; ".join(errors))
    return Filters(kind=kind, priority=priority, patient=patient, state=state, group=group)


# New before acknowledged before resolved.
STATE_RANK = Case(
    When(status=Status.OPEN, then=Value(0)),
    When(status=Status.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
ORDER = [STATE_RANK.asc(), F("priority").asc(), F("created_at").desc(), F("id").desc()]


def filtered_alerts(patients: QuerySet[Patient], filters: Filters) -> QuerySet[Alert]:
    """The alerts of these patients that the filters keep, unordered."""
    alerts = Alert.objects.filter(patient__in=patients,
                                  status__in=STATES[filters.state][1])
    if filters.kind:
        alerts = alerts.filter(kind=filters.kind)
    if filters.priority:
        alerts = alerts.filter(priority=PRIORITIES[filters.priority])
    if filters.patient:
        alerts = alerts.filter(patient__uuid=filters.patient)
    return alerts


@dataclass
class Group:
    patient: Patient
    alerts: list[Alert]
    count: int  # every alert of this patient the filters keep

    @property
    def more(self) -> int:
        return self.count - len(self.alerts)


@dataclass
class Inbox:
    filters: Filters
    page: Page
    total: int  # alerts the filters keep
    alerts: list[Alert] = field(default_factory=list)  # the page, ungrouped
    groups: list[Group] = field(default_factory=list)  # the page, grouped by patient
    patient: Patient | None = None  # the patient of ?patient=
    counts: dict[str, int] = field(default_factory=dict)  # new and acknowledged, unfiltered

    @property
    def patients_shown(self) -> list[Patient]:
        shown = [g.patient for g in self.groups] + [a.patient for a in self.alerts]
        return ([self.patient] if self.patient else []) + shown


def build(patients: QuerySet[Patient], filters: Filters, page: str | int = 1) -> Inbox:
    """One page of the inbox for the alerts of `patients` (the user's care teams).

    InboxError when ?patient= names nobody on those teams (the same answer whether the
    patient exists elsewhere or not)."""
    chosen = None
    if filters.patient:
        chosen = patients.filter(uuid=filters.patient).first()
        if chosen is None:
            raise InboxError("patient: no patient on your care teams has this ID; allowed"
                             " values: the ID of a patient on your care teams (or empty for"
                             " every patient)")
    counts = Alert.objects.filter(patient__in=patients).aggregate(
        new=Count("id", filter=Q(status=Status.OPEN)),
        acknowledged=Count("id", filter=Q(status=Status.ACKNOWLEDGED)),
    )
    alerts = filtered_alerts(patients, filters)
    if filters.group == "patient":
        inbox = _grouped(alerts, filters, page)
    else:
        paginator = Paginator(
            alerts.select_related("patient", "acknowledged_by").order_by(*ORDER), PAGE_SIZE)
        page_obj = paginator.get_page(page)
        inbox = Inbox(filters, page_obj, paginator.count, alerts=list(page_obj.object_list))
    inbox.patient, inbox.counts = chosen, counts
    return inbox


def _grouped(alerts: QuerySet[Alert], filters: Filters, page: str | int) -> Inbox:
    # One row a patient, in the order of their most pressing alert (state, then priority:
    # both small numbers, so state * 10 + priority orders by state first), newest next.
    by_patient = (
        alerts.order_by().values("patient_id")
        .annotate(best=Min(ExpressionWrapper(STATE_RANK * 10 + F("priority"),
                                             output_field=IntegerField())),
                  latest=Max("created_at"), n=Count("id"))
        .order_by("best", "-latest", "patient_id")
    )
    paginator = Paginator(by_patient, GROUPS_PER_PAGE)
    page_obj = paginator.get_page(page)
    rows = list(page_obj.object_list)
    ids = [row["patient_id"] for row in rows]
    # The first few alerts of each patient of the page, in one query (a window function).
    shown = (
        alerts.filter(patient_id__in=ids)
        .select_related("acknowledged_by")
        .annotate(rank=Window(RowNumber(), partition_by=[F("patient_id")], order_by=ORDER))
        .filter(rank__lte=ALERTS_PER_GROUP)
        .order_by("patient_id", "rank")
    )
    per_patient: dict[int, list[Alert]] = {pk: [] for pk in ids}
    for row_alert in shown:
        per_patient[row_alert.patient_id].append(row_alert)
    people = Patient.objects.in_bulk(ids)
    groups = []
    for row in rows:
        patient = people[row["patient_id"]]
        for card in per_patient[row["patient_id"]]:
            card.patient = patient  # no query a card
        groups.append(Group(patient, per_patient[row["patient_id"]], row["n"]))
    return Inbox(filters, page_obj, alerts.count(), groups=groups)
