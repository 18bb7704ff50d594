"""The catalogue of audit events: every event name Mitra records, each with what it means.

An event name is dotted, `<area>.<thing>.<what happened>` (or `<area>.<what happened>`), and
is stored as it is in `AuditEvent.event`. `record_audit` refuses a name that is not here, so
this list is the whole vocabulary of the audit trail: a new event is added here first, with
one sentence saying what it records, and the admin's event filter offers it from then on.

Members are Django `TextChoices`: the value is the stored name, the label its description
(`Event.PATIENT_RECORD_VIEWED.label`), `Event("patient.record.viewed")` looks a name up
(ValueError for a name not catalogued) and `Event.choices` gives (name, description) pairs.
Names are never renamed: stored events keep the names they were recorded with.
"""

from __future__ import annotations

from django.db import models


class Event(models.TextChoices):
    # Accounts (sign-in signals, `mitra createuser`).
    ACCOUNT_SIGNED_IN = "account.signed_in", "A user signed in."
    ACCOUNT_SIGNED_OUT = "account.signed_out", "A user signed out."
    ACCOUNT_MFA_ACTIVATED = "account.mfa.activated", "A user set up a second sign-in factor."
    ACCOUNT_USER_CREATED = ("account.user.created",
                            "A user account was created on the command line.")
    ACCOUNT_PASSWORD_CHANGED = ("account.password.changed",
                                "A user's password was changed (by a change, a reset link or an "
                                "invitation), never shown to anyone else.")
    ACCOUNT_INVITATION_SENT = ("account.invitation.sent",
                               "A single-use invitation link to set a password was mailed or "
                               "printed for an account.")
    ACCOUNT_INVITATION_ACCEPTED = ("account.invitation.accepted",
                                   "An account's owner opened their invitation link and set "
                                   "their own password.")

    # Django's admin (`accounts.admin.AuditedAdmin`: admin.<model>.<verb> for its models).
    ADMIN_USER_CREATED = "admin.user.created", "An admin created a user account."
    ADMIN_USER_CHANGED = "admin.user.changed", "An admin changed a user account."
    ADMIN_USER_DELETED = "admin.user.deleted", "An admin deleted a user account."
    ADMIN_USER_DEACTIVATED = ("admin.user.deactivated",
                              "An admin deactivated a user account (a bulk action).")
    ADMIN_USER_PASSWORD_RESET_SENT = (
        "admin.user.password_reset_sent",
        "An admin had a password-reset link mailed to the user's own address.")
    ADMIN_CARETEAM_CREATED = "admin.careteam.created", "An admin created a care team."
    ADMIN_CARETEAM_CHANGED = ("admin.careteam.changed",
                              "An admin changed a care team (its name, members or patients).")
    ADMIN_CARETEAM_DELETED = "admin.careteam.deleted", "An admin deleted a care team."
    ADMIN_CARETEAM_PATIENT_ADDED = ("admin.careteam.patient_added",
                                    "An admin put a patient on a care team, opening the record "
                                    "to its clinicians.")
    ADMIN_CARETEAM_PATIENT_REMOVED = ("admin.careteam.patient_removed",
                                      "An admin took a patient off a care team.")
    ADMIN_MEMBERSHIP_CREATED = ("admin.membership.created",
                                "An admin added a clinician to a care team.")
    ADMIN_MEMBERSHIP_CHANGED = ("admin.membership.changed",
                                "An admin changed a clinician's access to a care team's records.")
    ADMIN_MEMBERSHIP_DELETED = ("admin.membership.deleted",
                                "An admin removed a clinician from a care team.")
    ADMIN_PATIENT_CREATED = "admin.patient.created", "An admin created a patient record."
    ADMIN_PATIENT_CHANGED = ("admin.patient.changed",
                             "An admin changed a patient record's administrative fields.")
    ADMIN_PATIENT_DELETED = "admin.patient.deleted", "An admin deleted a patient record."
    ADMIN_LOCKOUT_CLEARED = ("admin.lockout.cleared",
                             "An admin cleared a sign-in lockout, unlocking the account.")

    # The API's personal access tokens.
    API_TOKEN_CREATED = "api.token.created", "A personal API access token was created."
    API_TOKEN_REVOKED = "api.token.revoked", "A personal API access token was revoked."
    API_TOKEN_REVOKED_PASSWORD_CHANGED = (
        "api.token.revoked_password_changed",
        "A personal API access token was revoked because its owner's password changed.")

    # The patient record.
    PATIENT_CREATED = "patient.created", "A patient record was created."
    PATIENT_RECORD_VIEWED = ("patient.record.viewed",
                             "Someone opened a page or API resource about a patient.")
    PATIENT_LIST_VIEWED = ("patient.list.viewed",
                           "Someone was shown a list naming patients (a caseload, an alert inbox, "
                           "an API or FHIR search), the patients listed by UUID in subjects.")
    PATIENT_EXPORT_DOWNLOADED = ("patient.export.downloaded",
                                 "A ZIP of everything Mitra holds about a patient was "
                                 "downloaded, by the patient or for them.")
    PATIENT_INTAKE_SAVED = ("patient.intake.saved",
                            "The safety intake (jurisdiction, substances, conditions) was saved.")
    PATIENT_MEDICATION_ADDED = ("patient.medication.added",
                                "A medication was added to the patient's list.")
    PATIENT_MEDICATION_STOPPED = ("patient.medication.stopped",
                                  "A medication on the patient's list was marked stopped.")

    # Safety: alerts, screening, the safety plan.
    ALERT_RAISED = "alert.raised", "An alert was raised for the care team."
    ALERT_ACKNOWLEDGED = "alert.acknowledged", "A clinician acknowledged an alert."
    ALERT_RESOLVED = "alert.resolved", "A clinician resolved an alert, with a note."
    ALERT_RESOLVED_AUTOMATICALLY = (
        "alert.resolved_automatically",
        "An alert closed itself because the patient caught up (a diary day, a questionnaire).")
    ALERT_ESCALATED = ("alert.escalated",
                       "An urgent alert left unacknowledged was mailed to the care team.")
    ALERT_ESCALATION_FAILED = ("alert.escalation_failed",
                               "Mailing an urgent alert to the care team failed (the detail "
                               "names the attempt and the error); it is tried again.")
    SAFETY_SCREENING_RUN = ("safety.screening.run",
                            "An interaction screening of the patient's substances, medications "
                            "and conditions was run and stored.")
    SAFETY_PLAN_SAVED = "safety.plan.saved", "A new version of the safety plan was saved."

    # Measures.
    MEASURES_SCHEDULE_ASSIGNED = ("measures.schedule.assigned",
                                  "A questionnaire schedule was assigned to the patient.")
    MEASURES_SCHEDULE_STOPPED = ("measures.schedule.stopped",
                                 "A questionnaire schedule was stopped.")
    MEASURES_RESPONSE_SUBMITTED = ("measures.response.submitted",
                                   "A questionnaire response was submitted and scored.")

    MEASURES_PATHWAY_APPLIED = ("measures.pathway.applied",
                                "A care pathway's schedules were assigned in one step.")

    # Enrolment by invitation.
    ENROLMENT_PATIENT_ENROLLED = ("enrolment.patient.enrolled",
                                  "A patient was enrolled from the caseload and invited.")
    ENROLMENT_INVITATION_RESENT = ("enrolment.invitation.resent",
                                   "A new invitation replaced the earlier one and was sent.")
    ENROLMENT_INVITATION_REVOKED = ("enrolment.invitation.revoked",
                                    "An open invitation was revoked before it was used.")
    ENROLMENT_INVITATION_SHOWN = ("enrolment.invitation.shown",
                                  "An invitation's QR code and short code were shown in clinic.")
    ENROLMENT_SIGNED_UP = ("enrolment.signed_up",
                           "A patient accepted the terms and consent text and signed up.")
    ENROLMENT_STAFF_INVITED = ("enrolment.staff.invited",
                               "A clinician, admin or researcher was invited to a care team.")

    # Consent and disclosure (42 CFR Part 2), patients' requests about their records.
    CONSENT_GIVEN = "consent.given", "The patient signed a consent to disclose their records."
    CONSENT_RECORDED_FROM_PAPER = ("consent.recorded_from_paper",
                                   "An admin recorded a consent the patient gave on paper.")
    CONSENT_REVOKED = ("consent.revoked",
                       "A consent was revoked (by the patient) or ended by its expiry event.")
    CONSENT_SCAN_VIEWED = "consent.scan.viewed", "The scan of a paper consent was opened."
    DISCLOSURE_MADE = ("disclosure.made",
                       "Records were disclosed outside the care team (a report, an export, an "
                       "API read by an outside recipient), under the consent named.")
    DISCLOSURE_REFUSED = ("disclosure.refused",
                          "A disclosure was refused: no active consent covered it.")
    ACCOUNTING_VIEWED = ("consent.accounting.viewed",
                         "The accounting of a patient's disclosures was viewed or downloaded.")
    REQUEST_FILED = ("request.filed",
                     "The patient asked to restrict, correct or delete records, or to close "
                     "the account.")
    REQUEST_EXTENDED = ("request.extended",
                        "An admin took the one extension of a request's deadline, with a reason.")
    REQUEST_ANSWERED = "request.answered", "An admin answered a patient's request."
    REQUEST_WITHDRAWN = "request.withdrawn", "The patient withdrew a request."
    RESEARCH_EXPORTED = ("research.exported",
                         "A de-identified research export was made (pseudonyms, shifted "
                         "dates, no free text): how many participants and rows.")
    RESEARCH_EXPORT_DOWNLOADED = ("research.export.downloaded",
                                  "A researcher downloaded a file of a research export.")
    ACCOUNT_CLOSED = ("account.closed",
                      "A patient's account was closed: sign-in and reminders off, the clinical "
                      "record kept for the retention period.")

    # Reminders.
    REMINDERS_PREFERENCES_CHANGED = ("reminders.preferences.changed",
                                     "Reminder preferences (channels, quiet hours, pause) "
                                     "were changed.")
    REMINDERS_UNSUBSCRIBED = ("reminders.unsubscribed",
                              "A reminder channel was turned off by the link in a message.")
    REMINDERS_PROMPT_OPENED = ("reminders.prompt.opened",
                               "The patient followed a reminder's link to the due form.")

    # The use-and-mood diary and taper plans.
    DIARY_ENTRY_CREATED = "diary.entry.created", "A diary day was recorded for the first time."
    DIARY_ENTRY_REVISED = ("diary.entry.revised",
                           "A diary day already recorded was changed (a new version).")
    DIARY_TAPER_PLAN_CREATED = ("diary.taper_plan.created",
                                "A taper plan was made (replacing any current one).")
    DIARY_TAPER_PLAN_PAUSED = "diary.taper_plan.paused", "A pause was added to a taper plan."
    DIARY_TAPER_PLAN_PAUSE_ENDED = ("diary.taper_plan.pause_ended",
                                    "A taper plan's pause was given an earlier end.")
    DIARY_TAPER_PLAN_PAUSE_CANCELLED = ("diary.taper_plan.pause_cancelled",
                                        "A taper plan's pause was cancelled before it began.")

    # CBT.
    CBT_THOUGHT_RECORD_CREATED = ("cbt.thought_record.created",
                                  "A thought record was written.")
    CBT_VALUE_CREATED = "cbt.value.created", "A personal value was added."
    CBT_ACTIVITY_CREATED = "cbt.activity.created", "An activity was added to the activity list."
    CBT_ACTIVITY_SLOT_SCHEDULED = ("cbt.activity_slot.scheduled",
                                   "An activity was scheduled for a day.")
    CBT_ACTIVITY_SLOT_COMPLETED = ("cbt.activity_slot.completed",
                                   "A scheduled activity was marked done, with its ratings.")
    CBT_EXPOSURE_ITEM_CREATED = ("cbt.exposure_item.created",
                                 "A situation was added to the exposure hierarchy.")
    CBT_EXPOSURE_LOG_CREATED = ("cbt.exposure_log.created",
                                "An exposure practice was logged.")
    CBT_RELAPSE_PLAN_SAVED = ("cbt.relapse_plan.saved",
                              "A new version of the relapse-prevention plan was saved.")
    CBT_HOMEWORK_ASSIGNED = "cbt.homework.assigned", "Homework was assigned to the patient."
    CBT_HOMEWORK_COMPLETED = "cbt.homework.completed", "Homework was marked done."
    CBT_HOMEWORK_COMPLETED_BY_EXERCISE = (
        "cbt.homework.completed_by_exercise",
        "Homework was completed by the patient doing the exercise it asks for (a thought "
        "record, an activity, an exposure practice, a plan version), linked to that record.")


def admin_event(model_name: str, verb: str) -> Event:
    """The admin's event for `verb` (created, changed, deleted) on a model it audits.

    ValueError, naming the event, for a model whose admin events are not catalogued: a model
    newly registered with `AuditedAdmin` needs its three events above.
    """
    return Event(f"admin.{model_name}.{verb}")
