"""Reading re-audits: each mark's story (the grade before, the amendment, the sample that
took it, the grade after), criterion by criterion, for the pages, the plan page, the
letters, the learning brief and the case timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select

from qa_app.audits.cycles.models import Cycle
from qa_app.audits.moderation.models import FinalGrade
from qa_app.audits.subjects import of_agency
from qa_app.extensions import db
from qa_app.reaudit.models import ReauditMark
from qa_app.register.models import Advice, Agency, Plan
from qa_app.standards.models import RubricVersion

WAITING_AMENDMENT = "Waiting for the amendment date"
WAITING_SAMPLE = "Amended: waiting for the next sample"
IN_SAMPLE = "In the sample: waiting for the re-audit"
IMPROVED = "Re-audited: now good or better"
NOT_IMPROVED = "Re-audited: still below good"
WITHDRAWN = "Withdrawn: not to be re-audited"


@dataclass(frozen=True)
class ReauditOutcome:
    """One re-audit for the learning brief, in plain words."""

    agency_name: str
    subject_text: str
    before_text: str
    after_text: str
    improved: bool | None
    """None: not yet re-audited."""


@dataclass(frozen=True)
class CriterionChange:
    title: str
    before: str
    after: str | None


@dataclass(frozen=True)
class Story:
    """A mark with everything its pages show."""

    mark: ReauditMark
    reference: str
    subject_text: str
    agency_id: int
    """Whose work it is: the agency recorded with the new grade once re-audited, until then
    the work's current owner in the register (who amends it)."""
    agency_name: str
    from_cycle: str
    before: str
    included_cycle: str | None
    after: FinalGrade | None
    after_text: str | None
    criteria: tuple[CriterionChange, ...]

    @property
    def improved(self) -> bool | None:
        return None if self.after is None else self.after.good_or_better

    @property
    def status(self) -> str:
        if self.mark.withdrawn:
            return WITHDRAWN
        if self.after is not None:
            return IMPROVED if self.after.good_or_better else NOT_IMPROVED
        if self.mark.included_cycle_id is not None:
            return IN_SAMPLE
        return WAITING_SAMPLE if self.mark.amended_on else WAITING_AMENDMENT


def subject_text(plan: Plan | None, advice: Advice | None) -> tuple[str, str]:
    """(reference, "EHC plan" or "Health advice")."""
    if plan is not None:
        return plan.ref, "EHC plan"
    assert advice is not None
    return advice.ref, f"{advice.advice_type.replace('_', ' ').capitalize()} advice"


def labels_of(version: RubricVersion | None) -> dict[int, str]:
    body = version.body if version is not None else {}
    return {s["value"]: s["label"] for s in body.get("scale", [])}


def grade_text(grade: FinalGrade) -> str:
    return labels_of(grade.rubric_version).get(grade.grade, str(grade.grade))


def _titles(*grades: FinalGrade | None) -> dict[str, str]:
    titles: dict[str, str] = {}
    for grade in grades:
        if grade is not None:
            for c in (grade.rubric_version.body or {}).get("criteria", []):
                titles.setdefault(c["id"], c.get("title", c["id"]))
    return titles


def regrade_of(mark: ReauditMark) -> FinalGrade | None:
    """The final grade in the cycle whose sample took the marked work."""
    if mark.included_cycle_id is None:
        return None
    return db.session.execute(
        select(FinalGrade).where(FinalGrade.cycle_id == mark.included_cycle_id,
                                 FinalGrade.plan_id == mark.plan_id if mark.plan_id
                                 else FinalGrade.advice_id == mark.advice_id)
    ).scalar_one_or_none()


def story(mark: ReauditMark) -> Story:
    before = mark.final_grade
    after = regrade_of(mark)
    plan = db.session.get(Plan, mark.plan_id) if mark.plan_id else None
    advice = db.session.get(Advice, mark.advice_id) if mark.advice_id else None
    reference, kind = subject_text(plan, advice)
    owner = after.agency_id if after is not None else owner_id(plan, advice)
    agency = db.session.execute(  # a name, not a record: shown whoever is looking
        select(Agency.name).where(Agency.id == owner).execution_options(unscoped=True)
    ).scalar_one_or_none()
    cycles = {c.id: c.name for c in db.session.execute(
        select(Cycle).where(Cycle.id.in_([mark.from_cycle_id, mark.included_cycle_id or 0]))
    ).scalars()}
    titles = _titles(before, after)
    labels = {**labels_of(before.rubric_version),
              **(labels_of(after.rubric_version) if after else {})}
    now = {c.criterion_id: c.grade for c in after.criteria} if after else {}
    ids = [c.criterion_id for c in sorted(before.criteria, key=lambda c: c.id)]
    ids += sorted(set(now) - set(ids))
    was = {c.criterion_id: c.grade for c in before.criteria}
    criteria = tuple(
        CriterionChange(titles.get(cid, cid.replace("_", " ").capitalize()),
                        labels.get(was[cid], str(was[cid])) if cid in was else "Not graded",
                        (labels.get(now[cid], str(now[cid])) if cid in now else "Not graded")
                        if after else None)
        for cid in ids)
    return Story(mark, reference, kind, owner, agency or "", cycles.get(
        mark.from_cycle_id, ""), grade_text(before), cycles.get(mark.included_cycle_id or 0),
        after, grade_text(after) if after else None, criteria)


def owner_id(plan: Plan | None, advice: Advice | None) -> int:
    """The agency that owns the work now: the plan's owner, or the advice's agency."""
    subject = plan if plan is not None else advice
    assert subject is not None
    return subject.agency_id


def current_owner(mark: ReauditMark) -> int:
    """The agency that owns the marked work now, read past the request's scoping."""
    model = Plan if mark.plan_id is not None else Advice
    return db.session.execute(
        select(model.agency_id).where(model.id == (mark.plan_id or mark.advice_id))
        .execution_options(unscoped=True)
    ).scalar_one()


def marks(agency_id: int | None = None) -> list[ReauditMark]:
    """Every mark in force the request may see (a lead: their agency's, by the work's
    current owner), newest first; withdrawn marks are left out."""
    query = (select(ReauditMark).where(ReauditMark.withdrawn_at.is_(None))
             .order_by(ReauditMark.marked_at.desc(), ReauditMark.id.desc()))
    if agency_id is not None:
        query = query.where(of_agency(ReauditMark, agency_id))
    return list(db.session.execute(query).scalars())


def withdrawn_marks(limit: int = 50) -> list[ReauditMark]:
    """The marks withdrawn most recently (staff see them, with why, on the re-audits page)."""
    return list(db.session.execute(
        select(ReauditMark).where(ReauditMark.withdrawn_at.is_not(None))
        .order_by(ReauditMark.withdrawn_at.desc(), ReauditMark.id.desc()).limit(limit)
    ).scalars())


def candidates(limit: int = 200) -> list[tuple[FinalGrade, str, str, str]]:
    """Finalised cycle grades below good that are not marked (or whose mark was withdrawn):
    (grade, reference, subject text, cycle name), newest cycle first."""
    marked = select(ReauditMark.final_grade_id).where(ReauditMark.withdrawn_at.is_(None))
    rows = db.session.execute(
        select(FinalGrade, Cycle.name)
        .join(Cycle, Cycle.id == FinalGrade.cycle_id)
        .where(FinalGrade.good_or_better.is_(False), FinalGrade.finalised_at.is_not(None),
               FinalGrade.id.not_in(marked))
        .order_by(Cycle.start_date.desc(), FinalGrade.id).limit(limit)
    ).all()
    return [(g, *subject_text(g.plan, g.advice), name) for g, name in rows]


def plan_stories(plan_id: int) -> list[Story]:
    """Marks in force of the plan and of its advice that the request may see, oldest first."""
    own_advice = select(Advice.id).where(Advice.plan_id == plan_id)
    rows = db.session.execute(
        select(ReauditMark)
        .where(or_(ReauditMark.plan_id == plan_id, ReauditMark.advice_id.in_(own_advice)),
               ReauditMark.withdrawn_at.is_(None))
        .order_by(ReauditMark.marked_at, ReauditMark.id)
    ).scalars()
    return [story(m) for m in rows]


def cycle_reaudit_outcomes(cycle_id: int) -> list[ReauditOutcome]:
    """The re-audit places of one cycle's sample, by agency then reference."""
    rows = db.session.execute(
        select(ReauditMark).where(ReauditMark.included_cycle_id == cycle_id)
    ).scalars()
    found = []
    for item in (story(m) for m in rows):
        found.append(((item.agency_name, item.reference), ReauditOutcome(
            item.agency_name, item.subject_text, f"{item.before} in {item.from_cycle}",
            item.after_text or "Not yet re-audited", item.improved)))
    return [outcome for _key, outcome in sorted(found, key=lambda pair: pair[0])]


def letter_befores(agency_id: int, cycle_id: int) -> dict[tuple[int | None, int | None], str]:
    """For a letter: the agency's work re-audited in the cycle, by (plan id, advice id), with
    what it was before, e.g. "Requires improvement in Autumn term 2025"."""
    rows = db.session.execute(
        select(ReauditMark).where(ReauditMark.included_cycle_id == cycle_id)
        .join(FinalGrade, and_(FinalGrade.cycle_id == cycle_id, or_(
            FinalGrade.plan_id == ReauditMark.plan_id,
            FinalGrade.advice_id == ReauditMark.advice_id)))
        .where(FinalGrade.agency_id == agency_id)
        .order_by(ReauditMark.id)
    ).scalars()
    return {(m.plan_id, m.advice_id): f"{item.before} in {item.from_cycle}"
            for m in rows if (item := story(m)).after is not None}


Moment = tuple[datetime | date, str, str, int, int]


def timeline_moments(plan_id: int) -> list[Moment]:
    """(when, what, detail, agency id, mark id) for the plan's case timeline."""
    moments: list[Moment] = []
    for item in plan_stories(plan_id):
        mark = item.mark
        what = f"{item.subject_text} {item.reference}"
        moments.append((mark.marked_at, "Marked to amend and re-audit",
                        f"{what} was graded {item.before} in {item.from_cycle}: the agency "
                        "was asked to amend it before it is audited again.", item.agency_id,
                        mark.id))
        if mark.amended_on:
            moments.append((mark.amended_on, "Amended",
                            f"The agency amended {what}.", item.agency_id, mark.id))
        if mark.included_at and item.included_cycle:
            moments.append((mark.included_at, "Added to a sample for re-audit",
                            f"{what} joined the {item.included_cycle} sample beside the "
                            "random draw.", item.agency_id, mark.id))
        if item.after is not None and item.after.finalised_at:
            moments.append((item.after.finalised_at, "Re-audited",
                            f"{what} was re-audited in {item.included_cycle}: now "
                            f"{item.after_text} (was {item.before}).", item.agency_id, mark.id))
    return moments


