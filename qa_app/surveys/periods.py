"""The survey measures for one reporting period (a cycle, or an academic year), as the
dashboard and the API show them beside plan quality: families rating their experience good
or better against the target, and practitioners' confidence overall. The counting is
`figures`'; a share from fewer than `min_n` answers is provisional and its rate and count of
good answers are withheld, as on the surveys pages. Never one family's answer, never text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from qa_app.audits.cycles.models import Cycle
from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting import labels
from qa_app.reporting.operations import AggregationError, current_targets
from qa_app.reporting.periods import year_bounds
from qa_app.standards.targets import Targets
from qa_app.surveys import figures, queries
from qa_app.surveys.figures import Share


@dataclass(frozen=True)
class FamilyMeasure:
    share: Share
    target: float | None
    status: str
    """A key of `reporting.labels.STATUS_WORDS`."""
    provisional: bool
    """Too few answers to show, or a cycle of the period is still open."""

    @property
    def status_text(self) -> str:
        return labels.STATUS_WORDS[self.status]


@dataclass(frozen=True)
class PractitionerMeasure:
    run_id: int
    run_name: str
    closes_on: date
    share: Share
    still_open: bool

    @property
    def provisional(self) -> bool:
        """Too few answers to show, or the survey is still open."""
        return not self.share.shown or self.still_open


@dataclass(frozen=True)
class PeriodMeasures:
    academic_year: str
    cycle_id: int | None
    period_label: str
    agency_id: int | None
    agency_name: str | None
    min_n: int
    family: FamilyMeasure
    practitioner: PractitionerMeasure | None

    def results_args(self) -> dict[str, int]:
        """URL arguments of the surveys results page showing the same cycle and run."""
        args = {"cycle": self.cycle_id} if self.cycle_id else {}
        if self.practitioner is not None:
            args["run"] = self.practitioner.run_id
        return args


def _targets() -> Targets:
    try:
        return current_targets()
    except AggregationError:
        return Targets(version="", targets=())


def _family_status(share: Share, target: float | None, targets: Targets) -> str:
    """The board report's rule: judged only on a share that is shown."""
    if not share.shown or target is None:
        return labels.status(None, target)
    rag = targets.rag(None, None, None, target, measure=figures.MEASURE,
                      good=share.good, n=share.n)
    return labels.status(rag, target)


def period_measures(academic_year: str, cycle: Cycle | None = None,
                    agency: Agency | None = None, today: date | None = None) -> PeriodMeasures:
    """A cycle's figures, or with no cycle the whole academic year's (its cycles' families
    together); the partnership's, or one agency's. Practitioners' confidence comes from the
    newest survey that closed during the period."""
    today = today or date.today()
    targets = _targets()
    min_n = targets.min_n
    if cycle is not None:
        cycles = [cycle]
        start, end, label = cycle.start_date, cycle.end_date, cycle.name
    else:
        cycles = list(db.session.scalars(select(Cycle).where(
            Cycle.academic_year == academic_year).order_by(Cycle.start_date, Cycle.id)))
        (start, end), label = year_bounds(academic_year), academic_year
    target = targets.target_for(figures.MEASURE, "all", academic_year)
    counted = figures.family_figures_in([c.id for c in cycles], min_n, target)
    share = counted.partnership
    if agency is not None:
        share = next((row.share for row in counted.by_agency if row.agency_name == agency.name),
                     Share(0, 0, min_n))
    family = FamilyMeasure(share, target, _family_status(share, target, targets),
                           not share.shown or any(c.status == "open" for c in cycles))
    practitioner = None
    run = queries.run_closed_between(start, end)
    if run is not None:
        staff = figures.confidence_overall(run, min_n, agency.name if agency else None)
        practitioner = PractitionerMeasure(run.id, run.name, run.closes_on, staff,
                                           run.closes_on >= today)
    return PeriodMeasures(academic_year, cycle.id if cycle else None, label,
                          agency.id if agency else None, agency.name if agency else None,
                          min_n, family, practitioner)
