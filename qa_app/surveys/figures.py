"""The survey measures, counted in the database: families rating their experience good or
better (partnership and by agency), family rating beside the panel's grade (a cross-table,
never one plan), and practitioners' confidence by agency and question, before and after
training. A figure counted from fewer than `min_n` answers is withheld, so that no figure
can be traced back to one family or one member of staff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select

from qa_app.audits.moderation.models import FinalGrade
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.surveys.definition import Survey
from qa_app.surveys.models import (
    FAMILY,
    PRACTITIONER,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
    SurveyRun,
    SurveyVersion,
)

MEASURE = "families_experience_good_or_better"


@dataclass(frozen=True)
class Share:
    """`good` of `n` answers good or better; `shown` is False when n is below min_n."""

    good: int
    n: int
    min_n: int

    @property
    def shown(self) -> bool:
        return self.n >= self.min_n and self.n > 0

    @property
    def percent(self) -> Fraction | None:
        return Fraction(100 * self.good, self.n) if self.shown else None


@dataclass(frozen=True)
class AgencyShare:
    agency_name: str
    share: Share


@dataclass(frozen=True)
class FamilyFigures:
    partnership: Share
    by_agency: list[AgencyShare]
    target: float | None


@dataclass(frozen=True)
class CrossTable:
    """Plans whose family answered and whose panel grade is final, counted four ways."""

    family_good_panel_good: int
    family_good_panel_not: int
    family_not_panel_good: int
    family_not_panel_not: int
    min_n: int

    @property
    def total(self) -> int:
        return (self.family_good_panel_good + self.family_good_panel_not
                + self.family_not_panel_good + self.family_not_panel_not)

    @property
    def shown(self) -> bool:
        return self.total >= self.min_n and self.total > 0


def _headline_pairs(audience: str = FAMILY) -> list[tuple[int, str]]:
    """(version id, question id) of the headline question of every stored family version."""
    pairs = []
    for version in db.session.scalars(
            select(SurveyVersion).where(SurveyVersion.audience == audience)):
        headline = Survey.from_dict(version.body).headline
        if headline is not None:
            pairs.append((version.id, headline.id))
    return pairs


def _headline_condition() -> Any:
    pairs = _headline_pairs()
    if not pairs:
        return false()
    return or_(*(and_(SurveyResponse.survey_version_id == version_id,
                      SurveyAnswer.question_id == question_id)
                 for version_id, question_id in pairs))


def _family_answers(cycle_id: int) -> Select[Any]:
    return _family_answers_in([cycle_id])


def _family_answers_in(cycle_ids: Sequence[int]) -> Select[Any]:
    """The headline answers of the families of these cycles (one cycle, or a year's)."""
    return (select(SurveyLink.agency_id.label("agency_id"), SurveyLink.plan_id.label("plan_id"),
                   SurveyAnswer.good_or_better.label("good"))
            .join(SurveyResponse, SurveyResponse.link_id == SurveyLink.id)
            .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyLink.audience == FAMILY, SurveyLink.cycle_id.in_(list(cycle_ids)),
                   _headline_condition()))


def _good_count(column: Any) -> Any:
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


def family_figures(cycle_id: int, min_n: int, target: float | None = None) -> FamilyFigures:
    return family_figures_in([cycle_id], min_n, target)


def family_figures_in(cycle_ids: Sequence[int], min_n: int,
                      target: float | None = None) -> FamilyFigures:
    """As `family_figures`, over several cycles together (an academic year's)."""
    answers = _family_answers_in(cycle_ids).subquery()
    good, n = db.session.execute(
        select(_good_count(answers.c.good), func.count())).one()
    rows = db.session.execute(
        select(Agency.name, _good_count(answers.c.good), func.count())
        .join(answers, answers.c.agency_id == Agency.id)
        .group_by(Agency.name).order_by(Agency.name)).all()
    return FamilyFigures(Share(int(good), int(n), min_n),
                         [AgencyShare(name, Share(int(g), int(c), min_n)) for name, g, c in rows],
                         target)


def family_and_panel(cycle_id: int, min_n: int) -> CrossTable:
    answers = _family_answers(cycle_id).subquery()
    counts = dict.fromkeys([(True, True), (True, False), (False, True), (False, False)], 0)
    rows = db.session.execute(
        select(answers.c.good, FinalGrade.good_or_better, func.count())
        .join(FinalGrade, and_(FinalGrade.plan_id == answers.c.plan_id,
                               FinalGrade.cycle_id == cycle_id))
        .group_by(answers.c.good, FinalGrade.good_or_better)).all()
    for family_good, panel_good, count in rows:
        counts[(bool(family_good), bool(panel_good))] += int(count)
    return CrossTable(counts[(True, True)], counts[(True, False)], counts[(False, True)],
                      counts[(False, False)], min_n)


@dataclass(frozen=True)
class QuestionRow:
    question_id: str
    question: str
    partnership: Share
    by_agency: dict[str, Share]


@dataclass(frozen=True)
class ConfidenceFigures:
    agencies: list[str]
    rows: list[QuestionRow]


def _scale_questions(survey_id: str) -> dict[str, str]:
    """Question id -> wording, from the newest version of the survey, scale questions only."""
    version = db.session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.id.desc()).limit(1)).first()
    if version is None:
        return {}
    return {q.id: q.text for q in Survey.from_dict(version.body).questions if q.kind == "scale"}


def _practitioner_answers() -> Select[Any]:
    return (select(SurveyAnswer.question_id, SurveyAnswer.good_or_better,
                   SurveyLink.agency_id, SurveyResponse.submitted_on, SurveyLink.run_id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyLink, SurveyLink.id == SurveyResponse.link_id)
            .where(SurveyLink.audience == PRACTITIONER, SurveyAnswer.value.is_not(None)))


def confidence_figures(run: SurveyRun, min_n: int) -> ConfidenceFigures:
    questions = _scale_questions(run.survey_id)
    answers = _practitioner_answers().where(SurveyLink.run_id == run.id).subquery()
    rows = db.session.execute(
        select(answers.c.question_id, Agency.name, _good_count(answers.c.good_or_better),
               func.count())
        .join(Agency, Agency.id == answers.c.agency_id)
        .group_by(answers.c.question_id, Agency.name)).all()
    cells: dict[str, dict[str, tuple[int, int]]] = {}
    for question_id, agency, good, n in rows:
        cells.setdefault(question_id, {})[agency] = (int(good), int(n))
    agencies = sorted({agency for by_agency in cells.values() for agency in by_agency})
    result = []
    for question_id, text in questions.items():
        by_agency = cells.get(question_id, {})
        good = sum(g for g, _ in by_agency.values())
        n = sum(c for _, c in by_agency.values())
        result.append(QuestionRow(
            question_id, text, Share(good, n, min_n),
            {agency: Share(*by_agency.get(agency, (0, 0)), min_n) for agency in agencies}))
    return ConfidenceFigures(agencies, result)


def confidence_overall(run: SurveyRun, min_n: int, agency_name: str | None = None) -> Share:
    """Every scale answer of a run counted together, across its questions: the partnership's,
    or one agency's. The same answers as `confidence_figures`, added up."""
    figures = confidence_figures(run, min_n)
    shares = [row.partnership if agency_name is None
              else row.by_agency.get(agency_name, Share(0, 0, min_n)) for row in figures.rows]
    return Share(sum(s.good for s in shares), sum(s.n for s in shares), min_n)


@dataclass(frozen=True)
class BeforeAfter:
    question: str
    before: Share
    after: Share


def before_and_after(survey_id: str, training: date, min_n: int) -> list[BeforeAfter]:
    """Every run of the survey: answers sent before the training date against answers sent
    on or after it, question by question, for the whole partnership."""
    questions = _scale_questions(survey_id)
    runs = select(SurveyRun.id).where(SurveyRun.survey_id == survey_id)
    answers = _practitioner_answers().where(SurveyLink.run_id.in_(runs)).subquery()
    after = answers.c.submitted_on >= training
    rows = db.session.execute(
        select(answers.c.question_id, after, _good_count(answers.c.good_or_better),
               func.count())
        .group_by(answers.c.question_id, after)).all()
    counts = {(question_id, bool(is_after)): (int(good), int(n))
              for question_id, is_after, good, n in rows}
    return [BeforeAfter(text, Share(*counts.get((qid, False), (0, 0)), min_n),
                        Share(*counts.get((qid, True), (0, 0)), min_n))
            for qid, text in questions.items()]
