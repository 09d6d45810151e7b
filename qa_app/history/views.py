"""The audit log as a page: who changed what and when, filtered, newest first, read-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovSelect,
    GovTextInput,
)
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from qa_app.audit_log import AuditLogEntry
from qa_app.auth.access import STAFF, roles
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.form_fields import GovDateField
from qa_app.history.words import (
    CRITERION_FIELDS,
    SIGN_INS,
    event_words,
    field_words,
    record_words,
)
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.register.models import Advice, Plan
from qa_app.reporting.labels import measure_title
from qa_app.standards.titles import criterion_title, rubric_title

bp = Blueprint("history", __name__, url_prefix="/audit-log")

PAGE_SIZE = 50
UK = ZoneInfo("Europe/London")


class FilterDateField(GovDateField):
    def message(self) -> str:
        return f"'{self.label.text}' must be a real date, for example 27 3 2026"


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    record_type = SelectField("Record type", widget=GovSelect(), validators=[Optional()],
                              invalid_choice_message="Choose a record type from the list")
    record_id = StringField("Record number or reference", widget=GovTextInput(),
                            validators=[Optional(), Length(max=64, message=(
                                "The record id must be 64 characters or fewer"))])
    user = StringField("Who (email address)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=254, message=(
                           "The email address must be 254 characters or fewer"))])
    date_from = FilterDateField("From", widget=GovDateInput(), format="%d %m %Y")
    date_to = FilterDateField("To", widget=GovDateInput(), format="%d %m %Y")
    sign_ins = BooleanField("Show sign-ins and sign-outs", widget=GovCheckboxInput(),
                            false_values=("", "0", "false", "n"))

    def validate_date_to(self, field: FilterDateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The 'to' date must be the same as or after the 'from' date")


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    page = query_int("page", 1, low=1, high=MAX_PAGE, strict=True) or 1
    form = LogFilterForm(formdata=request.args)
    types = db.session.execute(
        select(AuditLogEntry.record_type).distinct().order_by(AuditLogEntry.record_type)
    ).scalars().all()
    form.record_type.choices = [SelectChoice("", "Any")] + sorted(
        (SelectChoice(t, record_words(t)) for t in types), key=lambda c: c.label)
    query = select(AuditLogEntry).order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
    filtered = bool(request.args.keys() - {"page", "sign_ins"})
    query = _apply(form, query) if form.validate() else query.where(AuditLogEntry.id.is_(None))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    user_ids = {e.user_id for e in pagination.items if e.user_id is not None}
    users = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_(user_ids))).scalars()} if user_ids else {}
    args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return render_template(
        "history/index.html", form=form, pagination=pagination, users=users,
        describe=describe_changes, local=local_time, filtered=filtered,
        event_words=event_words, record_words=record_words,
        page_url=lambda n: url_for("history.index", page=n, **_multi(request.args)),
        args=args,
    ), 400 if form.errors else 200


def _apply(form: LogFilterForm, query: Any) -> Any:
    if not form.sign_ins.data:
        query = query.where(AuditLogEntry.action.not_in(SIGN_INS))
    if form.record_type.data:
        query = query.where(AuditLogEntry.record_type == form.record_type.data)
    if form.record_id.data:
        wanted = form.record_id.data.strip()
        query = query.where(AuditLogEntry.record_id.in_(
            _record_ids(form.record_type.data, wanted)))
    if form.user.data:
        email = form.user.data.strip().lower()
        ids = select(User.id).where(func.lower(User.email) == email)
        query = query.where(AuditLogEntry.user_id.in_(ids))
    if form.date_from.data:
        query = query.where(AuditLogEntry.at >= _utc_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:  # the last day has no day after
        query = query.where(AuditLogEntry.at < _utc_start(form.date_to.data + timedelta(days=1)))
    return query


def _record_ids(record_type: str | None, wanted: str) -> list[str]:
    """A plan or advice record is found by its number or by its reference."""
    ids = [wanted]
    model = {"plan": Plan, "advice": Advice}.get(record_type or "")
    if model is not None:
        found = db.session.execute(select(model.id).where(model.ref == wanted)).scalar()
        if found is not None:
            ids.append(str(found))
    return ids


def _utc_start(day: date) -> datetime:
    """Midnight UK time on `day`, as the naive UTC the log stores."""
    local = datetime.combine(day, time.min, tzinfo=UK)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_time(at: datetime) -> str:
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(UK).strftime("%d/%m/%Y %H:%M:%S")


def _multi(args: Any) -> dict[str, list[str]]:
    return {k: args.getlist(k) for k in args if k != "page"}


def describe_changes(changes: dict[str, Any] | None) -> list[str]:
    """Short lines for a log entry's changes in words: "Field: old → new" or "Field: value",
    criteria by their titles rather than their ids."""
    if not changes:
        return []
    lines = []
    rubric = changes.get("rubric") if isinstance(changes.get("rubric"), str) else None

    def criterion_words(criterion_id: str) -> str:
        return criterion_title(criterion_id, rubric)

    for key, value in changes.items():
        label = field_words(key)
        if key in _READABLE:
            label, words = _READABLE[key]
            lines.append(f"{label}: {words(value)}")
        elif isinstance(value, dict):
            named = criterion_words if key in CRITERION_FIELDS else field_words
            inner = ", ".join(f"{named(str(k))} {_pair(k, v)}" for k, v in value.items())
            lines.append(f"{label}: {inner}")
        elif key in CRITERION_FIELDS and isinstance(value, list):
            lines.append(f"{label}: {', '.join(criterion_words(str(v)) for v in value)}")
        else:
            lines.append(f"{label}: {_pair(key, value)}")
    return lines


_READABLE: dict[str, tuple[str, Callable[[Any], str]]] = {
    "rubric": ("Practice standard", lambda value: rubric_title(str(value))),
    "content_hash": ("Check code", lambda value: str(value)[:8].upper()),
    "measure": ("Measure", lambda value: measure_title(str(value))),
}
"""Changes whose stored value is a code, shown as the words the pages use."""


def _pair(key: str, value: Any) -> str:
    """[old, new] pairs read as a change; lists of ids or names read as lists."""
    is_list = key.endswith(("_ids", "_changed")) or key in {"skipped"}
    if isinstance(value, list) and len(value) == 2 and not is_list and not any(
        isinstance(v, list | dict) for v in value
    ):
        return f"{_text(value[0])} → {_text(value[1])}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return _text(value)


def _text(value: Any) -> str:
    return "none" if value is None else str(value)
