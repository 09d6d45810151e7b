"""Letter pages: the cycle tracker, each letter as accessible HTML and as its PDF, the chair's
draft editing and corrections, the board date and the board pack. Issuing and the agency's
response, each with its check page, are in issue_views.py and response_views.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.auth.access import STAFF, get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.inputs import parse_id, query_int
from qa_app.jobs import JobNotStarted, JobRun, launch
from qa_app.jobs.display import status_words as job_status_words
from qa_app.letters import operations, queries
from qa_app.letters.content import letterhead
from qa_app.letters.document import LetterContent, long_date
from qa_app.letters.forms import (
    CorrectionForm,
    EditLetterForm,
    GenerateForm,
    PartialForm,
    PresentedForm,
)
from qa_app.letters.integrity import describe, problems
from qa_app.letters.later_changes import later_changes, letters_with_changes
from qa_app.letters.models import Letter
from qa_app.letters.pdf import board_pack_pdf, response_pdf, salutation
from qa_app.letters.queries import planned_changes, status_of
from qa_app.letters.readiness import record_partial_choice
from qa_app.rules import show_on_form

bp = Blueprint("letters", __name__, url_prefix="/letters")

GENERATE_TASK = "workers.tasks.generate_cycle_letters"
READERS = (*STAFF, Role.PANEL_CHAIR, Role.AGENCY_LEAD)
OFFICE = (*STAFF, Role.PANEL_CHAIR)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"long_date": long_date, "salutation": salutation,
            "job_status_words": job_status_words}


def _is(*allowed: Role) -> bool:
    return current_user.role in {str(r) for r in allowed}


def _pdf_response(data: bytes, filename: str) -> ResponseReturnValue:
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _readable_letter(letter_id: int) -> Letter:
    """A letter the user may read: agency leads see only their agency's issued versions."""
    letter = get_visible_or_404(Letter, letter_id)
    if _is(Role.AGENCY_LEAD) and not letter.is_issued:
        abort(404)
    return letter


@bp.route("/")
@roles(*STAFF, Role.PANEL_CHAIR, Role.AGENCY_LEAD)
def index() -> ResponseReturnValue:
    today = date.today()
    if _is(Role.AGENCY_LEAD):
        letters = queries.issued_letters_for_agency()
        return render_template("letters/agency.html", letters=letters, today=today,
                               status_of=status_of, regraded=letters_with_changes(letters))
    cycles = queries.cycles_newest_first()
    chosen = _chosen_cycle(cycles)
    rows = queries.cycle_tracker(chosen.id, today) if chosen else []
    regraded = letters_with_changes([row.issued for row in rows if row.issued is not None])
    job_id = query_int("job")
    job = db.session.get(JobRun, job_id) if job_id else None
    return render_template(
        "letters/index.html", cycles=cycles, cycle=chosen, rows=rows, regraded=regraded,
        job=job if job is not None and job.job == "generate_cycle_letters" else None,
        generate_form=GenerateForm(cycle_id=chosen.id) if chosen and _is(*STAFF) else None,
        ready=operations.readiness(chosen.id) if chosen and _is(*STAFF) else None,
    )


def _chosen_cycle(cycles: Any) -> Cycle | None:
    wanted = query_int("cycle", strict=True)
    for cycle in cycles:
        if wanted is None or cycle.id == wanted:
            return cycle
    if wanted is not None:
        abort(404)
    return None


@bp.route("/generate", methods=["POST"])
@roles(*STAFF)
def generate() -> ResponseReturnValue:
    form = GenerateForm()
    cycle_id = parse_id(str(form.cycle_id.data))
    if not form.validate_on_submit() or cycle_id is None:
        abort(400)
    cycle = get_visible_or_404(Cycle, cycle_id)
    try:
        operations.check_can_write(cycle, partial=True)
    except operations.LetterError as exc:
        flash(f"Letters cannot be generated now: {exc}.")
        return redirect(url_for("letters.index", cycle=cycle.id))
    if not operations.readiness(cycle.id).complete:
        return redirect(url_for("letters.partial", cycle_id=cycle.id))
    return _start_generation(cycle, partial=False)


@bp.route("/cycles/<int:cycle_id>/partial", methods=["GET", "POST"])
@roles(*STAFF)
def partial(cycle_id: int) -> ResponseReturnValue:
    """Confirm step: letters on an unfinished sample only by an explicit, logged choice."""
    cycle = get_visible_or_404(Cycle, cycle_id)
    ready = operations.readiness(cycle.id)
    if ready.complete:
        return redirect(url_for("letters.index", cycle=cycle.id))
    form = PartialForm()
    if form.validate_on_submit():
        shown = (form.finalised.data, form.sampled.data)
        if shown != (str(ready.finalised), str(ready.sampled)):
            form.confirm.errors = [f"The sample has changed since this page was shown: it is "
                                   f"now {ready.words}. Check and confirm again"]
        else:
            return _start_generation(cycle, partial=True)
    form.finalised.data, form.sampled.data = str(ready.finalised), str(ready.sampled)
    return render_template("letters/partial.html", cycle=cycle, ready=ready, form=form)


def _start_generation(cycle: Cycle, *, partial: bool) -> ResponseReturnValue:
    back = url_for("letters.index", cycle=cycle.id)
    try:
        basis = operations.check_can_write(cycle, partial=partial)
    except operations.LetterError as exc:
        db.session.rollback()
        flash(f"Letters cannot be generated now: {exc}.")
        return redirect(back)
    record_partial_choice(cycle, basis, actor_id=current_user.id, via="letters page")
    try:
        launched = launch(GENERATE_TASK, {"cycle_id": cycle.id, "partial": partial})
    except JobNotStarted as exc:
        flash(f"Letters cannot be generated now: {exc}.")
        return redirect(url_for("letters.index", cycle=cycle.id, job=exc.run_id))
    job = launched.run
    if launched.queued:
        flash("Letters are being generated. Refresh this page to see them.", "success")
    else:
        done = job
        if done is not None and done.status == "done":
            flash(f"Letters generated: {done.message or 'no changes'}.", "success")
        else:
            flash("Some letters could not be generated: "
                  f"{done.message if done and done.message else 'see the job below'}.")
    return redirect(url_for("letters.index", cycle=cycle.id, job=job.id))


@bp.route("/<int:letter_id>")
@roles(*READERS)
def show(letter_id: int) -> ResponseReturnValue:
    letter = _readable_letter(letter_id)
    return _letter_page(letter)


def _letter_page(letter: Letter, **forms: Any) -> ResponseReturnValue:
    today = date.today()
    content = LetterContent.from_json(letter.content) if letter.content else None
    newer = queries.newer_issued(letter) if letter.is_issued else None
    chair = operations.may_chair(current_user, letter.cycle_id)
    staff = _is(*STAFF)
    response = letter.response
    failed = problems(letter)
    if failed:
        current_app.logger.error("%s", describe(letter, failed))
    context = {
        "letter": letter, "content": content, "facts": content.shown_facts if content else None,
        "integrity_problems": failed,
        "later_changes": later_changes(letter) if letter.is_issued and not failed else [],
        "status": status_of(letter, today), "response": response, "newer": newer,
        "versions": queries.versions_of(letter) if not _is(Role.AGENCY_LEAD) else [],
        "can_issue": chair and not letter.is_issued and content is not None,
        "correction_form": CorrectionForm() if chair and letter.is_issued and not newer else None,
        "presented_form": PresentedForm() if staff and response is not None
        and response.submitted and not response.presented_on else None,
        "can_respond": _is(Role.AGENCY_LEAD) and response is not None
        and not response.submitted and newer is None,
        "planned": planned_changes(response) if response is not None and response.submitted
        else (),
        "can_edit": chair and not letter.is_issued,
    }
    context.update({k: v for k, v in forms.items() if v is not None})
    return render_template("letters/show.html", **context)


@bp.route("/<int:letter_id>/pdf")
@roles(*READERS)
def pdf(letter_id: int) -> ResponseReturnValue:
    letter = _readable_letter(letter_id)
    try:
        data = operations.verified_pdf(letter)
    except operations.LetterIntegrityError as exc:
        current_app.logger.error("%s", exc)
        return render_template("letters/integrity.html", letter=letter,
                               failures=[(letter, problems(letter))]), 500
    except operations.LetterError:
        abort(404)
    name = letter.reference.replace("/", "-")
    return _pdf_response(data, f"{name}{'-draft' if not letter.is_issued else ''}.pdf")


@bp.route("/<int:letter_id>/edit", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR)
def edit(letter_id: int) -> ResponseReturnValue:
    letter = get_visible_or_404(Letter, letter_id)
    if letter.is_issued or not letter.content:
        abort(404)
    if not operations.may_chair(current_user, letter.cycle_id):
        flash(f"Only the chair of one of the panels for {letter.cycle.name} can edit its "
              "letters.")
        return redirect(url_for("letters.show", letter_id=letter.id))
    facts = LetterContent.from_json(letter.content).facts
    form = EditLetterForm()
    form.omitted.choices = [SelectChoice(e.key, f"{f.title}: “{e.text}”")
                            for f in (*facts.strengths, *facts.areas) for e in f.evidence]
    if request.method == "GET":
        form.opening.data, form.strengths.data = letter.opening, letter.strengths
        form.areas.data, form.correction_note.data = (letter.areas_for_development,
                                                      letter.correction_note)
        form.omitted.data = list(letter.omitted_evidence or [])
    elif form.validate_on_submit():
        try:
            operations.edit_draft(
                letter.id, actor_id=current_user.id, opening=form.opening.data,
                strengths=form.strengths.data, areas=form.areas.data,
                correction_note=form.correction_note.data, omitted=form.omitted.data)
        except operations.LetterError as exc:
            db.session.rollback()
            show_on_form(form, exc, "opening")
        else:
            flash(f"Draft {letter.reference} saved.", "success")
            return redirect(url_for("letters.show", letter_id=letter.id))
    return render_template("letters/edit.html", letter=letter, form=form)


@bp.route("/<int:letter_id>/correct", methods=["POST"])
@roles(Role.PANEL_CHAIR)
def correct(letter_id: int) -> ResponseReturnValue:
    letter = get_visible_or_404(Letter, letter_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _letter_page(letter, correction_form=form, form=form)
    try:
        draft = operations.start_correction(letter.id, actor_id=current_user.id,
                                            reason=form.reason.data)
    except operations.LetterError as exc:
        db.session.rollback()
        flash(f"No correction was started: {exc}.")
        return redirect(url_for("letters.show", letter_id=letter.id))
    flash(f"Correction {draft.reference} started as a draft.", "success")
    return redirect(url_for("letters.show", letter_id=draft.id))


@bp.route("/<int:letter_id>/presented", methods=["POST"])
@roles(*STAFF)
def presented(letter_id: int) -> ResponseReturnValue:
    letter = get_visible_or_404(Letter, letter_id)
    form = PresentedForm()
    if not form.validate_on_submit():
        return _letter_page(letter, presented_form=form, form=form)
    try:
        operations.mark_presented(letter.id, actor_id=current_user.id,
                                  presented_on=form.presented_on.data)
    except operations.LetterError as exc:
        db.session.rollback()
        show_on_form(form, exc, "presented_on")
        return _letter_page(letter, presented_form=form, form=form)
    flash(f"Recorded: the response to {letter.reference} was presented to the board on "
          f"{long_date(form.presented_on.data)}.", "success")
    return redirect(url_for("letters.show", letter_id=letter.id))


@bp.route("/<int:letter_id>/response.pdf")
@roles(*READERS)
def response_document(letter_id: int) -> ResponseReturnValue:
    letter = _readable_letter(letter_id)
    if letter.response is None or not letter.response.submitted:
        abort(404)
    sheet = queries.response_sheet(letter, date.today())
    data = response_pdf(sheet, letterhead().name)
    return _pdf_response(data, f"{letter.reference.replace('/', '-')}-response.pdf")


@bp.route("/cycles/<int:cycle_id>/board-pack.pdf")
@roles(*OFFICE)
def board_pack(cycle_id: int) -> ResponseReturnValue:
    cycle = get_visible_or_404(Cycle, cycle_id)
    try:
        pack = queries.board_pack(cycle, date.today())
    except queries.UnverifiedLetters as exc:
        current_app.logger.error("%s", exc)
        return render_template("letters/integrity.html", failures=exc.failures, cycle=cycle), 500
    return _pdf_response(board_pack_pdf(pack), f"board-pack-QA-{cycle.id}.pdf")


@bp.route("/results")
@roles(Role.AGENCY_LEAD)
def results() -> ResponseReturnValue:
    return render_template("letters/results.html", results=queries.audit_results())


@bp.route("/results/<int:grade_id>")
@roles(Role.AGENCY_LEAD)
def result(grade_id: int) -> ResponseReturnValue:
    grade = get_visible_or_404(FinalGrade, grade_id)
    return render_template("letters/result.html", result=queries.result_of(grade),
                           criteria=queries.criterion_rows(grade),
                           cycle=db.session.get(Cycle, grade.cycle_id) if grade.cycle_id else None)
