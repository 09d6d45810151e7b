"""Issuing a letter, from its check page only: the page says what will happen and what is not
finished; a post that did not come from it (no `checked`) is refused and changes nothing."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import get_visible_or_404, roles
from qa_app.auth.models import Role
from qa_app.letters import operations
from qa_app.letters.checks import fingerprint, issue_check
from qa_app.letters.forms import IssueForm
from qa_app.letters.models import Letter
from qa_app.letters.views import bp

NOT_FROM_CHECK = ("The letter was not issued: issue it from this page, after reading what "
                  "will happen. Nothing has changed")
CHANGED_SINCE = ("The draft has changed since this page was shown. Read it again, then issue "
                 "it")


def _check_page(letter: Letter, form: IssueForm, status: int = 200) -> ResponseReturnValue:
    form.checked.data = fingerprint(letter)
    return render_template("letters/issue_check.html", letter=letter, form=form,
                           check=issue_check(letter, date.today())), status


@bp.route("/<int:letter_id>/issue", methods=["GET", "POST"])
@roles(Role.PANEL_CHAIR)
def issue(letter_id: int) -> ResponseReturnValue:
    letter = get_visible_or_404(Letter, letter_id)
    if letter.is_issued:
        flash(f"Letter {letter.reference} has already been issued and cannot be changed. "
              "Start a correction to send a new version.")
        return redirect(url_for("letters.show", letter_id=letter.id))
    if not operations.may_chair(current_user, letter.cycle_id):
        flash(f"Only the chair of one of the panels for {letter.cycle.name} can issue its "
              "letters.")
        return redirect(url_for("letters.show", letter_id=letter.id))
    if not letter.content:
        abort(404)
    form = IssueForm()
    if not form.is_submitted():
        return _check_page(letter, form)
    if not form.validate():
        abort(400)
    if not form.checked.data:
        form.form_errors.append(NOT_FROM_CHECK)
        return _check_page(letter, form, 400)
    if form.checked.data != fingerprint(letter):
        form.form_errors.append(CHANGED_SINCE)
        return _check_page(letter, form, 409)
    try:
        operations.issue_letter(letter.id, actor_id=current_user.id)
    except operations.LetterError as exc:
        form.form_errors.append(f"The letter was not issued: {exc}")
        return _check_page(letter, form, 409)
    flash(f"Letter {letter.reference} issued. The agency lead can now read and answer it.",
          "success")
    return redirect(url_for("letters.show", letter_id=letter_id))
