"""Upload a register, advice log or historic audits; see every bad row, or what changed."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from qa_app.auth.access import STAFF, roles
from qa_app.extensions import db
from qa_app.jobs import JobNotStarted, JobRun
from qa_app.jobs.display import status_words
from qa_app.register.importing import KINDS, ImportBusy, max_bytes, run_import
from qa_app.register.importing.background import KIND as JOB_KIND
from qa_app.register.importing.background import KeptReport, is_large, job_rows, start_job
from qa_app.register.importing.mapping import MAX_MAPPING_BYTES

bp = Blueprint("imports", __name__, url_prefix="/imports")
log = logging.getLogger(__name__)
DATABASE_TROUBLE = ("The database could not be reached while importing, so nothing was "
                    "imported. Try again in a few minutes.")

SHOWN_ERRORS = 1_000
FORM_OVERHEAD = MAX_MAPPING_BYTES + 64 * 1024


class ImportForm(FlaskForm):
    kind = RadioField(
        "What are you importing?",
        choices=[SelectChoice(kind.name, kind.title) for kind in KINDS.values()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose what you are importing")],
    )
    file = FileField(
        "Spreadsheet file",
        description="CSV (UTF-8, comma or semicolon separated) or an Excel .xlsx workbook.",
        widget=GovFileInput(),
        validators=[FileRequired(message="Choose the CSV or XLSX file to import")],
    )
    mapping = FileField(
        "Column mapping file (optional)",
        description="Only if your export uses other column names: a YAML file with one "
        "line per field, such as plan_ref: EHCP Reference.",
        widget=GovFileInput(),
    )
    submit = SubmitField("Check and import", widget=GovSubmitInput())


@bp.url_value_preprocessor
def _limit_upload(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Runs before every before_request hook (CSRF reads the form), so the cap applies first."""
    request.max_content_length = max_bytes() + FORM_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    db.session.rollback()
    limit_mb = max_bytes() // 1024 // 1024
    return render_template("imports/too_large.html", limit_mb=limit_mb), 413


@bp.route("/", methods=["GET", "POST"])
@roles(*STAFF)
def index() -> ResponseReturnValue:
    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("imports/index.html", form=form, kinds=KINDS), status
    upload: FileStorage = form.file.data
    mapping: FileStorage | None = form.mapping.data or None
    renames = mapping.stream if mapping and mapping.filename else None
    mapping_name = mapping.filename or "" if mapping else ""
    file_name = upload.filename or "upload"
    try:
        if is_large(upload.stream, file_name):
            launched = start_job(form.kind.data, upload.stream, file_name, mapping=renames,
                                 mapping_name=mapping_name, actor_id=current_user.id)
            return redirect(url_for("imports.job", job_id=launched.run.id))
        report = run_import(form.kind.data, upload.stream, file_name, mapping=renames,
                            mapping_name=mapping_name, actor_id=current_user.id)
    except ImportBusy as exc:
        return _refused(form, str(exc), 409)
    except JobNotStarted as exc:
        return _refused(form, f"the import could not be started: {exc}. Nothing was "
                        "imported; try again in a few minutes.", 503)
    except SQLAlchemyError:
        log.exception("import of %s failed on a database error", form.kind.data)
        return _refused(form, DATABASE_TROUBLE, 503)
    if not report.ok:
        db.session.rollback()
        return _problems(form, report), 400
    return render_template("imports/done.html", report=report, kind=KINDS[report.kind])


def _refused(form: ImportForm, reason: str, status: int) -> ResponseReturnValue:
    db.session.rollback()
    form.file.errors = [reason[:1].upper() + reason[1:]]
    return render_template("imports/index.html", form=form, kinds=KINDS), status


def _problems(form: ImportForm, report: Any) -> str:
    """The upload form with every problem listed (an ImportReport, or one kept by a job)."""
    form.file.errors = [
        f"{report.file_name} has {report.problem_summary()}, so nothing was imported. "
        "Fix the problems listed below and upload the file again."
    ]
    errors = report.sorted_errors()
    return render_template(
        "imports/index.html", form=form, kinds=KINDS, report=report,
        errors=errors[:SHOWN_ERRORS], hidden=report.error_count - min(len(errors),
                                                                       SHOWN_ERRORS),
    )


@bp.route("/jobs/<int:job_id>")
@roles(*STAFF)
def job(job_id: int) -> ResponseReturnValue:
    """A large import's progress, then its outcome as the import in the request shows it."""
    run = db.session.get(JobRun, job_id)
    if run is None or run.job != JOB_KIND:
        abort(404)
    params = run.params or {}
    kind = KINDS.get(params.get("kind") or "")
    report = KeptReport.of(run.result)
    if run.status == "done" and report is not None and kind is not None:
        return render_template("imports/done.html", report=report, kind=kind)
    if run.status == "failed" and report is not None and not report.ok:
        form = ImportForm(formdata=None, data={"kind": report.kind})
        return _problems(form, report)
    return render_template(
        "imports/job.html", run=run, kind=kind, file_name=params.get("file_name", "the file"),
        status_words=status_words(run), waiting=run.status in {"queued", "running"},
        job_rows=job_rows(),
    )
