"""The year's agreement between auditors covers every cycle of the academic year.

Expected figures are recounted here in plain Python from the pairs of grades, by the textbook
contingency-table formula for quadratic-weighted kappa, not by the product's functions.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.register.models import Plan
from qa_app.reporting.models import AgreementSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.reporting.queries import current_run
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

# Pairs (first auditor, second auditor) of child-voice grades, per cycle.
AUTUMN = [(3, 3), (2, 3), (4, 4), (1, 2), (3, 3), (2, 2)]
SPRING = [(3, 4), (2, 2), (1, 1), (4, 3), (3, 3)]
SUMMER = [(3, 2)]  # the newest cycle: one pair, kappa undefined or nil on its own
LAST_YEAR = [(1, 4), (4, 1), (2, 4)]  # 2024/25: must not count in 2025/26
YEAR = AUTUMN + SPRING + SUMMER


def recount_kappa(pairs: list[tuple[int, int]], categories: int = 4) -> float:
    """Quadratic-weighted kappa: 1 - sum(w * observed) / sum(w * expected), w = (i - j)^2."""
    n = len(pairs)
    counts = [[0] * categories for _ in range(categories)]
    for one, two in pairs:
        counts[one - 1][two - 1] += 1
    rows = [sum(r) for r in counts]
    cols = [sum(counts[i][j] for i in range(categories)) for j in range(categories)]
    cells = [(i, j) for i in range(categories) for j in range(categories)]
    observed = sum((i - j) ** 2 * counts[i][j] for i, j in cells) / n
    expected = sum((i - j) ** 2 * rows[i] * cols[j] for i, j in cells) / n**2
    return 1 - observed / expected


@pytest.fixture()
def year(app):
    """Three cycles of 2025/26 and one of 2024/25, each with double-scored plans; one run."""
    body = {"good_or_better": 3,
            "scale": [{"value": v, "label": f"Grade {v}"} for v in (1, 2, 3, 4)],
            "criteria": [{"id": "child_voice", "title": "Child's voice"}]}
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        version = RubricVersion(rubric_id="year-test", version="1", title="Year test",
                                applies_to="plan", content_hash="2" * 64, body=body)
        db.session.add(version)
        db.session.flush()
        cycles = {
            "Summer term 2025": (date(2025, 4, 20), date(2025, 7, 18), LAST_YEAR),
            "Autumn term 2025": (date(2025, 9, 1), date(2025, 12, 19), AUTUMN),
            "Spring term 2026": (date(2026, 1, 5), date(2026, 3, 27), SPRING),
            "Summer term 2026": (date(2026, 4, 13), date(2026, 7, 17), SUMMER),
        }
        for name, (start, end, pairs) in cycles.items():
            cycle = build.cycle(name, start, end).id
            for one, two in pairs:
                plan = build.plan(la).id
                build.panel_audit(version.id, cycle, {"child_voice": one}, plan_id=plan)
                build.panel_audit(version.id, cycle, {"child_voice": two}, plan_id=plan)
            # a lone audit counts in no pair
            lone = build.plan(la).id
            build.panel_audit(version.id, cycle, {"child_voice": 1}, plan_id=lone)
        build.plan(la).ref = "EHCP-NOT-YET-AUDITED"
        db.session.commit()
        run_aggregation(as_of=date(2026, 8, 1))
        db.session.commit()


def _stored(app, kind: str, key: str) -> AgreementSnapshot:
    with app.app_context():
        run = current_run(kind, key)
        assert run is not None, (kind, key)
        row = db.session.scalars(select(AgreementSnapshot).where(
            AgreementSnapshot.run_id == run.id,
            AgreementSnapshot.criterion_id == "child_voice")).one()
        db.session.expunge(row)
    return row


def test_the_year_counts_every_pair_of_every_cycle_in_it(app, year):
    stored = _stored(app, "academic_year", "2025/26")
    assert stored.pairs == len(YEAR) == 12
    assert stored.agreed == sum(one == two for one, two in YEAR)
    assert stored.kappa == pytest.approx(recount_kappa(YEAR))
    assert stored.kappa != pytest.approx(recount_kappa(AUTUMN + SPRING), abs=1e-3)
    earlier = _stored(app, "academic_year", "2024/25")
    assert earlier.pairs == len(LAST_YEAR)
    assert earlier.kappa == pytest.approx(recount_kappa(LAST_YEAR))


def test_a_cycle_still_counts_only_its_own_pairs(app, year):
    with app.app_context():
        from qa_app.audits.cycles.models import Cycle
        spring = db.session.scalars(select(Cycle).where(Cycle.name == "Spring term 2026")).one()
        key = str(spring.id)
    stored = _stored(app, "cycle", key)
    assert stored.pairs == len(SPRING)
    assert stored.kappa == pytest.approx(recount_kappa(SPRING))


def test_the_dashboard_and_export_show_the_whole_years_kappa(app, client, year):
    sign_in(client, make.on(app).user("qi_manager").email)
    expected = recount_kappa(YEAR)
    page = client.get("/dashboard/?year=2025/26").get_data(as_text=True)
    section = page.split('id="agreement"')[1].split('id="letters"')[0]
    assert f"{expected:.2f}" in section and "Child&#39;s voice" in section
    text = client.get("/dashboard/export/agreement.csv?year=2025/26").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    voice = next(r for r in rows if r["criterion_id"] == "child_voice")
    assert voice["Criterion"] == "Child's voice" and voice["Pairs of grades"] == "12"
    assert float(voice["Weighted kappa"]) == pytest.approx(expected, abs=1e-4)
    assert voice["Period"] == "2025/26"


def test_a_new_pair_in_one_cycle_makes_the_year_current_again(app, year, monkeypatch):
    """A submitted audit changes the agreement of its cycle and of its academic year: both
    are recalculated when the change commits."""
    monkeypatch.setitem(app.config, "RECALCULATE_ON_CHANGE", True)
    with app.app_context():
        from qa_app.audits.cycles.models import Cycle

        autumn = db.session.scalars(select(Cycle).where(Cycle.name == "Autumn term 2025")).one()
        version = db.session.scalars(select(RubricVersion.id)
                                     .where(RubricVersion.rubric_id == "year-test")).one()
        plan = db.session.scalars(select(Plan.id).where(Plan.ref == "EHCP-NOT-YET-AUDITED")).one()
        build.panel_audit(version, autumn.id, {"child_voice": 1}, plan_id=plan)
        build.panel_audit(version, autumn.id, {"child_voice": 4}, plan_id=plan)
        db.session.commit()
    # The app context has ended, as a request's does: the recalculation has run.
    year_row = _stored(app, "academic_year", "2025/26")
    assert year_row.pairs == len(YEAR) + 1
    assert year_row.kappa == pytest.approx(recount_kappa([*YEAR, (1, 4)]))
