"""Survey answers for tests of the pages that show survey figures: a cycle's sampled plans
with family links, families' answers, and a practitioner survey answered through each
agency's link. Tests count what they expect from these rows themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.surveys.models import SurveyLink, SurveyRun, SurveyVersion
from qa_app.surveys.operations import make_family_links, save_answers, start_practitioner_run
from qa_app.surveys.queries import family_version

STAFF_WRITTEN = "More time with the panel would help me."
STAFF_SCORES = (4, 3, 2, 3, 1, 3)
"""capture_child_voice, one a member of staff, all through their agency's link."""


def sample_with_links(cycle: Cycle, plans: Sequence[Plan]) -> None:
    """The plans as the cycle's sample, and a family link for each."""
    db.session.add(Sample(cycle_id=cycle.id, seed=1, size=len(plans),
                          items=[SampleItem(plan_id=p.id, stratum="plan") for p in plans]))
    db.session.flush()
    make_family_links(cycle, 10)


def answer_families(cycle_id: int, plans: Sequence[Plan | int], ratings: Sequence[int],
                    written: str, start: int = 0) -> None:
    """The parent or carer of plans[start + i] rates their experience ratings[i]."""
    parent = family_version("parent_carer")
    links = {link.plan_id: link for link in db.session.scalars(select(SurveyLink).where(
        SurveyLink.cycle_id == cycle_id, SurveyLink.used_at.is_(None)))}
    for offset, rating in enumerate(ratings):
        item = plans[start + offset]
        plan_id = item if isinstance(item, int) else item.id
        assert save_answers(links[plan_id], parent, {
            "overall_experience": rating, "listened_to": 1, "what_would_help": written})


def practitioner_run_answered(closes_on: date) -> SurveyRun:
    """A practitioner survey that closed on `closes_on`, answered with STAFF_SCORES (the
    first answer also writes STAFF_WRITTEN)."""
    run, _ = start_practitioner_run("Autumn confidence", "practitioner-confidence",
                                    date.today() + timedelta(days=30))
    run.closes_on = closes_on
    staff = db.session.scalars(select(SurveyVersion).where(
        SurveyVersion.survey_id == "practitioner-confidence")).one()
    links = list(db.session.scalars(select(SurveyLink).where(SurveyLink.run_id == run.id)
                                    .order_by(SurveyLink.id)))
    for index, score in enumerate(STAFF_SCORES):
        values: dict[str, object] = {"capture_child_voice": score}
        if index == 0:
            values["support_needed"] = STAFF_WRITTEN
        assert save_answers(links[index % len(links)], staff, values)
    return run
