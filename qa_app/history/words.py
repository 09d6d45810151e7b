"""The audit log in words: one description for each event code and record type the app writes.

The log stores codes (they never change); people read these words. Every code passed to
`audit_log.record` must have an entry here (tests/test_audit_log_words.py checks).
"""

from __future__ import annotations

EVENTS: dict[str, str] = {
    "agency.create": "Agency added",
    "advice.exception": "Advice exception changed",
    "plan.exception": "Plan exception changed",
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
    "import.plans": "EHCP register imported",
    "import.advice": "Advice log imported",
    "import.audits": "Historic audits imported",
    "improvement_action.opened": "Improvement action opened",
    "improvement_action.closed": "Improvement action closed",
    "job_run_again": "Job started again",
    "letter.generate": "Letter drafted",
    "letter.edit": "Letter edited",
    "letter.issue": "Letter issued",
    "letter.correct": "Issued letter corrected",
    "letter.present": "Agency response presented",
    "letter.respond": "Agency response saved",
    "letters.generate_partial": "Letters drafted for part of a cycle",
    "panel.create": "Panel created",
    "panel.change": "Panel changed",
    "panel.delete": "Panel deleted",
    "panel.add_member": "Panel member added",
    "panel.remove_member": "Panel member removed",
    "panel.assign": "Audits assigned to panel",
    "rubric.load": "Practice standard loaded",
    "sample.draw": "Sample drawn",
    "sample.redraw": "Sample redrawn",
    "user.create": "Account created",
    "user.deactivate": "Account deactivated",
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
    "import": "Import",
    "improvement_action": "Improvement action",
    "job_run": "Job",
    "letter": "Letter",
    "letter_response": "Agency response",
    "panel": "Panel",
    "partnership": "Partnership",
    "plan": "Plan",
    "rubric_version": "Practice standard version",
    "sample": "Sample",
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
