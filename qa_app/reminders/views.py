"""Your email reminders: each person turns off the reminders their role does not require."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput
from wtforms import SelectMultipleField, SubmitField

from qa_app.auth.access import ALL_ROLES, roles
from qa_app.reminders.kinds import kinds_for, optional_kinds_for
from qa_app.reminders.preferences import choose, turned_off

bp = Blueprint("reminders", __name__, url_prefix="/account/reminders")


class PreferencesForm(FlaskForm):
    wanted = SelectMultipleField(
        "Reminders you can turn off", widget=GovCheckboxesInput(),
        description="Tick the reminders you want. Untick any you do not want.",
        invalid_choice_message="Choose reminders from the list")
    submit = SubmitField("Save choices", widget=GovSubmitInput())


@bp.route("/", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def preferences() -> ResponseReturnValue:
    user = current_user._get_current_object()
    optional = optional_kinds_for(user.role)
    form = PreferencesForm()
    form.wanted.choices = [(kind.name, kind.title) for kind in optional]
    if form.validate_on_submit():
        turned_on, now_off = choose(user, set(form.wanted.data or []))
        if turned_on or now_off:
            flash("Your reminder choices are saved.", "success")
        else:
            flash("Your reminder choices are as they were.", "success")
        return redirect(url_for("reminders.preferences"))
    if not form.is_submitted():
        off = turned_off(user.id)
        form.wanted.data = [kind.name for kind in optional if kind.name not in off]
    required = [kind for kind in kinds_for(user.role) if kind.required]
    return render_template("reminders/preferences.html", form=form, optional=optional,
                           required=required,
                           item_hints=[{"hint": {"text": kind.hint}} for kind in optional])
