"""The Background jobs page: every job, how it stands, why one failed, and running it again.

For the QI manager and the administrator only; everyone else gets 404, as for any page
their role does not open.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from sqlalchemy import select
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from qa_app.auth.access import STAFF, roles
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.jobs import display
from qa_app.jobs.kinds import KINDS
from qa_app.jobs.launcher import JobNotStarted
from qa_app.jobs.models import STATUSES, JobRun
from qa_app.jobs.recovery import CannotRunAgain, can_run_again, run_again, stalled_query

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PAGE_SIZE = 25


class JobFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", widget=GovSelect(), validators=[Optional()])
    kind = SelectField("Kind of job", widget=GovSelect(), validators=[Optional()])


class RunAgainForm(FlaskForm):
    submit = SubmitField("Run again", widget=GovSubmitInput())


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    page = query_int("page", 1, low=1, high=MAX_PAGE, strict=True) or 1
    form = JobFilterForm(formdata=request.args)
    form.status.choices = [SelectChoice("", "Any status")] + [
        SelectChoice(s, display.STATUS_WORDS[s]) for s in (*STATUSES, "stalled")]
    form.kind.choices = [SelectChoice("", "Any kind")] + [
        SelectChoice(k.name, k.words) for k in KINDS.values()]
    query = select(JobRun).order_by(JobRun.id.desc())
    filtered = bool({"status", "kind"} & {k for k, v in request.args.items() if v})
    if filtered and form.validate():
        query = _apply(query, form.status.data, form.kind.data)
    elif filtered:
        query = query.where(JobRun.id.is_(None))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    rows = [display.row(run, _users(pagination.items)) for run in pagination.items]
    args = {k: v for k, v in request.args.items() if k in {"status", "kind"} and v}
    return render_template(
        "jobs/index.html", form=form, rows=rows, pagination=pagination, filtered=filtered,
        page_url=lambda n: url_for("jobs.index", page=n, **args),
    ), 400 if form.errors else 200


def _apply(query: Any, status: str | None, kind: str | None) -> Any:
    if status == "stalled":
        query = query.where(JobRun.id.in_(stalled_query().with_only_columns(JobRun.id)
                                          .order_by(None)))
    elif status:
        query = query.where(JobRun.status == status)
    if kind:
        query = query.where(JobRun.job == kind)
    return query


def _users(runs: list[JobRun]) -> dict[int, User]:
    ids = {r.started_by_id for r in runs if r.started_by_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


@bp.route("/<int:job_id>/run-again", methods=["GET", "POST"])
@roles(*STAFF)
def run_again_page(job_id: int) -> ResponseReturnValue:
    run = db.session.get(JobRun, job_id) or abort(404)
    form = RunAgainForm()
    if not can_run_again(run):
        flash(f"Job {run.id} cannot be run again: it is "
              f"{display.status_words(run).lower()}.")
        return redirect(url_for("jobs.index"))
    if form.validate_on_submit():
        try:
            launched = run_again(run, origin="web", user_id=current_user.id)
        except CannotRunAgain as exc:
            flash(str(exc))
            return redirect(url_for("jobs.index"))
        except JobNotStarted as exc:
            flash(f"Job {run.id} could not be run again now: {exc}.")
            return redirect(url_for("jobs.index"))
        new = launched.run
        if launched.queued:
            flash(f"Job {run.id} is running again as job {new.id}.", "success")
        elif new.status == "done":
            flash(f"Job {run.id} ran again as job {new.id} and finished.", "success")
        else:
            flash(f"Job {run.id} ran again as job {new.id}, which ended "
                  f"{display.status_words(new).lower()}: {new.message or 'no reason given'}.")
        return redirect(url_for("jobs.index"))
    row = display.row(run, _users([run]))
    return render_template("jobs/run_again.html", row=row, form=form)
