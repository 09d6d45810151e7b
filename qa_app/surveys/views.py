"""The manager's survey pages: links for a cycle's families and for each agency's staff,
the results, and written answers (seen only by managers and administrators)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from qa_app.audits.cycles.models import Cycle, Sample
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.cells import safe_row
from qa_app.extensions import db
from qa_app.mail.sending import link as service_link
from qa_app.reporting.labels import percent_text
from qa_app.reporting.operations import current_targets
from qa_app.rules import RuleError, show_on_form
from qa_app.surveys import figures, operations, queries
from qa_app.surveys.forms import FamilyLinksForm, QuotableForm, RunForm, TrainingForm
from qa_app.surveys.models import PRACTITIONER, SurveyAnswer, SurveyRun

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


def _sampled_cycles() -> list[Cycle]:
    return list(db.session.scalars(
        select(Cycle).join(Sample, Sample.cycle_id == Cycle.id)
        .order_by(Cycle.start_date.desc(), Cycle.id.desc())))


@bp.route("/")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    cycles = [(c, *queries.family_link_counts(c.id)) for c in _sampled_cycles()]
    return render_template("surveys/index.html", versions=queries.all_versions(),
                           cycles=cycles, runs=queries.runs())


def _csv(filename: str, headers: list[str], rows: Iterable[tuple[str, str]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(headers))
    for row in rows:
        writer.writerow(safe_row(row))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "survey"


@bp.route("/cycles/<int:cycle_id>/family-links", methods=["GET", "POST"])
@roles(*STAFF)
def family_links(cycle_id: int) -> ResponseReturnValue:
    """Choose how long links last, check, then make them: the CSV is the only copy."""
    cycle = get_visible_or_404(Cycle, cycle_id)
    form = FamilyLinksForm()
    plans = operations.sampled_plans(cycle.id)
    made, answered = queries.family_link_counts(cycle.id)
    context = {"cycle": cycle, "form": form, "plans": len(plans), "made": made,
               "answered": answered}
    if not form.validate_on_submit():
        return render_template("surveys/family_links.html", **context)
    if form.checked.data != "y":
        form.checked.data = "y"
        return render_template("surveys/family_links_check.html", **context)
    try:
        pairs = operations.make_family_links(cycle, form.days.data or 0)
    except RuleError as error:
        show_on_form(form, error)
        form.checked.data = ""
        return render_template("surveys/family_links.html", **context)
    rows = [(ref, service_link("survey_answers.family_start", token=token))
            for ref, token in pairs]
    return _csv(f"family-links-{_slug(cycle.name)}.csv", ["plan_reference", "link"], rows)


def _survey_choices() -> list[SelectChoice]:
    return [SelectChoice(v.survey_id, v.title) for v in queries.current_versions(PRACTITIONER)]


@bp.route("/runs/new", methods=["GET", "POST"])
@roles(*STAFF)
def new_run() -> ResponseReturnValue:
    form = RunForm()
    form.survey_id.choices = _survey_choices()
    if not form.validate_on_submit():
        return render_template("surveys/run_new.html", form=form)
    if form.checked.data != "y":
        form.checked.data = "y"
        return render_template("surveys/run_check.html", form=form,
                               survey_title=next(c.label for c in form.survey_id.choices
                                                if c.value == form.survey_id.data))
    try:
        run, pairs = operations.start_practitioner_run(
            form.name.data or "", form.survey_id.data or "", form.closes_on.data,
            current_user.id)
    except RuleError as error:
        show_on_form(form, error)
        form.checked.data = ""
        return render_template("surveys/run_new.html", form=form)
    rows = [(agency, service_link("survey_answers.practitioner_questions", token=token))
            for agency, token in pairs]
    return _csv(f"confidence-links-{_slug(run.name)}.csv", ["agency", "link"], rows)


@bp.route("/runs/<int:run_id>/training", methods=["POST"])
@roles(*STAFF)
def training(run_id: int) -> ResponseReturnValue:
    run = get_visible_or_404(SurveyRun, run_id)
    form = TrainingForm()
    if form.validate_on_submit():
        operations.set_training_date(run, form.training_date.data)
        flash("Training date saved." if form.training_date.data else "Training date removed.",
              "success")
        return redirect(url_for(".results", run=run.id))
    return _results(training_form=form, run_id=run.id)


@bp.route("/results")
@roles(*STAFF)
def results() -> ResponseReturnValue:
    return _results()


def _chosen(items: list, key: str) -> object | None:
    """The item asked for; by default the newest cycle whose families were sent links."""
    wanted = request.args.get(key, "")
    for item in items:
        if str(item.id) == wanted:
            return item
    if key == "cycle":
        with_links = [c for c in items if queries.family_link_counts(c.id)[0]]
        items = with_links or items
    return items[0] if items else None


def _results(training_form: TrainingForm | None = None,
             run_id: int | None = None) -> ResponseReturnValue:
    targets = current_targets()
    min_n = targets.min_n
    cycles = _sampled_cycles()
    cycle = _chosen(cycles, "cycle")
    runs = queries.runs()
    run = next((r for r in runs if r.id == run_id), None) if run_id else _chosen(runs, "run")
    family = cross = None
    if isinstance(cycle, Cycle):
        target = targets.target_for(figures.MEASURE, "all", cycle.academic_year)
        family = figures.family_figures(cycle.id, min_n, target)
        cross = figures.family_and_panel(cycle.id, min_n)
    confidence = before_after = None
    if isinstance(run, SurveyRun):
        confidence = figures.confidence_figures(run, min_n)
        if run.training_date is not None:
            before_after = figures.before_and_after(run.survey_id, run.training_date, min_n)
        if training_form is None:
            training_form = TrainingForm(data={"training_date": run.training_date})
    status = 400 if training_form is not None and training_form.errors else 200
    return render_template(
        "surveys/results.html", cycles=cycles, cycle=cycle, runs=runs, run=run,
        family=family, cross=cross, confidence=confidence, before_after=before_after,
        form=training_form, min_n=min_n, percent_text=percent_text,
    ), status


@bp.route("/answers")
@roles(*STAFF)
def answers() -> ResponseReturnValue:
    """Written answers of one cycle's families or one run's staff; never beside the plan or
    agency they came through."""
    cycles, runs = _sampled_cycles(), queries.runs()
    source, _, wanted = request.args.get("pick", "cycle:").partition(":")
    pool: list = runs if source == "run" else cycles
    chosen = next((item for item in pool if str(item.id) == wanted), None) \
        or _chosen(pool, source)
    found: list[queries.WrittenAnswer] = []
    if isinstance(chosen, Cycle):
        found = queries.written_answers(cycle_id=chosen.id)
    elif isinstance(chosen, SurveyRun):
        found = queries.written_answers(run_id=chosen.id)
    return render_template("surveys/answers.html", cycles=cycles, runs=runs, chosen=chosen,
                           source=source, answers=found, form=QuotableForm())


@bp.route("/answers/<int:answer_id>/quotable", methods=["POST"])
@roles(*STAFF)
def quotable(answer_id: int) -> ResponseReturnValue:
    answer = get_visible_or_404(SurveyAnswer, answer_id)
    form = QuotableForm()
    if not form.validate_on_submit() or form.quotable.data not in {"y", "n"}:
        flash("Nothing was changed: try again.", "info")
    else:
        try:
            operations.set_quotable(answer, form.quotable.data == "y")
        except RuleError as error:
            flash(error.message, "info")
        else:
            flash("Marked as quotable anonymously." if answer.quotable
                  else "No longer marked as quotable.", "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/surveys/answers") else url_for(".answers"))
