"""The agency lead's formal response: rows of changes saved as a draft, a check page, then
sending, which only the check page can do (a post without its `checked` is refused)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.letters import responses
from qa_app.letters.errors import LetterError
from qa_app.letters.forms import ResponseForm, SendResponseForm
from qa_app.letters.models import Letter, LetterResponse
from qa_app.letters.queries import status_of
from qa_app.letters.responses import ChangeRow, ResponseError, RowProblem
from qa_app.letters.views import bp

NOT_FROM_CHECK = ("The response was not sent: send it from this page, after checking your "
                  "answers. Nothing has changed")


def _open_response(letter_id: int) -> tuple[Letter, LetterResponse] | None:
    """The letter and its response while the lead may still write it; None once it may not
    (sent, replaced, or never issued)."""
    letter = get_visible_or_404(Letter, letter_id)
    if not letter.is_issued:
        return None
    try:
        return letter, responses.answerable(letter.id, current_user.id)
    except LetterError:
        return None


def _typed_rows(form: ResponseForm) -> list[ChangeRow]:
    return [ChangeRow(e.form.change.data or "", e.form.owner.data or "", e.form.complete_by.data)
            for e in form.rows]


def _form_with(rows: list[ChangeRow]) -> ResponseForm:
    return ResponseForm(formdata=None, data={"rows": [
        {"change": r.change, "owner": r.owner, "complete_by": r.complete_by} for r in rows
    ] or [{}]})


def _show_problems(form: ResponseForm, problems: tuple[RowProblem, ...], typed: list[ChangeRow]
                   ) -> None:
    """Put each problem beside its box; rows were numbered without the blank ones."""
    shown = [i for i, row in enumerate(typed) if not row.blank] or [0]
    for problem in problems:
        index = shown[problem.index] if problem.index < len(shown) else 0
        field = form.rows[index].form[problem.field]
        field.errors = [*field.errors, problem.message]
    _gather(form)


def _gather(form: ResponseForm) -> None:
    """The list's errors are collected when it validates; collect them again after adding."""
    found = [entry.errors for entry in form.rows]
    form.rows.errors = found if any(found) else []


def _date_messages(form: ResponseForm) -> None:
    """The date box's own message names the row it is in."""
    for n, entry in enumerate(form.rows, start=1):
        if entry.form.complete_by.errors:
            entry.form.complete_by.errors = [
                f"The date for change {n} must be a real date, for example 27 3 "
                f"{date.today().year + 1}"]
    _gather(form)


def _page(letter: Letter, response: LetterResponse, form: ResponseForm,
          status: int = 200) -> ResponseReturnValue:
    return render_template("letters/respond.html", letter=letter, response=response, form=form,
                           status=status_of(letter, date.today()),
                           most_rows=responses.MOST_ROWS, example_year=date.today().year + 1,
                           change_limit=responses.CHANGE_LIMIT), status


@bp.route("/<int:letter_id>/response", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD)
def respond(letter_id: int) -> ResponseReturnValue:
    found = _open_response(letter_id)
    if found is None:
        return redirect(url_for("letters.show", letter_id=letter_id))
    letter, response = found
    if request.method == "GET":
        return _page(letter, response, _form_with(responses.draft_rows(response)))
    form = ResponseForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return _page(letter, response, _form_with(responses.draft_rows(response)), 400)
        _date_messages(form)
        return _page(letter, response, form)
    action = request.form.get("action", "save")
    typed = _typed_rows(form)
    if action.startswith("remove-") and action[7:].isdigit() and int(action[7:]) < len(typed):
        del typed[int(action[7:])]
    try:
        responses.save_draft(letter.id, actor_id=current_user.id, rows=typed)
    except ResponseError as exc:
        form = _form_with(typed) if action.startswith("remove-") else form
        _show_problems(form, exc.problems, typed)
        if not exc.problems:
            form.form_errors.append(exc.message)
        return _page(letter, response, form)
    if action == "add":
        more = typed + [ChangeRow()] if len(typed) < responses.MOST_ROWS else typed
        return _page(letter, response, _form_with(more))
    if action.startswith("remove-"):
        return _page(letter, response, _form_with(typed))
    if action == "continue":
        problems = responses.sending_problems(response, date.today())
        if not problems:
            return redirect(url_for("letters.check_response", letter_id=letter.id))
        _show_problems(form, tuple(problems), typed)
        return _page(letter, response, form)
    flash("Your draft response has been saved. It has not been sent: come back to it at any "
          "time before it is due, then check and send it.", "success")
    return redirect(url_for("letters.show", letter_id=letter.id))


def _check_page(letter: Letter, response: LetterResponse, form: SendResponseForm,
                status: int = 200) -> ResponseReturnValue:
    form.checked.data = responses.draft_digest(response)
    context: dict[str, Any] = {"letter": letter, "response": response, "form": form,
                               "rows": response.planned_changes,
                               "status": status_of(letter, date.today())}
    return render_template("letters/response_check.html", **context), status


@bp.route("/<int:letter_id>/response/check", methods=["GET", "POST"])
@roles(Role.AGENCY_LEAD)
def check_response(letter_id: int) -> ResponseReturnValue:
    found = _open_response(letter_id)
    if found is None:
        return redirect(url_for("letters.show", letter_id=letter_id))
    letter, response = found
    if responses.sending_problems(response, date.today()):
        flash("Your response is not ready to send yet: finish each change first.")
        return redirect(url_for("letters.respond", letter_id=letter.id))
    form = SendResponseForm()
    if not form.is_submitted():
        return _check_page(letter, response, form)
    if not form.validate():
        return _check_page(letter, response, form, 400)
    if not form.checked.data:
        form.form_errors.append(NOT_FROM_CHECK)
        return _check_page(letter, response, form, 400)
    try:
        responses.send_response(letter.id, actor_id=current_user.id, checked=form.checked.data)
    except LetterError as exc:
        form.form_errors.append(exc.message)
        return _check_page(letter, response, form, 409)
    flash("Your agency's response has been sent to the partnership.", "success")
    return redirect(url_for("letters.show", letter_id=letter.id))
