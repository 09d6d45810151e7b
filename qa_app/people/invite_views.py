"""Inviting a person from the Users pages: the form, the check-answers page, the
confirmation, and sending an invitation again. The invitation itself (the user row and the
emailed single-use link) is made by qa_app/auth/invitations.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth import operations
from qa_app.auth.access import roles
from qa_app.auth.invitations import invite as send_invitation
from qa_app.auth.invitations import resend_invitation
from qa_app.auth.models import Role
from qa_app.people import queries
from qa_app.people.forms import CONFIRMED, ConfirmForm, InviteForm
from qa_app.people.views import _agency_id, _user_or_404, bp, person_context
from qa_app.rules import RuleError, show_on_form


@bp.route("/invite", methods=["GET", "POST"])
@roles(Role.ADMIN)
def invite() -> ResponseReturnValue:
    """Step one: email, name, role and agency; a valid answer goes to the check page, and
    the check page's confirmation sends the invitation."""
    if request.method == "GET":
        return _invite_page(InviteForm(formdata=None).fill_choices())
    form = InviteForm().fill_choices()
    if not form.validate_on_submit() or request.form.get("action") == "change":
        form.confirmed.data = ""
        return _invite_page(form, 400 if form.errors else 200)
    agency_id = _agency_id(form.agency.data)
    email = form.email.data.strip().lower()
    try:
        role, agency = operations.role_and_agency(form.role.data, agency_id)
        if operations.find_user_by_email(email) is not None:
            raise RuleError(f"{email} already has an account: find them in the list of users",
                            "email")
    except RuleError as exc:
        show_on_form(form, exc)
        return _invite_page(form, 400)
    if form.confirmed.data != CONFIRMED:
        form.confirmed.data = CONFIRMED
        return render_template("people/invite_check.html", form=form, email=email,
                               role=role, agency=agency)
    try:
        user = send_invitation(email, role.value, agency_id, current_user.id)
    except RuleError as exc:
        show_on_form(form, exc)
        return _invite_page(form, 400)
    user.display_name = form.name.data.strip()
    return redirect(url_for("people.invited", user_id=user.id))


def _invite_page(form: InviteForm, status: int = 200) -> ResponseReturnValue:
    return render_template("people/invite.html", form=form), status


@bp.route("/<int:user_id>/invited")
@roles(Role.ADMIN)
def invited(user_id: int) -> ResponseReturnValue:
    """The confirmation after an invitation is sent (a page of its own, so reloading it
    sends nothing)."""
    user = _user_or_404(user_id)
    if queries.status_of(user) != "invited":
        return redirect(url_for("people.show", user_id=user.id))
    return render_template("people/invited.html", **person_context(user))


@bp.route("/<int:user_id>/resend-invitation", methods=["POST"])
@roles(Role.ADMIN)
def resend(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if queries.status_of(user) != "invited":
        flash(f"{user.display_name} has no invitation waiting: they have set a password, or "
              "were deactivated.")
        return redirect(url_for("people.show", user_id=user.id))
    try:
        resend_invitation(user, current_user.id)
    except RuleError as exc:
        flash(str(exc))
        return redirect(url_for("people.show", user_id=user.id))
    flash(f"The invitation was sent again to {user.email}.", "success")
    return redirect(url_for("people.show", user_id=user.id))

