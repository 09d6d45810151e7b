"""Cycle pages for the manager: create, edit, close, size and draw the sample, export it.

The request commits when a page answers below 400 (qa_app/transactions.py); a refused form
that answers 200 rolls back what it tried first, so nothing of it is kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from qa_app.audits.cycles import queries
from qa_app.audits.cycles.forms import CalculatorForm, CycleForm, SampleForm
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.cycles.operations import (
    close_cycle,
    create_cycle,
    draw_sample,
    edit_cycle,
    new_seed,
    reopen_cycle,
)
from qa_app.audits.cycles.sampling import SampleSize, export_csv, sample_size
from qa_app.audits.errors import CycleError, SampleError, SamplingError
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.extensions import db
from qa_app.rules import show_on_form

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    return render_template("cycles/index.html", rows=queries.list_cycles())


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def create() -> ResponseReturnValue:
    form = CycleForm()
    if request.method == "POST":
        valid = form.validate()
        dates = form.dates()
        if valid and dates is not None:
            try:
                cycle = create_cycle(form.name.data or "", *dates)
            except CycleError as exc:
                show_on_form(form, exc, field="name")
            else:
                flash(f"Cycle {cycle.name} created for {cycle.academic_year}.", "success")
                return redirect(url_for("cycles.show", cycle_id=cycle.id))
        db.session.rollback()
    return render_template("cycles/form.html", form=form, cycle=None)


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit(cycle_id: int) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = CycleForm()
    if request.method == "GET":
        form.fill(cycle.name, cycle.start_date, cycle.end_date)
    else:
        valid = form.validate()
        dates = form.dates()
        if valid and dates is not None:
            try:
                edit_cycle(cycle, form.name.data or "", *dates)
            except CycleError as exc:
                show_on_form(form, exc, field="name")
            else:
                flash(f"Cycle {cycle.name} saved.", "success")
                return redirect(url_for("cycles.show", cycle_id=cycle.id))
        db.session.rollback()
        cycle = get_visible_or_404(Cycle, cycle_id)
    return render_template("cycles/form.html", form=form, cycle=cycle)


@bp.route("/<int:cycle_id>/close", methods=["POST"])
@roles(*STAFF)
def close(cycle_id: int) -> ResponseReturnValue:
    return _change_status(cycle_id, close_cycle, "closed")


@bp.route("/<int:cycle_id>/reopen", methods=["POST"])
@roles(*STAFF)
def reopen(cycle_id: int) -> ResponseReturnValue:
    return _change_status(cycle_id, reopen_cycle, "reopened")


def _change_status(
    cycle_id: int, change: Callable[[Cycle], Cycle], verb: str
) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    try:
        change(cycle)
    except CycleError as exc:
        db.session.rollback()
        flash(str(exc), "info")
    else:
        flash(f"Cycle {cycle.name} {verb}.", "success")
    return redirect(url_for("cycles.show", cycle_id=cycle_id))


@bp.route("/<int:cycle_id>")
@roles(*STAFF)
def show(cycle_id: int) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    draw_form = SampleForm(formdata=None)
    return _show_page(cycle, draw_form)


@bp.route("/<int:cycle_id>/sample", methods=["POST"])
@roles(*STAFF)
def draw(cycle_id: int) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = SampleForm()
    if form.validate():
        try:
            sample, result = draw_sample(
                cycle,
                size=form.size.data,
                seed=form.seed.data,
                transition_share=form.transition_share.data / 100,
                include_advice=form.include_advice.data == "yes",
                min_advice_per_agency=form.min_advice_per_agency.data,
                exclude_days=form.exclude_days.data,
                issued_by_end=form.issued_by_end.data == "yes",
                actor_id=current_user.id,
            )
        except SampleError as exc:
            show_on_form(form, exc, field="size")
        else:
            flash(f"Sample drawn for {cycle.name}: {len(result.plans)} plans and "
                  f"{len(result.advice)} pieces of advice, seed {sample.seed}.", "success")
            for note in result.notes:
                flash(note, "info")
            return redirect(url_for("cycles.show", cycle_id=cycle_id, _anchor="sample"))
    db.session.rollback()
    cycle = get_visible_or_404(Cycle, cycle_id)
    return _show_page(cycle, form), 400


@bp.route("/<int:cycle_id>/sample.csv")
@roles(*STAFF)
def export(cycle_id: int) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    if queries.current_sample(cycle) is None:
        flash(f"{cycle.name} has no sample yet: draw one first.", "info")
        return redirect(url_for("cycles.show", cycle_id=cycle_id))
    body = "\ufeff" + export_csv(queries.sample_rows(cycle))
    slug = re.sub(r"[^a-z0-9]+", "-", cycle.name.lower()).strip("-") or f"cycle-{cycle.id}"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="sample-{slug}.csv"',
        "Cache-Control": "no-store",
    })


def _calculator(population: int) -> tuple[CalculatorForm, SampleSize | None]:
    asked = "margin" in request.args
    data = request.args if asked else MultiDict(
        {"population": str(population) if population else "", "margin": "10",
         "proportion": "50"})
    form = CalculatorForm(formdata=data)
    if not form.validate():
        return form, None
    try:
        result = sample_size(
            Decimal(form.margin.data) / 100,
            form.population.data,
            Decimal(form.proportion.data) / 100,
        )
    except SamplingError as exc:
        show_on_form(form, exc, field="margin")
        return form, None
    return form, result


def _show_page(cycle: Cycle, draw_form: SampleForm) -> ResponseReturnValue:
    sample = queries.current_sample(cycle)
    exclude_days = (sample.parameters.get("exclude_days") if sample else None) or \
        queries.DEFAULT_EXCLUDE_DAYS
    eligible = queries.eligible_count(queries.Eligibility.for_cycle(cycle, int(exclude_days)))
    calculator, size = _calculator(eligible)
    if draw_form.seed.data is None and not draw_form.errors:
        draw_form.seed.data = new_seed()
    if draw_form.size.data is None and not draw_form.errors:
        draw_form.size.data = size.n if size else None
    errors = draw_form if draw_form.errors else calculator if calculator.errors else None
    return render_template(
        "cycles/show.html",
        cycle=cycle,
        sample=sample,
        rows=queries.sample_rows(cycle) if sample else [],
        locked=queries.has_audits(cycle),
        eligible=eligible,
        exclude_days=exclude_days,
        prior=queries.prior_plan_rate(cycle),
        calculator=calculator,
        size=size,
        draw_form=draw_form,
        form=errors,
    )
