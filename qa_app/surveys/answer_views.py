"""The pages families and practitioners answer on, without an account.

The secret in the link is the only key: an unknown secret is a plain 404, a used or expired
one gets a kind page saying so. Each page is limited per network address, keeps CSRF
protection (it works without signing in), and never writes the secret to a log. Answers
are checked on a page of their own before they are sent; nothing identifying is asked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from qa_app.auth.access import public
from qa_app.auth.limits import address_key
from qa_app.extensions import db, limiter
from qa_app.surveys import operations, queries
from qa_app.surveys.definition import Survey
from qa_app.surveys.forms import RESPONDENT_CHOICES, WhoForm, answer_form
from qa_app.surveys.models import FAMILY, PRACTITIONER, SurveyLink, SurveyRun, SurveyVersion

bp = Blueprint("survey_answers", __name__)

RESPONDENTS = {choice.value for choice in RESPONDENT_CHOICES}


def _limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


def _too_many() -> str:
    return "There have been too many requests from your network. Wait a minute, then try again."


limiter.limit(_limit, key_func=lambda: "survey|" + address_key(), error_message=_too_many)(bp)


def _open(token: str, audience: str) -> SurveyLink | ResponseReturnValue:
    found = queries.find_link(token, audience)
    if found is None:
        abort(404)
    link, state = found
    if state == queries.USED:
        return render_template("surveys/answer/already_answered.html"), 410
    if state == queries.EXPIRED:
        return render_template("surveys/answer/expired.html", audience=audience), 410
    return link


def _version(link: SurveyLink, audience: str, respondent: str) -> SurveyVersion:
    """The questions to ask: a family's by who is answering; staff get the newest version of
    the survey their link's run was started with (never another staff survey loaded beside
    it, whose answers the run's results would not count)."""
    if audience == FAMILY:
        version = queries.family_version(respondent) if respondent in RESPONDENTS else None
    else:
        run = db.session.get(SurveyRun, link.run_id) if link.run_id is not None else None
        version = operations.current_version(run.survey_id, PRACTITIONER) if run else None
    if version is None:
        abort(404)
    return version


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@public
def family_start(token: str) -> ResponseReturnValue:
    link = _open(token, FAMILY)
    if not isinstance(link, SurveyLink):
        return link
    form = WhoForm()
    if form.validate_on_submit():
        return redirect(url_for(".family_questions", token=token, respondent=form.respondent.data))
    return render_template("surveys/answer/start.html", form=form)


@bp.route("/feedback/<token>/<respondent>", methods=["GET", "POST"])
@public
def family_questions(token: str, respondent: str) -> ResponseReturnValue:
    return _questions(token, FAMILY, respondent, ".family_send")


@bp.route("/feedback/<token>/<respondent>/send", methods=["POST"])
@public
def family_send(token: str, respondent: str) -> ResponseReturnValue:
    return _send(token, FAMILY, respondent, ".family_questions", ".family_done")


@bp.route("/feedback/thank-you")
@public
def family_done() -> ResponseReturnValue:
    return render_template("surveys/answer/thank_you.html", audience=FAMILY)


@bp.route("/confidence/<token>", methods=["GET", "POST"])
@public
def practitioner_questions(token: str) -> ResponseReturnValue:
    return _questions(token, PRACTITIONER, PRACTITIONER, ".practitioner_send")


@bp.route("/confidence/<token>/send", methods=["POST"])
@public
def practitioner_send(token: str) -> ResponseReturnValue:
    return _send(token, PRACTITIONER, PRACTITIONER, ".practitioner_questions",
                 ".practitioner_done")


@bp.route("/confidence/thank-you")
@public
def practitioner_done() -> ResponseReturnValue:
    return render_template("surveys/answer/thank_you.html", audience=PRACTITIONER)


def _urls(token: str, audience: str, respondent: str, endpoint: str) -> str:
    if audience == FAMILY:
        return url_for(endpoint, token=token, respondent=respondent)
    return url_for(endpoint, token=token)


def _questions(token: str, audience: str, respondent: str, send: str) -> ResponseReturnValue:
    """Ask the questions; valid answers go to a check page that sends them again."""
    link = _open(token, audience)
    if not isinstance(link, SurveyLink):
        return link
    version = _version(link, audience, respondent)
    survey = Survey.from_dict(version.body)
    changing = request.method == "POST" and "change" in request.form
    form = answer_form(survey)
    if not changing and form.validate_on_submit():
        return render_template("surveys/answer/check.html", survey=survey, form=form,
                               answers=_summary(survey, form),
                               action=_urls(token, audience, respondent, send),
                               back=_urls(token, audience, respondent, request.endpoint or ""))
    refused = request.method == "POST" and not changing  # answers that did not validate
    return render_template("surveys/answer/questions.html", survey=survey, form=form,
                           audience=audience), 400 if refused else 200


def _send(token: str, audience: str, respondent: str, questions: str,
          done: str) -> ResponseReturnValue:
    link = _open(token, audience)
    if not isinstance(link, SurveyLink):
        return link
    version = _version(link, audience, respondent)
    survey = Survey.from_dict(version.body)
    form = answer_form(survey)
    if not form.validate_on_submit():
        return render_template("surveys/answer/questions.html", survey=survey, form=form,
                               audience=audience), 400
    values = {q.id: form[q.id].data for q in survey.questions}
    if not operations.save_answers(link, version, values):
        return render_template("surveys/answer/already_answered.html"), 410
    return redirect(url_for(done))


def _summary(survey: Survey, form: Any) -> list[tuple[str, str, str, str]]:
    """(question id, question, answer in words, raw value) for the check page."""
    rows = []
    for question in survey.questions:
        raw = form[question.id].data
        if question.kind == "scale" and question.scale is not None and raw:
            words = question.scale.label_for(int(raw))
        else:
            words = raw or "Not answered"
        rows.append((question.id, question.text, words, raw or ""))
    return rows
