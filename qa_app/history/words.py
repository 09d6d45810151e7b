"""The audit log in words: one description for each event code and record type the app writes.

The log stores codes (they never change); people read these words. Every code passed to
`audit_log.record` must have an entry here (tests/test_audit_log_words.py checks).
"""

from __future__ import annotations

EVENTS: dict[str, str] = {
    "agency.create": "Agency added",
    "agency.rename": "Agency renamed",
    "agency.change_type": "Agency type changed",
    "agency.deactivate": "Agency deactivated",
    "agency.reactivate": "Agency reactivated",
    "advice.exception": "Advice exception changed",
    "plan.exception": "Plan exception changed",
    "reaudit.mark": "Marked to amend and re-audit",
    "reaudit.amend": "Amendment date recorded for re-audit",
    "reaudit.include": "Added to a sample for re-audit",
    "reaudit.withdraw": "Re-audit mark withdrawn",
    "aggregation.run": "Figures calculated",
    "aggregation.restored": "Earlier figures restored",
    "api_token.create": "API key created",
    "api_token.revoke": "API key revoked",
    "api_token.revoke_all": "All API keys revoked",
    "audit.assign": "Audit assigned",
    "audit.reassign": "Audit reassigned",
    "audit.save_draft": "Audit draft saved",
    "audit.submit": "Audit submitted",
    "audit.reopen": "Audit reopened",
    "cycle.create": "Audit cycle created",
    "cycle.edit": "Audit cycle changed",
    "cycle.close": "Audit cycle closed",
    "cycle.reopen": "Audit cycle reopened",
    "demo.seed": "Demonstration data loaded",
    "final_grade.agreed": "Final grade agreed",
    "final_grade.moderated": "Final grade decided by moderation",
    "final_grade.imported": "Final grade imported",
    "final_grade.reimport": "Imported final grade updated",
    "final_grade.change": "Final grade changed",
    "grade_challenge.raise": "Final grade challenged by the agency",
    "grade_challenge.upheld": "Grade challenge upheld: the grade stands",
    "grade_challenge.changed": "Grade changed after a challenge",
    "good_practice.mark": "Example of good practice marked",
    "good_practice.approve": "Example of good practice approved",
    "good_practice.reject": "Example of good practice rejected",
    "import.plans": "EHCP register imported",
    "import.advice": "Advice log imported",
    "import.audits": "Historic audits imported",
    "improvement_action.opened": "Improvement action opened",
    "improvement_action.closed": "Improvement action closed",
    "improvement_action.owner_assigned": "Improvement action owner assigned",
    "improvement_action.due_date_set": "Improvement action due date set",
    "improvement_action.note": "Note added to an improvement action",
    "improvement_action.close_requested": "Asked to close an improvement action",
    "improvement_action.closed_by_manager": "Improvement action closed by the manager",
    "job_run_again": "Job started again",
    "learning_brief.publish": "Learning brief published",
    "letter.generate": "Letter drafted",
    "letter.edit": "Letter edited",
    "letter.issue": "Letter issued",
    "letter.correct": "Issued letter corrected",
    "letter.present": "Agency response presented",
    "letter.respond": "Agency response saved",
    "letters.generate_partial": "Letters drafted for part of a cycle",
    "board_report.create": "Board report started and commentary asked for",
    "board_report.ask": "Board report asked for more commentary",
    "board_report.finalise": "Board report made final",
    "board_commentary.save": "Commentary for the board saved",
    "calibration.create": "Calibration round started",
    "calibration.save_draft": "Calibration grades saved as a draft",
    "calibration.submit": "Calibration grades submitted",
    "calibration.reference_draft": "Agreed calibration grades recorded",
    "calibration.close": "Calibration round checked and closed",
    "survey.load": "Survey version loaded",
    "survey.family_links": "Family feedback links made",
    "survey.run_start": "Practitioner survey started",
    "survey.training_date": "Training date for a survey set",
    "survey.quotable": "Written survey answer marked as quotable",
    "survey.not_quotable": "Written survey answer no longer quotable",
    "panel.create": "Panel created",
    "panel.change": "Panel changed",
    "panel.delete": "Panel deleted",
    "panel.add_member": "Panel member added",
    "panel.remove_member": "Panel member removed",
    "panel.assign": "Audits assigned to panel",
    "reminders.choose": "Email reminder choices changed",
    "rubric.load": "Practice standard loaded",
    "rubric.upload": "Practice standard uploaded",
    "targets.upload": "Targets uploaded",
    "sample.draw": "Sample drawn",
    "sample.redraw": "Sample redrawn",
    "user.create": "Account created",
    "user.deactivate": "Account deactivated",
    "user.invite": "Person invited by email",
    "user.invitation_resend": "Invitation sent again",
    "user.invitation_accept": "Invitation accepted and password set",
    "user.password_reset_request": "Password reset asked for",
    "user.password_reset": "Password reset by email link",
    "user.reactivate": "Account reactivated",
    "user.change_role": "Role or agency changed",
    "user.password_change": "Password changed",
    "user.second_factor_on": "Two-step sign-in turned on",
    "user.second_factor_off": "Two-step sign-in turned off",
    "user.second_factor_wrong": "Wrong sign-in code entered",
    "user.sign_in": "Signed in",
    "user.sign_out": "Signed out",
}

SIGN_INS: frozenset[str] = frozenset({"user.sign_in", "user.sign_out"})
"""Routine events hidden from the log page unless asked for."""

RECORD_TYPES: dict[str, str] = {
    "advice": "Advice",
    "agency": "Agency",
    "aggregation_run": "Figures calculation",
    "api_token": "API key",
    "audit": "Audit",
    "cycle": "Audit cycle",
    "final_grade": "Final grade",
    "grade_challenge": "Grade challenge",
    "good_practice_example": "Example of good practice",
    "import": "Import",
    "improvement_action": "Improvement action",
    "job_run": "Job",
    "learning_brief": "Learning brief",
    "letter": "Letter",
    "letter_response": "Agency response",
    "board_report": "Board report",
    "board_commentary_request": "Commentary for the board",
    "calibration_round": "Calibration round",
    "panel": "Panel",
    "partnership": "Partnership",
    "plan": "Plan",
    "reaudit_mark": "Re-audit",
    "rubric_version": "Practice standard version",
    "sample": "Sample",
    "targets_version": "Targets version",
    "survey_version": "Survey version",
    "survey_run": "Practitioner survey",
    "survey_answer": "Written survey answer",
    "user": "Account",
}


def event_words(code: str) -> str:
    """The description of an event code; an unknown code reads as words rather than a code."""
    return EVENTS.get(code) or _words(code)


def record_words(record_type: str) -> str:
    return RECORD_TYPES.get(record_type) or _words(record_type)


def _words(code: str) -> str:
    text = code.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


FIELDS: dict[str, str] = {
    "grades": "Criterion grades",
    "criteria": "Criterion grades",
    "evidence_changed": "Evidence notes changed",
    "computed_grade": "Worked-out grade",
    "override_grade": "Overall grade chosen instead",
    "override_reason": "Reason for the overall grade",
    "grade": "Grade",
    "method": "How the grade was reached",
    "audit_ids": "Audits",
    "agency_id": "Agency number",
    "user_id": "Person number",
    "replaces_run": "Replaces calculation",
    "inputs_hash": "Check code",
    "sha256": "Check code",
    "targets_version": "Targets version",
    "second_factor": "Two-step sign-in",
    "presented_on": "Presented on",
    "expires_at": "Expires",
    "tokens": "API keys",
    "params": "Settings",
    "nc_year": "Year group",
    "outcome": "Decision",
    "final_grade_id": "Final grade number",
    "plan_kind": "Plan kind",
    "auditor_ids": "Auditors (person numbers)",
    "chair_id": "Chair (person number)",
    "rubric_version_id": "Practice standard version number",
    "subject": "Plan or advice",
    "submitted": "Auditors who submitted",
    "amended_on": "Amended on",
    "drawn_at_random": "Chosen by the random draw too",
    "reaudit_places": "Re-audit places",
}
"""Names of changed fields in words; a field not listed reads as its name in words."""

CRITERION_FIELDS: frozenset[str] = frozenset({"grades", "criteria", "evidence_changed"})
"""Changes keyed by, or listing, criterion ids: shown with the criteria's titles."""


def field_words(key: str) -> str:
    return FIELDS.get(key) or _words(key)
