"""The cycle pages: the manager creates, edits and closes cycles, sizes and draws the sample,
and downloads it; everyone else gets 404."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from tests import factories as make
from tests.factories import csrf_token, sign_in


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture()
def manager(app, client):
    person = make.on(app).user("qi_manager")
    sign_in(client, person.email)
    return person


@pytest.fixture()
def spring(app) -> int:
    with app.app_context():
        cycle = Cycle(name="Spring term 2026", start_date=date(2026, 1, 5),
                      end_date=date(2026, 3, 27), academic_year="2025/26")
        db.session.add(cycle)
        db.session.commit()
        return cycle.id


@pytest.fixture()
def register(app):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    for i in range(30):
        plan = make.on(app).plan(casework.id, ref=f"EHCP-{i:02d}", nc_year=(5, 9, 1, 4, 8)[i % 5])
        make.on(app).advice(plan.id, health.id, received=date(2025, 10, 1))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _post(client, path: str, data: dict, token_from: str = "/cycles/new"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def test_the_manager_sees_cycles_in_the_navigation_and_an_empty_list(app, client, manager):
    page = _text(client.get("/cycles/"))
    assert "Audit cycles" in page and "There are no cycles yet" in page
    assert 'href="/sections/audits"' in _text(client.get("/"))
    assert 'href="/cycles/"' in _text(client.get("/sections/audits"))


def test_create_a_cycle_through_the_form(app, client, manager):
    response = _post(client, "/cycles/new", {"name": "Spring term 2026",
                                              "start_date": "05/01/2026",
                                              "end_date": "2026-03-27"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Cycle Spring term 2026 created for 2025/26" in page
    assert "05/01/2026 to 27/03/2026" in page
    assert "Spring term 2026" in _text(client.get("/cycles/"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Summer", "start_date": "01/06/2026", "end_date": "30/05/2026"},
         "The end date (30/05/2026) must be the same as or after the start date (01/06/2026)"),
        ({"name": "Summer", "start_date": "01/06/2026", "end_date": "30/09/2026"},
         "01/06/2026 is in 2025/26 but 30/09/2026 is in 2026/27"),
        ({"name": "autumn term 2025", "start_date": "01/09/2025", "end_date": "01/10/2025"},
         "A cycle called &#39;Autumn term 2025&#39; already exists"),
        ({"name": "Summer", "start_date": "the first of June", "end_date": "30/06/2026"},
         "The start date must be a real date written as dd/mm/yyyy"),
        ({"name": "Summer", "start_date": "01/06/2026", "end_date": ""}, "Enter the end date"),
        ({"name": "", "start_date": "01/06/2026", "end_date": "02/06/2026"},
         "Enter a name for the cycle"),
    ],
)
def test_bad_cycle_forms_show_the_problem_and_change_nothing(app, client, manager, data,
                                                             message):
    _post(client, "/cycles/new", {"name": "Autumn term 2025", "start_date": "01/09/2025",
                                  "end_date": "19/12/2025"})
    response = _post(client, "/cycles/new", data)
    page = _text(response)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "<title>Error: Create a cycle" in page
    assert _count(app, Cycle) == 1


def test_edit_and_close_and_reopen(app, client, manager, spring):
    form = _text(client.get(f"/cycles/{spring}/edit"))
    assert 'value="05/01/2026"' in form and 'value="Spring term 2026"' in form
    saved = _post(client, f"/cycles/{spring}/edit", {"name": "Spring 2026",
                                                     "start_date": "06/01/2026",
                                                     "end_date": "27/03/2026"})
    assert saved.status_code == 302
    bad = _post(client, f"/cycles/{spring}/edit", {"name": "Spring 2026",
                                                   "start_date": "06/01/2026",
                                                   "end_date": "06/10/2026"})
    assert "within one academic year" in _text(bad)
    with app.app_context():
        cycle = db.session.get(Cycle, spring)
        assert (cycle.name, cycle.start_date, cycle.end_date) == (
            "Spring 2026", date(2026, 1, 6), date(2026, 3, 27))
    check = _text(client.get(f"/cycles/{spring}/close"))
    assert "Auditors can no longer save drafts or submit audits" in check
    assert "No sample has been drawn" in check
    forged = _post(client, f"/cycles/{spring}/close", {})
    assert forged.status_code == 400 and "The cycle has not been closed" in _text(forged)
    with app.app_context():
        assert db.session.get(Cycle, spring).status == "open"
    closed = _post(client, f"/cycles/{spring}/close", {"confirmed": "yes"},
                   f"/cycles/{spring}/close")
    page = _text(client.get(closed.headers["Location"]))
    assert "Cycle Spring 2026 closed." in page and "Reopen this cycle" in page
    assert "This cycle is closed" in page and "Close this cycle" not in page
    again = _text(client.get(_post(client, f"/cycles/{spring}/close", {"confirmed": "yes"})
                             .headers["Location"]))
    assert "Spring 2026 is already closed" in again
    _post(client, f"/cycles/{spring}/reopen", {})
    with app.app_context():
        assert db.session.get(Cycle, spring).status == "open"


def test_unknown_cycle_is_404(app, client, manager):
    assert client.get("/cycles/999").status_code == 404
    assert client.get("/cycles/999/edit").status_code == 404
    assert client.get("/cycles/999/sample.csv").status_code == 404


def test_calculator_defaults_to_the_eligible_plans_and_shows_the_working(app, client, manager,
                                                                         spring, register):
    page = _text(client.get(f"/cycles/{spring}"))
    assert "30 plans can be drawn for this cycle" in page
    # N = 30, e = 0.10, p = 0.5: n0 = 96.04; n = 96.04 / (1 + 95.04 / 30) = 23.05 -> 24
    assert "You need 24 plans out of 30" in page and "96.04" in page
    asked = _text(client.get(f"/cycles/{spring}?population=300&margin=10&proportion=50"))
    assert "You need 73 plans out of 300" in asked
    bad = _text(client.get(f"/cycles/{spring}?population=abc&margin=0&proportion=50"))
    assert "There is a problem" in bad
    assert "Eligible plans (population) must be a whole number" in bad
    assert "Enter a margin from 0.5 to 50 points" in bad


def _draw(client, spring: int, **fields):
    data = {"size": "10", "seed": "4242", "transition_share": "40", "include_advice": "yes",
            "min_advice_per_agency": "1", "exclude_days": "365", "issued_by_end": "no"}
    return _post(client, f"/cycles/{spring}/sample", data | fields, f"/cycles/{spring}")


def test_draw_list_and_download_the_sample(app, client, manager, spring, register):
    response = _draw(client, spring)
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Sample drawn for Spring term 2026: 10 plans and 10 pieces of advice, seed 4242" in page
    assert "Drawing again replaces the current sample (seed 4242)" in page
    assert "Years 5 and 9: at least 40% (4 plans; 12 eligible)" in page
    with app.app_context():
        sample = db.session.execute(select(Sample)).scalar_one()
        assert sample.seed == 4242 and sample.parameters["requested_size"] == 10
        refs = sorted(db.session.execute(
            select(SampleItem.stratum).where(SampleItem.plan_id.is_not(None))).scalars())
    assert refs.count("transition_year") == 4
    download = client.get(f"/cycles/{spring}/sample.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert 'filename="sample-spring-term-2026.csv"' in download.headers["Content-Disposition"]
    body = download.get_data(as_text=True)
    assert body.startswith("\ufeffplan_ref,advice_ref,stratum,nc_year,transition_year,agency,")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 20
    for row in rows:
        assert row["plan_ref"] in page
        if row["advice_ref"]:
            assert row["stratum"] == "advice:health" and row["agency"] == "Community Paediatrics"
        else:
            assert row["agency"] == "SEND Casework Team"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"size": "lots"}, "Number of plans must be a whole number"),
        ({"size": "0"}, "Enter a number of plans from 1 to 100,000"),
        ({"seed": ""}, "Enter a seed (a whole number)"),
        ({"seed": "99999999999"}, "Enter a seed from 0 to 2147483647"),
        ({"transition_share": "120"}, "Enter a percentage from 0 to 100"),
        ({"include_advice": "maybe"}, "Not a valid choice"),
        ({"exclude_days": "-5"}, "Enter a number of days from 0 to 3,660"),
    ],
)
def test_bad_draw_forms_show_the_problem_and_draw_nothing(app, client, manager, spring,
                                                          register, fields, message):
    response = _draw(client, spring, **fields)
    assert response.status_code == 400
    page = _text(response)
    assert "There is a problem" in page and message in page
    assert _count(app, Sample) == 0


def test_a_draw_with_nothing_eligible_says_so(app, client, manager, spring):
    page = _text(_draw(client, spring))
    assert "No plans are eligible for this cycle" in page
    assert _count(app, Sample) == 0


def test_once_audits_start_the_sample_is_fixed(app, client, manager, spring, register):
    _draw(client, spring)
    with app.app_context():
        version = RubricVersion(rubric_id="ehcp-plan", version="1", title="Plan",
                                applies_to="plan", content_hash="0" * 64, body={})
        db.session.add(version)
        db.session.flush()
        plan_id = db.session.scalar(select(SampleItem.plan_id).where(
            SampleItem.plan_id.is_not(None)).limit(1))
        db.session.add(Audit(cycle_id=spring, plan_id=plan_id, rubric_version_id=version.id))
        db.session.commit()
    page = _text(client.get(f"/cycles/{spring}"))
    assert "its sample is fixed and cannot be drawn again" in page
    assert "Draw the sample</button>" not in page
    forged = _draw(client, spring, seed="1")
    assert forged.status_code == 400 and "can no longer be redrawn" in _text(forged)
    with app.app_context():
        assert db.session.execute(select(Sample.seed)).scalar_one() == 4242


def test_download_without_a_sample_explains(app, client, manager, spring):
    response = client.get(f"/cycles/{spring}/sample.csv")
    assert response.status_code == 302
    assert "has no sample yet" in _text(client.get(response.headers["Location"]))


def test_the_admin_can_use_the_pages_too(app, client, spring):
    admin = make.on(app).user("admin")
    sign_in(client, admin.email)
    assert client.get("/cycles/").status_code == 200
    assert client.get(f"/cycles/{spring}").status_code == 200


@pytest.mark.parametrize("role", ["agency_lead", "auditor", "panel_chair"])
def test_other_roles_get_404_everywhere(app, client, spring, role):
    agency = make.on(app).agency("Community Paediatrics", "health")
    person = make.on(app).user(role, agency.name if role != "panel_chair" else None)
    sign_in(client, person.email)
    token = csrf_token(client, "/account/password")
    for path in ("/cycles/", "/cycles/new", f"/cycles/{spring}", f"/cycles/{spring}/edit",
                 f"/cycles/{spring}/sample.csv"):
        assert client.get(path).status_code == 404, path
    for path in ("/cycles/new", f"/cycles/{spring}/edit", f"/cycles/{spring}/close",
                 f"/cycles/{spring}/reopen", f"/cycles/{spring}/sample"):
        assert client.post(path, data={"csrf_token": token, "name": "x", "size": "3",
                                       "seed": "1"}).status_code == 404, path
    assert 'href="/cycles/"' not in _text(client.get("/")) + _text(client.get("/sections/audits"))
    with app.app_context():
        assert db.session.get(Cycle, spring).status == "open"
    assert _count(app, Sample) == 0
