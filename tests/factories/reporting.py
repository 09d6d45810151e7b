"""Stored figures written directly, as the aggregation job would store them: for the pages,
exports and API that only read them."""

from __future__ import annotations

from datetime import date, datetime

from qa_app.extensions import db
from qa_app.register.models import Agency
from qa_app.reporting.models import AggregationRun, RateSnapshot
from tests.factories.audits import cycle
from tests.factories.register import agency

HEADLINE = [("plans_good_or_better", "all"), ("plans_good_or_better", "transition_years"),
            ("advice_good_or_better", "all"), ("advice_on_time", "all"),
            ("child_voice_good_or_better", "all"), ("plans_issued_in_20_weeks", "all")]


def snapshot(run_id: int, measure: str, scope: str, agency_id: int | None, n: int, good: int,
             breakdown: str = "") -> RateSnapshot:
    """A rate with a confidence interval 10 below and 8 above, against an 80% target."""
    rate = 100 * good / n
    row = RateSnapshot(run_id=run_id, measure=measure, scope=scope, breakdown=breakdown,
                       agency_id=agency_id, n=n, good=good, rate=rate, ci_low=rate - 10,
                       ci_high=rate + 8, target=80.0, rag="green" if rate >= 80 else "red")
    db.session.add(row)
    db.session.flush()
    return row


def cycle_rates(cycle_id: int, rows: list[tuple[int, str, str, str, int, int, float | None,
                                                str | None]],
                computed: datetime | None = None) -> AggregationRun:
    """A cycle's run with these (agency_id, measure, scope, breakdown, n, good, target, rag)."""
    run = AggregationRun(period_kind="cycle", period_key=str(cycle_id),
                         inputs_hash=f"test-{cycle_id}-{len(rows)}-{computed}",
                         computed_at=computed or datetime(2025, 12, 12))
    db.session.add(run)
    db.session.flush()
    for agency_id, measure, scope, breakdown, n, good, target, rag in rows:
        db.session.add(RateSnapshot(run_id=run.id, measure=measure, scope=scope,
                                    breakdown=breakdown, agency_id=agency_id, n=n, good=good,
                                    rate=100 * good / n, target=target, rag=rag))
    db.session.flush()
    return run


def year_rates(*agency_ids: int | None) -> AggregationRun:
    """A 2025/26 run of plans good or better: 7 of 10 for the first agency, 8 for the next..."""
    run = AggregationRun(period_kind="academic_year", period_key="2025/26", inputs_hash="x" * 64)
    db.session.add(run)
    db.session.flush()
    for index, agency_id in enumerate(agency_ids):
        db.session.add(RateSnapshot(run_id=run.id, measure="plans_good_or_better",
                                    scope="all", breakdown="", agency_id=agency_id,
                                    n=10, good=7 + index, rate=0.7 + index / 10,
                                    ci_low=0.4, ci_high=0.9, target=80.0, rag="red"))
    db.session.flush()
    return run


def dashboard_world() -> tuple[Agency, Agency, Agency, int]:
    """Three agencies and a closed autumn cycle whose year and cycle runs hold the headline
    figures, two agencies' advice rates and one criterion rate; the cycle's id comes last."""
    casework = agency("SEND Casework Team", "local_authority")
    health = agency("Community Paediatrics", "health")
    psychology = agency("Educational Psychology Service", "education")
    autumn = cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19), status="closed")
    for kind, key in (("academic_year", "2025/26"), ("cycle", str(autumn.id))):
        run = AggregationRun(period_kind=kind, period_key=key, inputs_hash=kind * 4)
        db.session.add(run)
        db.session.flush()
        for number, (measure, scope) in enumerate(HEADLINE):
            snapshot(run.id, measure, scope, None, 40 + number, 31 + number)
        snapshot(run.id, "advice_good_or_better", "all", health.id, 17, 9)
        snapshot(run.id, "advice_good_or_better", "all", psychology.id, 23, 21)
        snapshot(run.id, "criterion_good_or_better", "advice", health.id, 17, 5,
                 breakdown="child_voice")
    return casework, health, psychology, autumn.id


def many_agencies(count: int) -> list[Agency]:
    """A year run with criterion figures for `count` agencies: agency k has k+1 of 20 good."""
    agencies = [agency(f"Agency {k:02d}") for k in range(count)]
    run = AggregationRun(period_kind="academic_year", period_key="2025/26", inputs_hash="h")
    db.session.add(run)
    db.session.flush()
    snapshot(run.id, "plans_good_or_better", "all", None, 40, 31)
    snapshot(run.id, "criterion_good_or_better", "advice", None, 900, 400, breakdown="outcomes")
    for k, row in enumerate(agencies):
        snapshot(run.id, "criterion_good_or_better", "advice", row.id, 20, 19 - k % 19,
                 breakdown="outcomes")
    return agencies
