"""Agencies, the plan register and the advice log, as pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from qa_app.auth.access import ALL_ROLES, STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.register.forms import AdviceExceptionForm
from qa_app.register.models import ADVICE_EXCEPTION_LABELS, Advice, Agency, Plan
from qa_app.register.operations import set_advice_exception

bp = Blueprint("register", __name__)

PAGE_SIZE = 50


@bp.route("/agencies")
@roles(*STAFF)
def agencies():  # noqa: ANN201
    rows = db.session.execute(
        select(Agency, func.count(Plan.id))
        .outerjoin(Plan, Plan.agency_id == Agency.id)
        .group_by(Agency.id)
        .order_by(Agency.name)
    ).all()
    return render_template("register/agencies.html", rows=rows)


@bp.route("/plans")
@roles(*STAFF, Role.PANEL_CHAIR)
def plans():  # noqa: ANN201
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(404)
    query = select(Plan).order_by(Plan.ref)
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("register/plans.html", pagination=pagination)


@bp.route("/plans/<int:plan_id>")
@roles(*ALL_ROLES)
def plan(plan_id: int):  # noqa: ANN201
    plan_row = get_visible_or_404(Plan, plan_id)
    advice = db.session.execute(
        select(Advice).where(Advice.plan_id == plan_row.id).order_by(Advice.ref)
    ).scalars().all()
    return render_template("register/plan.html", plan=plan_row, advice=advice)


@bp.route("/advice/<int:advice_id>", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def advice(advice_id: int):  # noqa: ANN201
    row = get_visible_or_404(Advice, advice_id)
    form = None
    if current_user.role in STAFF:
        form = AdviceExceptionForm(obj=None if request.method == "POST" else row)
        form.exception.data = form.exception.data or ""
        if request.method == "POST" and form.validate_on_submit():
            changed = set_advice_exception(row, form.exception.data, form.exception_note.data,
                                           actor_id=current_user.id)
            db.session.commit()
            if changed:
                flash("The statutory exception has been saved.", "success")
            return redirect(url_for("register.advice", advice_id=row.id))
    elif request.method == "POST":
        abort(404)
    return render_template("register/advice.html", advice=row, form=form,
                           exception_labels=ADVICE_EXCEPTION_LABELS)
