"""Cycle pages for the manager: the cycle's task list, create, edit, close (after a check
page), size and draw the sample (a redraw after a check page), export it.

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

from qa_app.audits.cycles import queries, task_list
from qa_app.audits.cycles.forms import CalculatorForm, CloseForm, CycleForm, SampleForm
from qa_app.audits.cycles.models import Cycle
from qa_app.audits.cycles.operations import (
    check_can_draw,
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
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.rules import show_on_form
from qa_app.timeutil import format_datetime

bp = Blueprint("cycles", __name__, url_prefix="/cycles")

CLOSE_NOT_CONFIRMED = ("The cycle has not been closed: check what closing does below, then "
                       "use the Close the cycle button on this page")
REDRAW_NOT_CONFIRMED = ("The sample has not been drawn again: check what would be replaced "
                        "below, then use the Draw the sample again button on this page")


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


@bp.route("/<int:cycle_id>/close", methods=["GET", "POST"])
@roles(*STAFF)
def close(cycle_id: int) -> ResponseReturnValue:
    """A check page first: what closing stops and what is unfinished; only its button closes."""
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = CloseForm()
    if cycle.status == "closed":
        flash(f"{cycle.name} is already closed.", "info")
        return redirect(url_for("cycles.show", cycle_id=cycle_id))
    refused = None
    if request.method == "POST":
        if form.confirmed_on_check_page():
            close_cycle(cycle, actor_id=current_user.id)
            flash(f"Cycle {cycle.name} closed.", "success")
            return redirect(url_for("cycles.show", cycle_id=cycle_id))
        refused = CLOSE_NOT_CONFIRMED
    return render_template(
        "cycles/close.html", cycle=cycle, close_form=CloseForm(formdata=None), refused=refused,
        unfinished=task_list.unfinished(queries.cycle_progress(cycle)),
    ), 400 if refused else 200


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
    """Draw the sample; drawing it again needs the answer from the redraw check page."""
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = SampleForm()
    previous = queries.current_sample(cycle)
    if form.validate():
        settings = form.settings()
        try:
            check_can_draw(cycle, form.size.data, queries.Eligibility.for_cycle(
                cycle, form.exclude_days.data, form.issued_by_end.data == "yes"))
            if previous is not None and not form.confirmed_on_check_page():
                return _redraw_page(cycle, form, refused=REDRAW_NOT_CONFIRMED), 400
            sample, result = draw_sample(cycle, **settings, actor_id=current_user.id)
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


@bp.route("/<int:cycle_id>/sample/check", methods=["POST"])
@roles(*STAFF)
def check_redraw(cycle_id: int) -> ResponseReturnValue:
    """What drawing again would replace, with the new draw's settings carried to its button.

    Nothing is written here; a draw that would be refused is refused on the cycle page."""
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = SampleForm()
    if queries.current_sample(cycle) is None:
        return redirect(url_for("cycles.show", cycle_id=cycle_id))
    if form.validate():
        try:
            check_can_draw(cycle, form.size.data, queries.Eligibility.for_cycle(
                cycle, form.exclude_days.data, form.issued_by_end.data == "yes"))
        except SampleError as exc:
            show_on_form(form, exc, field="size")
        else:
            return _redraw_page(cycle, form)
    return _show_page(cycle, form), 400


def _redraw_page(cycle: Cycle, form: SampleForm, refused: str | None = None) -> str:
    sample = queries.current_sample(cycle)
    assert sample is not None
    rule = queries.Eligibility.for_cycle(cycle, form.exclude_days.data,
                                         form.issued_by_end.data == "yes")
    return render_template(
        "cycles/redraw.html", cycle=cycle, sample=sample, draw_form=form, refused=refused,
        progress=queries.cycle_progress(cycle), eligible=queries.eligible_count(rule),
        when=format_datetime,
    )


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


def _show_page(cycle: Cycle, draw_form: SampleForm) -> str:
    sample = queries.current_sample(cycle)
    exclude_days = (sample.parameters.get("exclude_days") if sample else None) or \
        queries.DEFAULT_EXCLUDE_DAYS
    eligible = queries.eligible_count(queries.Eligibility.for_cycle(cycle, int(exclude_days)))
    calculator, size = _calculator(eligible)
    if draw_form.seed.data is None and not draw_form.errors:
        draw_form.seed.data = new_seed()
        if sample is not None:
            draw_form.fill_from(sample.parameters)
    if draw_form.size.data is None and not draw_form.errors:
        draw_form.size.data = size.n if size else None
    errors = draw_form if draw_form.errors else calculator if calculator.errors else None
    progress = queries.cycle_progress(cycle)
    sections = task_list.sections(cycle, progress, task_list.figures_of(cycle))
    page = queries.sample_page(queries.sample_rows(cycle) if sample else [],
                               query_int("page", 1, low=1, high=MAX_PAGE) or 1)
    kept = {k: v for k, v in request.args.items() if k in {"population", "margin", "proportion"}}
    return render_template(
        "cycles/show.html",
        cycle=cycle,
        sample=sample,
        page=page,
        page_url=lambda n: url_for("cycles.show", cycle_id=cycle.id, page=n, **kept,
                                   _anchor="sample-items"),
        sections=sections,
        completed=task_list.completed(sections),
        locked=queries.has_audits(cycle),
        eligible=eligible,
        exclude_days=exclude_days,
        prior=queries.prior_plan_rate(cycle),
        calculator=calculator,
        calculator_asked="margin" in request.args,
        size=size,
        draw_form=draw_form,
        form=errors,
        when=format_datetime,
    )
