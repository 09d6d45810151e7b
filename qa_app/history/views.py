"""The audit log as a page: who changed what and when, filtered, newest first, read-only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovTextInput
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from qa_app.audit_log import AuditLogEntry
from qa_app.auth.access import STAFF, roles
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.form_fields import GovDateField
from qa_app.inputs import MAX_PAGE, query_int

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
    record_id = StringField("Record id", widget=GovTextInput(),
                            validators=[Optional(), Length(max=64, message=(
                                "The record id must be 64 characters or fewer"))])
    user = StringField("Changed by (email address)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=254, message=(
                           "The email address must be 254 characters or fewer"))])
    date_from = FilterDateField("From", widget=GovDateInput(), format="%d %m %Y")
    date_to = FilterDateField("To", widget=GovDateInput(), format="%d %m %Y")

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
    form.record_type.choices = [SelectChoice("", "Any")] + [SelectChoice(t, t) for t in types]
    query = select(AuditLogEntry).order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
    filtered = bool(request.args.keys() - {"page"})
    if filtered and form.validate():
        query = _apply(form, query)
    elif filtered:
        query = query.where(AuditLogEntry.id.is_(None))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    user_ids = {e.user_id for e in pagination.items if e.user_id is not None}
    users = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_(user_ids))).scalars()} if user_ids else {}
    args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return render_template(
        "history/index.html", form=form, pagination=pagination, users=users,
        describe=describe_changes, local=local_time, filtered=filtered,
        page_url=lambda n: url_for("history.index", page=n, **_multi(request.args)),
        args=args,
    ), 400 if form.errors else 200


def _apply(form: LogFilterForm, query: Any) -> Any:
    if form.record_type.data:
        query = query.where(AuditLogEntry.record_type == form.record_type.data)
    if form.record_id.data:
        query = query.where(AuditLogEntry.record_id == form.record_id.data.strip())
    if form.user.data:
        email = form.user.data.strip().lower()
        ids = select(User.id).where(func.lower(User.email) == email)
        query = query.where(AuditLogEntry.user_id.in_(ids))
    if form.date_from.data:
        query = query.where(AuditLogEntry.at >= _utc_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:  # the last day has no day after
        query = query.where(AuditLogEntry.at < _utc_start(form.date_to.data + timedelta(days=1)))
    return query


def _utc_start(day: date) -> datetime:
    """Midnight UK time on `day`, as the naive UTC the log stores."""
    local = datetime.combine(day, time.min, tzinfo=UK)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_time(at: datetime) -> str:
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(UK).strftime("%d/%m/%Y %H:%M:%S")


def _multi(args: Any) -> dict[str, list[str]]:
    return {k: args.getlist(k) for k in args if k != "page"}


def describe_changes(changes: dict[str, Any] | None) -> list[str]:
    """Short lines for a log entry's changes: "key: old → new" or "key: value"."""
    if not changes:
        return []
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {_pair(k, v)}" for k, v in value.items())
            lines.append(f"{key}: {inner}")
        else:
            lines.append(f"{key}: {_pair(key, value)}")
    return lines


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
