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
    # Enrolling onto a care team: its read-and-write clinicians and its admins (the route's
    # kwargs put the cast's admin on Team A); a read-only clinician is on no team to enrol onto.
    "enrol": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=FORBID, other_clinician=ALLOW,
                      admin=ALLOW),
    # The invitation of Team A's patient: Team A's read-and-write clinicians and admins.
    "enrol_patient": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=FORBID, admin=ALLOW),
    # A patient's consents: their care team's clinicians (read-only too) and their team's admins
    # (the route's kwargs put the cast's admin on Team A).
    "consent_record": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=ALLOW, admin=ALLOW),
    # A care-team admin's page (the route's kwargs put the cast's admin on Team A).
    "care_admin_team": _profile(DENY, anon=LOGIN, admin=ALLOW),
    # Figures across the user's own care teams, never a patient: clinicians (read-only too)
    # and care-team admins, each for the teams they are a member of (the cast's admin is on
    # none and sees an empty page).
    "clinic": _profile(DENY, anon=LOGIN, clinician=ALLOW, readonly=ALLOW,
                       other_clinician=ALLOW, admin=ALLOW),
    # An outside recipient's pages (Role.RECIPIENT, not among these actors): nobody else;
    # the consent rules for recipients are tests/test_authorization_consent.py.
    "recipient": _profile(DENY, anon=LOGIN),
    # REST and FHIR endpoints take a bearer token only: a session (or none) gets 401, never a
    # redirect. Token access per role is tested in mitra/api/tests/test_access.py.
    "token": _profile(401),
    # The REST and FHIR catch-alls (a path the API does not have): 404 in the API's error
    # shape for everyone, token or not, so the answer never depends on who asks.
    "unknown_api_path": _profile(DENY),
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


def _invitation(cast, patient):
    from mitra.accounts.actions import do_invite_user
    from mitra.accounts.models import User

    user = User(username="invitee", email="invitee@example.org", role="clinician")
    user.set_unusable_password()
    user.save()
    _invite, url = do_invite_user(user, acting=None, send=False)
    return {"token": url.rstrip("/").rsplit("/", 1)[1]}


def _ready_export(cast):
    """A finished research export of the cast's researcher, with one file on disk."""
    from mitra.research.models import ResearchExport
    from mitra.research.tasks import export_folder

    export = ResearchExport.objects.create(requested_by=cast.researcher, state="ready",
                                           files=[{"name": "README.txt", "bytes": 2}])
    folder = export_folder(export)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text("ok", encoding="utf-8")
    return {"export_uuid": export.uuid, "name": "README.txt"}


def _admin_on_team_a(cast, patient):
    from mitra.accounts.models import Membership

    Membership.objects.get_or_create(team=cast.team_a, user=cast.admin)
    return {}


def _invited_patient(cast, patient):
    """Team A's patient as enrolled but not signed up: no password yet, one open invitation."""
    from mitra.accounts.actions import do_invite_user

    _admin_on_team_a(cast, patient)
    patient.user.set_unusable_password()
    patient.user.save()
    do_invite_user(patient.user, acting=None, send=False)
    return {"patient_uuid": patient.uuid}


def _consent(**fields):
    """Team A's patient's consent (an admin of Team A too), as URL kwargs."""
    def build(cast, patient):
        from django.utils import timezone

        from mitra.consent.models import Consent

        consent = Consent.objects.create(
            patient=patient, scope="all", recipient_kind="tpo", purpose="tpo",
            expiry_event="the end of my care", text_version="consent-2026-12",
            signed_name=patient.display_name, signed_at=timezone.now(), **fields)
        _admin_on_team_a(cast, patient)
        return {"patient_uuid": patient.uuid, "consent_uuid": consent.uuid}
    return build


def _patient_with_consent(cast, patient):
    return {"patient_uuid": _consent()(cast, patient)["patient_uuid"]}


def _own_consent(cast, patient):
    return {"consent_uuid": _consent()(cast, patient)["consent_uuid"]}


def _api_token(cast, patient):
    from mitra.api.actions import do_create_api_token

    token, _secret = do_create_api_token(patient.user, acting=patient.user, name="t",
                                         scopes=["read"])
    return {"token_uuid": token.uuid}



def _record_request(cast, patient):
    """Team A's patient with one open request to correct their records (records app)."""
    from datetime import timedelta

    from django.utils import timezone

    from mitra.records.models import RecordRequest

    _admin_on_team_a(cast, patient)
    req = RecordRequest.objects.create(patient=patient, kind="amend", details="d",
                                       due_on=timezone.localdate() + timedelta(days=60))
    return {"patient_uuid": patient.uuid, "request_uuid": req.uuid}


def _own_record_request(cast, patient):
    return {"request_uuid": _record_request(cast, patient)["request_uuid"]}


def _staff_patient(cast, patient):
    return {**_admin_on_team_a(cast, patient), **_patient(cast, patient)}


def _diary_day(cast, patient):
    from mitra.diary.tests.factories import route_day

    return route_day(cast, patient)


def _diary_plan(cast, patient):
    from mitra.diary.tests.factories import route_plan

    return route_plan(cast, patient)


def _diary_future_pause(cast, patient):
    from datetime import timedelta

    from mitra.diary.models import TaperPlan
    from mitra.diary.tests.factories import route_plan

    kwargs = route_plan(cast, patient)
    plan = TaperPlan.objects.get(uuid=kwargs["plan_uuid"])
    pause = plan.pauses.create(start_date=plan.start_date + timedelta(days=400), end_date=None,
                               reason="r", created_by=cast.clinician)
    return {**kwargs, "pause_uuid": pause.uuid}


def _diary_pause(cast, patient):
    from mitra.diary.models import TaperPlan
    from mitra.diary.tests.factories import route_plan

    kwargs = route_plan(cast, patient)
    plan = TaperPlan.objects.get(uuid=kwargs["plan_uuid"])
    pause = plan.pauses.create(start_date=plan.start_date, end_date=None, reason="r",
                               created_by=cast.clinician)
    return {**kwargs, "pause_uuid": pause.uuid}


def _measures_schedule(cast, patient):
    from mitra.measures.tests.factories import route_schedule

    return route_schedule(cast, patient)


def _measures_response(cast, patient):
    from mitra.measures.tests.factories import route_response

    return route_response(cast, patient)


def _reminder_link(cast, patient):
    from datetime import timedelta

    from django.utils import timezone

    from mitra.measures.models import Schedule
    from mitra.reminders.links import open_token
    from mitra.reminders.models import Prompt

    schedule = Schedule.objects.create(patient=patient, instrument="phq9", every_days=14,
                                       start=timezone.localdate())
    now = timezone.now()
    prompt = Prompt.objects.create(patient=patient, schedule=schedule, due_on=schedule.start,
                                   fire_at=now, expires_at=now + timedelta(days=1))
    return {"prompt_uuid": prompt.uuid, "token": open_token(prompt.uuid)}


def _unsubscribe_link(cast, patient):
    from mitra.reminders.links import unsubscribe_token

    return {"patient_uuid": patient.uuid, "channel": "email",
            "token": unsubscribe_token(patient.uuid, "email")}


def _safety(name):
    def kwargs(cast, patient):
        from mitra.safety.tests import factories

        return getattr(factories, name)(cast, patient)

    return kwargs


def _cbt(kind):
    def kwargs(cast, patient):
        from mitra.cbt.tests.factories import route_kwargs

        return route_kwargs(kind, patient)

    return kwargs


ROUTES: dict[str, Route] = {
    # accounts: an invitation link works for whoever holds it (it shows no patient data)
    "accounts:invitation": Route("public", _invitation),
    # enrolment: the care team's pages, then the patient's (a short code, the sign-up: with no
    # invitation opened in the browser it says so, 404; the reminder choices after it)
    "enrolment:add": Route("enrol", _admin_on_team_a),
    "enrolment:invitation": Route("enrol_patient", _invited_patient),
    "enrolment:show": Route("enrol_patient", _invited_patient, method="POST"),
    "enrolment:resend": Route("enrol_patient", _invited_patient, method="POST",
                              ok=frozenset({302})),
    # The first allowed actor revokes the open invitation (302); the next finds none (400).
    "enrolment:revoke": Route("enrol_patient", _invited_patient, method="POST",
                              ok=frozenset({302, 400})),
    "enrolment:staff": Route("care_admin_team", _admin_on_team_a),
    "enrolment:join": Route("public"),
    "enrolment:signup": Route("public", ok=frozenset({404})),
    "enrolment:consent": Route("own"),
    "enrolment:preferences": Route("own"),
    # core
    "core:home": Route("signed_in", ok=frozenset({302})),
    "core:healthz": Route("public"),
    "core:favicon": Route("public", ok=frozenset({301})),
    "core:readyz": Route("public"),
    "core:caseload": Route("clinician"),
    "core:patient": Route("patient_record", _patient),
    "core:me": Route("own"),
    "core:research": Route("researcher"),
    "research:exports": Route("researcher"),
    "research:download": Route("researcher", lambda cast, patient: _ready_export(cast)),
    "core:shared": Route("recipient"),
    # safety
    "safety:crisis": Route("signed_in"),
    "safety:inbox": Route("clinician"),
    "safety:alert_ack": Route("patient_record_write", _safety("route_alert"), method="POST",
                              ok=frozenset({302})),
    "safety:alert_resolve": Route("patient_record_write", _safety("route_alert"),
                                  method="POST", ok=frozenset({302})),
    "safety:patient_alerts": Route("patient_record", _patient),
    "safety:intake": Route("patient_record", _patient),
    "safety:intake_save": Route("patient_record_write", _patient, method="POST",
                                ok=frozenset({302})),
    "safety:medication_add": Route("patient_record_write", _patient, method="POST",
                                   ok=frozenset({400})),
    "safety:medication_stop": Route("patient_record_write", _safety("route_medication"),
                                    method="POST", ok=frozenset({302})),
    "safety:my_screening": Route("own"),
    "safety:my_legal": Route("own"),
    "safety:patient_legal": Route("patient_record", _patient),
    "safety:legal_index": Route("clinician"),
    "safety:legal_detail": Route("clinician", lambda cast, patient: {"code": "US-UT"}),
    "safety:my_plan": Route("own"),
    "safety:my_plan_save": Route("own", method="POST", ok=frozenset({400})),
    "safety:my_plan_history": Route("own"),
    "safety:patient_plan": Route("patient_record", _patient),
    "safety:patient_plan_save": Route("patient_record_write", _patient, method="POST",
                                      ok=frozenset({400})),
    "safety:patient_plan_history": Route("patient_record", _patient),
    # evidence
    "evidence:index": Route("signed_in"),
    "evidence:claim": Route("signed_in", lambda cast, patient: {
        "claim_id": "kratom-addiction-risk"}),
    # diary
    "diary:entry": Route("own"),
    "diary:submit": Route("own", method="POST", ok=frozenset({400})),
    "diary:api_submit": Route("own", method="POST", ok=frozenset({400})),
    "diary:recent": Route("own"),
    "diary:patient_diary": Route("patient_record", _patient),
    "diary:patient_nof1": Route("patient_record", _patient),
    "diary:entry_history": Route("patient_record", _diary_day),
    "diary:taper_new": Route("patient_record_write", _patient),
    "diary:taper_create": Route("patient_record_write", _patient, method="POST",
                                ok=frozenset({400})),
    "diary:taper_pause": Route("patient_record_write", _diary_plan, method="POST",
                               ok=frozenset({400})),
    "diary:taper_pause_end": Route("patient_record_write", _diary_pause, method="POST",
                                   ok=frozenset({302})),
    "diary:taper_pause_cancel": Route("patient_record_write", _diary_future_pause,
                                      method="POST", ok=frozenset({302})),
    # measures
    "measures:due": Route("own"),
    "measures:fill": Route("own", lambda cast, patient: {"instrument_id": "phq9"}),
    "measures:saved": Route("patient_self", _measures_response),
    "measures:overdue": Route("clinician"),
    "measures:instruments": Route("clinician"),
    "measures:instrument": Route("clinician", lambda cast, patient: {"instrument_id": "phq9"}),
    "measures:patient": Route("patient_record", _patient),
    "measures:assign": Route("patient_record_write", _patient, method="POST",
                             ok=frozenset({400})),
    "measures:apply_pathway": Route("patient_record_write", _patient, method="POST",
                                    ok=frozenset({400})),
    "measures:stop": Route("patient_record_write", _measures_schedule, method="POST",
                           ok=frozenset({302})),
    "measures:rate": Route("patient_record_write",
                           lambda cast, patient: {"patient_uuid": patient.uuid,
                                                  "instrument_id": "cows"}),
    # api: token pages (session), docs (public), REST and FHIR (token only)
    # reports
    "reports:timeline": Route("patient_record", _patient),
    "reports:report": Route("patient_record", _patient),
    "reports:my_trends": Route("own"),
    "reports:my_report": Route("own"),
    "reports:my_export": Route("own"),
    # A patient who asks on paper: their read-and-write care team and their team's admins.
    "reports:patient_export": Route("enrol_patient", lambda cast, patient: {
        **_admin_on_team_a(cast, patient), **_patient(cast, patient)}),
    "reports:clinic": Route("clinic"),
    # For someone outside the care team: the gate (tests/test_authorization_consent.py). An
    # empty form is refused naming its fields (400), after the access check.
    "reports:report_for_whom": Route("patient_record", _patient),
    "reports:report_disclose": Route("patient_record_write", _patient, method="POST",
                                     ok=frozenset({400})),
    "reports:export_disclose": Route("enrol_patient", lambda cast, patient: {
        **_admin_on_team_a(cast, patient), **_patient(cast, patient)}, method="POST",
        ok=frozenset({400})),
    "reports:shared_report": Route("recipient", _patient),
    # consent: the patient's own, then the care team's pages about one patient.
    "consent:mine": Route("own"),
    "consent:give": Route("own"),
    "consent:revoke": Route("patient_self", _own_consent),
    "consent:patient": Route("consent_record", _patient_with_consent),
    "consent:record_paper": Route("enrol_patient", _patient_with_consent),
    "consent:end": Route("enrol_patient", _consent(), method="POST", ok=frozenset({302})),
    "consent:scan": Route("consent_record", _consent(
        source="paper", scan=b"%PDF-1.4 scan", scan_type="application/pdf",
        scan_name="form.pdf")),
    # records: the patient's own accounting and requests; staff (the patient's read-and-write
    # clinicians and their team's admins) for one patient; the queue across the user's teams
    "records:my_accounting": Route("own"),
    "records:my_accounting_csv": Route("own"),
    "records:my_accounting_pdf": Route("own"),
    "records:my_requests": Route("own"),
    "records:file_request": Route("own", method="POST", ok=frozenset({400})),
    "records:withdraw_request": Route("patient_self", _own_record_request, method="POST",
                                      ok=frozenset({302})),
    "records:queue": Route("clinic"),
    "records:patient_accounting": Route("enrol_patient", _staff_patient),
    "records:patient_accounting_csv": Route("enrol_patient", _staff_patient),
    "records:patient_accounting_pdf": Route("enrol_patient", _staff_patient),
    "records:patient_requests": Route("enrol_patient", _staff_patient),
    "records:close_account": Route("enrol_patient", _staff_patient, method="POST",
                                   ok=frozenset({400})),
    "records:request": Route("enrol_patient", _record_request),
    "records:extend_request": Route("enrol_patient", _record_request, method="POST",
                                    ok=frozenset({400})),
    "records:answer_request": Route("enrol_patient", _record_request, method="POST",
                                    ok=frozenset({400})),
    "api:tokens": Route("signed_in"),
    "api:revoke_token": Route("patient_self", _api_token, method="POST", ok=frozenset({302})),
    "api:api-root": Route("public", ok=frozenset({302})),
    "api:openapi-json": Route("public"),
    "api:openapi-view": Route("public"),
    "api:me": Route("token"),
    "api:patients": Route("token"),
    "api:patient": Route("token", _patient),
    "api:alerts": Route("token"),
    "api:patient_alerts": Route("token", _patient),
    "fhir:api-root": Route("public", ok=frozenset({302})),
    "fhir:metadata": Route("public"),
    "fhir:patient_search": Route("token"),
    "fhir:patient_read": Route("token", lambda cast, patient: {"patient_id": patient.uuid}),
    "api:instruments": Route("token"),
    "api:responses": Route("token", _patient),
    "api:submit_response": Route("token", _patient, method="POST"),
    "api:schedules": Route("token", _patient),
    "api:assign_schedule": Route("token", _patient, method="POST"),
    "api:stop_schedule": Route("token", lambda cast, patient: {
        "patient_uuid": patient.uuid, "schedule_uuid": "00000000-0000-4000-8000-000000000000"},
        method="POST"),
    "api:diary": Route("token", _patient),
    "api:submit_diary": Route("token", method="POST"),
    "api:acknowledge_alert": Route("token", lambda cast, patient: {
        "alert_uuid": "00000000-0000-4000-8000-000000000000"}, method="POST"),
    "api:resolve_alert": Route("token", lambda cast, patient: {
        "alert_uuid": "00000000-0000-4000-8000-000000000000"}, method="POST"),
    "api:thought_records": Route("token", _patient),
    "api:submit_thought_record": Route("token", _patient, method="POST"),
    "api:homework": Route("token", _patient),
    "api:assign_homework": Route("token", _patient, method="POST"),
    "api:complete_homework": Route("token", lambda cast, patient: {
        "patient_uuid": patient.uuid, "homework_uuid": "00000000-0000-4000-8000-000000000000"},
        method="POST"),
    "api:exposure_items": Route("token", _patient),
    "api:add_exposure_item": Route("token", _patient, method="POST"),
    "api:exposure_logs": Route("token", _patient),
    "api:log_exposure": Route("token", _patient, method="POST"),
    "api:values": Route("token", _patient),
    "api:add_value": Route("token", _patient, method="POST"),
    "api:activities": Route("token", _patient),
    "api:add_activity": Route("token", _patient, method="POST"),
    "api:activity_slots": Route("token", _patient),
    "api:schedule_activity": Route("token", _patient, method="POST"),
    "api:complete_activity": Route("token", lambda cast, patient: {
        "patient_uuid": patient.uuid, "slot_uuid": "00000000-0000-4000-8000-000000000000"},
        method="POST"),
    "api:relapse_plan": Route("token", _patient),
    "api:save_relapse_plan": Route("token", _patient, method="POST"),
    "fhir:patient_everything": Route("token", lambda cast, patient: {"patient_id": patient.uuid}),
    "fhir:questionnaire_search": Route("token"),
    "fhir:questionnaire_read": Route("token", lambda cast, patient: {"questionnaire_id": "phq9"}),
    "fhir:qr_create": Route("token", method="POST"),
    "fhir:qr_search": Route("token"),
    "fhir:qr_read": Route("token", lambda cast, patient: {
        "response_id": "00000000-0000-4000-8000-000000000000"}),
    "fhir:observation_search": Route("token"),
    "fhir:observation_read": Route("token", lambda cast, patient: {"observation_id": "x"}),
    "fhir:medication_search": Route("token"),
    "fhir:medication_read": Route("token", lambda cast, patient: {"medication_id": "x"}),
    "fhir:consent_search": Route("token"),
    "fhir:consent_read": Route("token", lambda cast, patient: {
        "consent_id": "00000000-0000-4000-8000-000000000000"}),
    "api:unknown_path": Route("unknown_api_path", lambda cast, patient: {
        "path": f"patients/{patient.uuid}/nothing"}),
    "fhir:unknown_path": Route("unknown_api_path", lambda cast, patient: {
        "path": f"Patient/{patient.uuid}/nothing"}),
    # reminders: the one-tap link leads its own patient on to the form (others: 404); the
    # unsubscribe link is signed and needs no sign-in (its GET only asks to confirm)
    "reminders:open": Route("patient_self", _reminder_link, ok=frozenset({302})),
    "reminders:unsubscribe": Route("public", _unsubscribe_link),
    "reminders:preferences": Route("own"),
    "reminders:history": Route("own"),
    # cbt
    "cbt:home": Route("own"),
    "cbt:thoughts": Route("own"),
    "cbt:thought_new": Route("own"),
    "cbt:thought_create": Route("own", method="POST", ok=frozenset({400})),
    "cbt:thought": Route("patient_self", _cbt("thought")),
    "cbt:distortions": Route("signed_in"),
    "cbt:activation": Route("own"),
    "cbt:value_create": Route("own", method="POST", ok=frozenset({400})),
    "cbt:activity_create": Route("own", method="POST", ok=frozenset({400})),
    "cbt:slot_create": Route("own", method="POST", ok=frozenset({400})),
    "cbt:slot": Route("patient_self", _cbt("slot")),
    "cbt:slot_complete": Route("patient_self", _cbt("slot"), method="POST",
                               ok=frozenset({400})),
    "cbt:exposure": Route("own"),
    "cbt:exposure_item_create": Route("own", method="POST", ok=frozenset({400})),
    "cbt:exposure_item": Route("patient_self", _cbt("exposure")),
    "cbt:exposure_log_create": Route("patient_self", _cbt("exposure"), method="POST",
                                     ok=frozenset({400})),
    "cbt:relapse_plan": Route("own"),
    "cbt:relapse_plan_save": Route("own", method="POST", ok=frozenset({400})),
    "cbt:homework": Route("own"),
    "cbt:homework_complete": Route("patient_self", _cbt("homework"), method="POST",
                                   ok=frozenset({302})),
    "cbt:modules": Route("signed_in"),
    "cbt:module": Route("signed_in", lambda cast, patient: {"slug": "cbt-model"}),
    "cbt:patient": Route("patient_record", _patient),
    "cbt:homework_assign": Route("patient_record_write", _patient, method="POST",
                                 ok=frozenset({400})),
}


# --- Django's admin -----------------------------------------------------------------------------
# Only the models a care-team admin manages; tests/test_authorization_matrix.py fails for an
# admin URL of theirs missing here. Anyone else is sent to the admin's login (which refuses
# them; the anonymous to the sign-in page); nobody, the care-team admin included, sets another
# person's password.
ADMIN_LOGIN = "admin-login"
ADMIN_PROFILES: dict[str, dict[str, Any]] = {
    "care_admin": _profile(ADMIN_LOGIN, anon=LOGIN, admin=ALLOW),
    "care_admin_refused": _profile(ADMIN_LOGIN, anon=LOGIN, admin=FORBID),
}


@dataclass(frozen=True)
class AdminRoute:
    access: str
    obj: Callable[[Any], Any] | None = None  # the object whose id the URL takes
    method: str = "GET"
    data: dict | None = None


def _attempt(cast):
    from axes.models import AccessAttempt

    # Not a cast member: signing one in (the matrix does) clears their attempts.
    return AccessAttempt.objects.create(username="locked-out", ip_address="192.0.2.1",
                                        failures_since_start=5, user_agent="t", path_info="/",
                                        get_data="", post_data="", http_accept="")


def _event(cast):
    from mitra.audit.actions import record_audit
    from mitra.audit.events import Event

    return record_audit(Event.PATIENT_RECORD_VIEWED, acting=cast.clinician, patient=cast.patient)


def _model_routes(prefix, obj, *, add="care_admin", delete="care_admin", change="care_admin"):
    return {
        f"{prefix}_changelist": AdminRoute("care_admin"),
        f"{prefix}_add": AdminRoute(add),
        f"{prefix}_change": AdminRoute(change, obj),
        f"{prefix}_history": AdminRoute("care_admin", obj),
        f"{prefix}_delete": AdminRoute(delete, obj),
    }


ADMIN_ROUTES: dict[str, AdminRoute] = {
    **_model_routes("accounts_user", lambda cast: cast.patient_user),
    # Django's set-password page: refused for every account, the admin's own included.
    "auth_user_password_change": AdminRoute("care_admin_refused", lambda cast: cast.patient_user),
    "auth_user_password_change#post": AdminRoute(
        "care_admin_refused", lambda cast: cast.patient_user, method="POST",
        data={"password1": "an admin's choice 12345", "password2": "an admin's choice 12345"}),
    **_model_routes("accounts_careteam", lambda cast: cast.team_a),
    **_model_routes("patients_patient", lambda cast: cast.patient),
    **_model_routes("axes_accessattempt", _attempt, add="care_admin_refused"),
    **_model_routes("audit_auditevent", _event, add="care_admin_refused",
                    delete="care_admin_refused"),
}

# Creating an API token with a session signed in six minutes ago: staff must prove the second
# factor again (a researcher without one, the password), patients need not.
REAUTH_MFA = "/accounts/2fa/reauthenticate/"
REAUTH_PASSWORD = "/accounts/reauthenticate/"
TOKEN_CREATION_STALE_SESSION = _profile(
    REAUTH_MFA, anon=LOGIN, patient=ALLOW, other_patient=ALLOW, researcher=REAUTH_PASSWORD)
