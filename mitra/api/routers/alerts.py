"""Alerts for the care team: the clinician's inbox and one patient's alerts."""


from uuid import UUID

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from mitra.accounts.models import Role
from mitra.api.errors import responses
from mitra.api.pagination import Pagination, ShownPatientsPagination
from mitra.api.permissions import READ, WRITE
from mitra.api.schemas.alerts import AlertOut
from mitra.patients.access import get_patient_for_user, patients_for_user
from mitra.safety.actions import do_acknowledge_alert, do_resolve_alert
from mitra.safety.models import Alert

router = Router(tags=["alerts"])


class AlertFilter(Schema):
    status: Alert.Status | None = None


def _clinician_only(request) -> None:
    # Alerts are the care team's worklist; other roles see the same 404 as on the web.
    if request.user.role != Role.CLINICIAN:
        raise Http404("Alerts are for clinicians")


@router.get("/alerts", auth=READ, response=responses({200: list[AlertOut]}), url_name="alerts")
@paginate(ShownPatientsPagination, patient_of=lambda alert: alert.patient)
def list_alerts(request, filters: Query[AlertFilter]):
    """Alerts about patients on the caller's care teams, most urgent first."""
    _clinician_only(request)
    alerts = Alert.objects.filter(patient__in=patients_for_user(request.user))
    if filters.status:
        alerts = alerts.filter(status=filters.status)
    return alerts.select_related("patient").order_by("priority", "-created_at", "pk")


@router.get("/patients/{uuid:patient_uuid}/alerts", auth=READ,
            response=responses({200: list[AlertOut]}), url_name="patient_alerts")
@paginate(Pagination)
def patient_alerts(request, patient_uuid: UUID, filters: Query[AlertFilter]):
    _clinician_only(request)
    patient = get_patient_for_user(request, patient_uuid)
    alerts = Alert.objects.filter(patient=patient)
    if filters.status:
        alerts = alerts.filter(status=filters.status)
    return alerts.select_related("patient").order_by("priority", "-created_at", "pk")


class ResolveIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000,
                      description="What was done: the alert's resolution note.")


def _alert_for_writer(request, alert_uuid: UUID) -> Alert:
    _clinician_only(request)
    alert = Alert.objects.select_related("patient").filter(uuid=alert_uuid).first()
    if alert is None:
        raise Http404("No such alert")
    # Through the one access helper: 404 off the care team, 403 for read-only access.
    get_patient_for_user(request, alert.patient.uuid, write=True)
    return alert


@router.post("/alerts/{uuid:alert_uuid}/acknowledge", auth=WRITE,
             response=responses({200: AlertOut}), url_name="acknowledge_alert")
def acknowledge_alert(request, alert_uuid: UUID):
    """Acknowledge an open alert; acknowledging twice changes nothing."""
    alert = _alert_for_writer(request, alert_uuid)
    do_acknowledge_alert(alert, acting=request)
    alert.refresh_from_db()
    return alert


@router.post("/alerts/{uuid:alert_uuid}/resolve", auth=WRITE,
             response=responses({200: AlertOut}), url_name="resolve_alert")
def resolve_alert(request, alert_uuid: UUID, payload: ResolveIn):
    """Resolve an alert with a note; resolving a resolved alert changes nothing."""
    alert = _alert_for_writer(request, alert_uuid)
    do_resolve_alert(alert, note=payload.note, acting=request)
    alert.refresh_from_db()
    return alert
