"""The signed-in home page for each role, leading with what that person must do next and
what is overdue."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import ALL_ROLES, STAFF, roles
from qa_app.auth.models import Role
from qa_app.board.queries import requests_for_lead
from qa_app.calibration.queries import to_score as calibration_to_score
from qa_app.improvement.queries import overdue_everywhere, overdue_for_owner
from qa_app.letters.document import long_date
from qa_app.main import queries

bp = Blueprint("main", __name__)


def today() -> date:
    """The date that decides what is due, overdue or late."""
    return date.today()


@bp.route("/")
@roles(*ALL_ROLES)
def home() -> ResponseReturnValue:
    role = Role(current_user.role)
    on = today()
    context: dict[str, Any] = {"role": role, "today": on, "long_date": long_date}
    if role == Role.AUDITOR:
        context["panels"] = queries.audits_to_do(current_user.id, on)
        context["calibration_rounds"] = calibration_to_score(current_user.id)
    elif role == Role.PANEL_CHAIR:
        context["queues"] = queries.moderation_queues(current_user.id)
        context["drafts"] = queries.letters_to_issue(current_user.id)
        context["counts"] = queries.register_counts()
    elif role == Role.AGENCY_LEAD:
        lines = queries.current_letters(on, current_user.agency_id)
        context["awaiting"] = queries.awaiting_response(lines)
        context["sent"] = queries.responses_sent(lines)
        context["overdue_actions"] = overdue_for_owner(current_user.id, on)
        context["commentary_lines"] = requests_for_lead(on, current_user.agency_id)
        context["counts"] = queries.register_counts()
    elif role in STAFF:
        context["cycles"] = queries.open_cycle_counts()
        context["late"] = [line for line in queries.current_letters(on) if line.late]
        context["leaderless"] = queries.agencies_without_lead(on)
        context["failed_jobs"] = queries.failed_jobs()
        context["overdue_actions"] = overdue_everywhere(on)
        context["recalculating_since"] = queries.recalculating_since()
        context["counts"] = queries.register_counts()
    return render_template("main/home.html", **context)

