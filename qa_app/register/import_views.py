"""Upload a register, advice log or historic audits; see every bad row, or what changed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from qa_app.auth.access import STAFF, roles
from qa_app.extensions import db
from qa_app.register.importing import KINDS, max_bytes, run_import
from qa_app.register.importing.mapping import MAX_MAPPING_BYTES

bp = Blueprint("imports", __name__, url_prefix="/imports")

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
def _too_large(_error: RequestEntityTooLarge):  # noqa: ANN202
    db.session.rollback()
    limit_mb = max_bytes() // 1024 // 1024
    return render_template("imports/too_large.html", limit_mb=limit_mb), 413


@bp.route("/", methods=["GET", "POST"])
@roles(*STAFF)
def index():  # noqa: ANN201
    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("imports/index.html", form=form, kinds=KINDS), status
    upload: FileStorage = form.file.data
    mapping: FileStorage | None = form.mapping.data or None
    report = run_import(
        form.kind.data,
        upload.stream,
        upload.filename or "upload",
        mapping=mapping.stream if mapping and mapping.filename else None,
        mapping_name=mapping.filename or "" if mapping else "",
        actor_id=current_user.id,
    )
    if not report.ok:
        db.session.rollback()
        form.file.errors = [
            f"{report.file_name} has {report.problem_summary()}, so nothing was imported. "
            "Fix the problems listed below and upload the file again."
        ]
        errors = report.sorted_errors()
        return render_template(
            "imports/index.html", form=form, kinds=KINDS, report=report,
            errors=errors[:SHOWN_ERRORS], hidden=report.error_count - min(len(errors),
                                                                           SHOWN_ERRORS),
        ), 400
    db.session.commit()
    return render_template("imports/done.html", report=report, kind=KINDS[report.kind])
