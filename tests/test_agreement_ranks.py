"""Agreement between two panel auditors: kappa on ranks, Gwet's AC1, computed criteria left out.

Every expected figure is worked out here in plain Python from the pairs of grades, by the
textbook contingency-table formulas, not by the product's own functions.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.reporting.agreement import gwet_ac1
from qa_app.reporting.models import AgreementSnapshot
from qa_app.reporting.operations import run_aggregation
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import aggregation as build
from tests.factories import sign_in

UNEVEN = (1, 2, 3, 5)
# Pairs (first auditor, second auditor) of raw scale values, per criterion.
VOICE = [(5, 5), (3, 5), (2, 3), (5, 5), (1, 2), (3, 3), (2, 5), (3, 2)]
OUTCOMES = [(3, 3)] * 9 + [(3, 2)]  # nearly every grade the same: kappa collapses, AC1 not
TIMELINESS = [(5, 5), (1, 1), (3, 3)]  # computed from dates: always the same


def table(pairs: list[tuple[int, int]], scale: tuple[int, ...]) -> list[list[int]]:
    position = {value: i for i, value in enumerate(sorted(scale))}
    counts = [[0] * len(scale) for _ in scale]
    for one, two in pairs:
        counts[position[one]][position[two]] += 1
    return counts


def hand_kappa(counts: list[list[int]]) -> float:
    """Quadratic-weighted kappa: 1 - sum(w * observed) / sum(w * expected), w = (i - j)^2."""
    k, n = len(counts), sum(map(sum, counts))
    rows = [sum(r) for r in counts]
    cols = [sum(counts[i][j] for i in range(k)) for j in range(k)]
    observed = sum((i - j) ** 2 * counts[i][j] for i in range(k) for j in range(k)) / n
    expected = sum((i - j) ** 2 * rows[i] * cols[j] for i in range(k) for j in range(k)) / n**2
    return 1 - observed / expected


def hand_ac1(counts: list[list[int]]) -> float:
    """Gwet (2008): chance agreement = sum_k pi_k (1 - pi_k) / (q - 1), pi_k the mean of the
    two auditors' shares of category k."""
    q, n = len(counts), sum(map(sum, counts))
    agreed = sum(counts[i][i] for i in range(q)) / n
    shares = [(sum(counts[i]) + sum(counts[j][i] for j in range(q))) / (2 * n) for i in range(q)]
    chance = sum(p * (1 - p) for p in shares) / (q - 1)
    return (agreed - chance) / (1 - chance)


def raw_value_kappa(pairs: list[tuple[int, int]]) -> float:
    """What the old code computed: quadratic weights on the raw values."""
    n = len(pairs)
    m1, m2 = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    v1 = sum(a * a for a, _ in pairs) / n - m1**2
    v2 = sum(b * b for _, b in pairs) / n - m2**2
    return 1 - (sum((a - b) ** 2 for a, b in pairs) / n) / (v1 + v2 + (m1 - m2) ** 2)


def test_ac1_on_a_textbook_table():
    """The two-abstractor table of Gwet's handbook (irrCAC's `cont3x3abstractors`), by hand:
    89 of 100 agree; the category shares are 26/200, 51/200 and 123/200, so chance
    agreement is (0.13 * 0.87 + 0.255 * 0.745 + 0.615 * 0.385) / 2 = 0.269925."""
    counts = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    cells = [(i + 1, j + 1, n) for i, row in enumerate(counts) for j, n in enumerate(row)]
    assert gwet_ac1(cells, 3) == pytest.approx((0.89 - 0.269925) / (1 - 0.269925))
    assert gwet_ac1(cells, 3) == pytest.approx(hand_ac1(counts))
    assert gwet_ac1([], 3) is None and gwet_ac1([(1, 1, 4)], 1) is None


@pytest.fixture()
def cycle_run(app):
    """Two panel auditors per plan on a rubric with the uneven scale 1,2,3,5 and a computed
    criterion; one aggregation."""
    body = {
        "good_or_better": 3,
        "scale": [{"value": v, "label": f"Grade {v}"} for v in UNEVEN],
        "criteria": [{"id": "child_voice", "kind": "judged"}, {"id": "outcomes"},
                     {"id": "timeliness", "kind": "computed"}],
    }
    with app.app_context():
        la = build.agency("SEND Casework Team", "local_authority").id
        version = RubricVersion(rubric_id="uneven", version="1", title="Uneven",
                                applies_to="plan", content_hash="1" * 64, body=body)
        db.session.add(version)
        db.session.flush()
        cycle = build.cycle("Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)).id
        pairs = {"child_voice": VOICE, "outcomes": OUTCOMES, "timeliness": TIMELINESS}
        for i in range(max(map(len, pairs.values()))):
            plan = build.plan(la).id
            first = {c: p[i][0] for c, p in pairs.items() if i < len(p)}
            second = {c: p[i][1] for c, p in pairs.items() if i < len(p)}
            build.panel_audit(version.id, cycle, first, plan_id=plan)
            build.panel_audit(version.id, cycle, second, plan_id=plan)
        db.session.commit()
        run_aggregation(as_of=date(2026, 6, 1))
        db.session.commit()
    return cycle


def stored(app) -> dict[str, AgreementSnapshot]:
    with app.app_context():
        rows = db.session.scalars(select(AgreementSnapshot)).all()
        db.session.expunge_all()
    return {row.criterion_id: row for row in rows}


def test_kappa_and_ac1_are_on_ranks_and_leave_computed_criteria_out(app, cycle_run):
    rows = stored(app)
    assert set(rows) == {"child_voice", "outcomes"}  # timeliness is computed: left out
    voice = rows["child_voice"]
    counts = table(VOICE, UNEVEN)
    assert (voice.pairs, voice.agreed) == (8, 3)
    assert voice.kappa == pytest.approx(hand_kappa(counts))
    assert voice.kappa != pytest.approx(raw_value_kappa(VOICE), abs=1e-3)  # 5 is not 4 apart
    assert voice.ac1 == pytest.approx(hand_ac1(counts))
    outcomes = rows["outcomes"]
    assert outcomes.kappa == pytest.approx(0.0, abs=1e-9)
    assert outcomes.ac1 == pytest.approx(hand_ac1(table(OUTCOMES, UNEVEN)))
    assert outcomes.ac1 == pytest.approx((0.9 - 0.095 / 3) / (1 - 0.095 / 3))


def test_pages_show_ac1_beside_kappa(app, client, cycle_run):
    voice = stored(app)["child_voice"]
    sign_in(client, make.on(app).user("qi_manager").email)
    rates = client.get(f"/rates?cycle={cycle_run}").get_data(as_text=True)
    assert "Gwet&#39;s AC1" in rates or "Gwet's AC1" in rates
    assert f"{voice.ac1:.2f}" in rates and f"{voice.kappa:.2f}" in rates
    assert "nearly every grade is the same" in rates
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    section = dashboard.split('id="agreement"')[1].split('id="letters"')[0]
    assert "AC1" in section and f"{voice.ac1:.2f}" in section


def _token(app, role: str, agency: str | None = None) -> dict[str, str]:
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User

    user = make.on(app).user(role, agency)
    with app.app_context():
        _, value = create_token(db.session.get(User, user.id), "agreement")
        db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def test_api_and_export_give_ac1_beside_kappa(app, client, cycle_run):
    rows = stored(app)
    response = client.get(f"/api/v1/agreement?cycle_id={cycle_run}",
                          headers=_token(app, "qi_manager"))
    assert response.status_code == 200
    got = {item["criterion_id"]: item for item in response.get_json()["data"]}
    assert set(got) == {"child_voice", "outcomes"}
    for criterion, row in rows.items():
        assert got[criterion]["ac1"] == pytest.approx(row.ac1)
        assert got[criterion]["kappa"] == pytest.approx(row.kappa)
        assert got[criterion]["cycle"] == "Autumn term 2025"
    health = make.on(app).agency("Community Paediatrics", "health")
    lead = client.get("/api/v1/agreement", headers=_token(app, "agency_lead", health.name))
    assert lead.status_code in (403, 404)
    sign_in(client, make.on(app).user("qi_manager").email)
    csv_text = client.get("/dashboard/export/agreement.csv?year=2025/26").get_data(as_text=True)
    header, *lines = csv_text.lstrip("\ufeff").strip().splitlines()
    assert header.split(",")[-4:] == ["Weighted kappa", "Gwet's AC1", "rubric_id",
                                      "criterion_id"]
    voice = next(line.split(",") for line in lines if line.endswith(",child_voice"))
    assert voice[0] == "2025/26" and voice[1] == "Uneven"  # the year covers every cycle
    assert float(voice[-3]) == pytest.approx(rows["child_voice"].ac1, abs=1e-4)
    assert float(voice[-4]) == pytest.approx(rows["child_voice"].kappa, abs=1e-4)
