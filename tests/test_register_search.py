"""Register search and the plan page: results equal a plain filter of every plan, access
scoping holds for a search, filters survive paging, and the plan page lists exactly the
plan's audits, final grades and letters."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import or_, select

from qa_app.extensions import db
from tests import factories as make
from tests.factories import sign_in

LINK = re.compile(r'href="/plans/(\d+)">([^<]+)</a>')


def listed(client, query: str) -> set[str]:
    response = client.get(f"/plans?{query}")
    assert response.status_code == 200
    return {ref for _id, ref in LINK.findall(response.get_data(as_text=True))}


@pytest.fixture()
def register(app):
    """Forty plans over three agencies with every kind, status and a spread of year groups."""
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    north = make.on(app).agency("North Locality Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plans = []
    for i in range(40):
        owner = (casework, north)[i % 2]
        plans.append(make.on(app).plan(
            owner.id, ref=f"{'EHCP' if i % 3 else 'ehc_x'}-{i:03d}", nc_year=i % 7 - 1,
            kind="new" if i % 4 else "annual_review",
            issued=None if i % 5 == 0 else date(2026, 1, 5),
            exception="school_closure" if i % 6 == 0 else None))
    return {"casework": casework, "north": north, "health": health, "plans": plans}


def expected(plans, *, ref="", agency=None, year=None, kind="", status="") -> set[str]:
    def keep(p) -> bool:
        return all((
            ref.lower() in p.ref.lower(),
            agency is None or p.agency_id == agency,
            year is None or p.nc_year == year,
            not kind or p.plan_kind == kind,
            status != "issued" or p.issue_date is not None,
            status != "not_issued" or p.issue_date is None,
            status != "exception" or p.exception is not None,
        ))
    return {p.ref for p in plans if keep(p)}


def test_search_results_equal_a_plain_filter_of_all_plans(app, client, register):
    sign_in(client, make.on(app).user("qi_manager").email)
    plans, casework = register["plans"], register["casework"]
    combos = [
        {},
        {"ref": "ehcp-01"},
        {"ref": "EHC_X"},
        {"ref": "_"},
        {"ref": "%"},
        {"agency": casework.id},
        {"year": 3},
        {"year": -1, "kind": "new"},
        {"kind": "annual_review", "status": "issued"},
        {"status": "not_issued", "agency": register["north"].id},
        {"status": "exception"},
        {"ref": "0", "year": 0, "agency": casework.id, "kind": "new", "status": "issued"},
    ]
    for combo in combos:
        query = "&".join(f"{k}={quote(str(v))}" for k, v in combo.items())
        assert listed(client, query) == expected(plans, **combo), combo


def test_unknown_or_hostile_filters_fall_back_to_any(app, client, register):
    sign_in(client, make.on(app).user("qi_manager").email)
    every = {p.ref for p in register["plans"]}
    for query in ("year=abc", "year=99", "agency=%C2%B2", "agency=9223372036854775808",
                  "kind=<script>", "status=1%3D1", "ref=%00", "ref=%0A%0D", "year=-1e3",
                  "kind=new&kind=zzz", "page=1&agency=-1&status="):
        response = client.get(f"/plans?{query}")
        assert response.status_code == (400 if "%00" in query else 200), query
    assert listed(client, "year=abc&status=bogus") == every
    assert listed(client, "ref=" + quote("x" * 500)) == set()


def test_paging_keeps_the_filters(app, client):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    for i in range(55):
        make.on(app).plan(casework.id, ref=f"EHCP-P-{i:03d}", nc_year=4)
    make.on(app).plan(casework.id, ref="EHCP-P-999", nc_year=5)
    sign_in(client, make.on(app).user("qi_manager").email)
    page = client.get("/plans?ref=p-&year=4").get_data(as_text=True)
    assert "55 plans matching the filters" in page
    next_link = re.search(r'href="(/plans\?[^"]*page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "ref=p-" in next_link and "year=4" in next_link
    second = client.get(next_link).get_data(as_text=True)
    refs = {ref for _id, ref in LINK.findall(second)}
    assert len(refs) == 5 and "EHCP-P-999" not in refs


def test_a_lead_cannot_find_another_agencys_plan_by_its_reference(app, client, register):
    health = register["health"]
    own_plans = [p for p in register["plans"] if p.agency_id == register["casework"].id]
    advised = own_plans[0]
    make.on(app).advice(advised.id, health.id)
    stranger = own_plans[1]
    sign_in(client, make.on(app).user("agency_lead", health.name).email)
    assert listed(client, f"ref={quote(advised.ref)}") == {advised.ref}
    assert listed(client, f"ref={quote(stranger.ref)}") == set()
    assert listed(client, f"ref={quote(stranger.ref)}&agency={register['casework'].id}") == set()
    assert listed(client, "") == {advised.ref}


def test_an_auditor_finds_only_the_plans_they_audit(app, client, register):
    auditor = make.on(app).user("auditor", register["casework"].name)
    version = make.on(app).rubric()
    cycle = make.on(app).cycle()
    audited = register["plans"][2]
    with app.app_context():
        from qa_app.audits.scoring.models import Audit

        db.session.add(Audit(cycle_id=cycle.id, plan_id=audited.id, auditor_id=auditor.id,
                             rubric_version_id=version.id))
        db.session.commit()
    sign_in(client, auditor.email)
    assert listed(client, "") == {audited.ref}
    assert listed(client, f"ref={quote(register['plans'][3].ref)}") == set()


def _section(page: str, heading: str) -> str:
    part = page.split(f'<h2 class="govuk-heading-m">{heading}</h2>')[1]
    return part.split('<h2 class="govuk-heading-m">')[0]


def _body_rows(section: str) -> int:
    if "<tbody" not in section:
        return 0
    return section.split("<tbody")[1].split("</tbody>")[0].count("<tr ")


@pytest.fixture()
def lettered(app):
    from workers import celery_init_app

    celery_init_app(app)
    data = make.on(app).letter_partnership()
    from qa_app.letters.content import agencies_with_final_grades
    from qa_app.letters.operations import generate_letter

    with app.app_context():
        for agency_id in agencies_with_final_grades(data.cycle_id):
            generate_letter(agency_id, data.cycle_id)
        db.session.commit()
    return data


def test_the_plan_page_lists_exactly_its_audits_grades_and_letters(app, client, lettered):
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.scoring.models import Audit
    from qa_app.letters.models import Letter
    from qa_app.register.models import Advice, Plan

    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.ref == "EHCP-L-0001")).one()
        advice_ids = select(Advice.id).where(Advice.plan_id == plan.id)
        ours = or_(Audit.plan_id == plan.id, Audit.advice_id.in_(advice_ids))
        audits = len(db.session.scalars(select(Audit).where(ours)).all())
        grades = len(db.session.scalars(select(FinalGrade).where(
            or_(FinalGrade.plan_id == plan.id, FinalGrade.advice_id.in_(advice_ids)))).all())
        refs = {plan.ref, *db.session.scalars(select(Advice.ref).where(Advice.plan_id == plan.id))}
        letters = {letter.reference for letter in db.session.scalars(select(Letter))
                   if refs & {i["reference"] for i in letter.content["facts"]["items"]}}
        plan_id = plan.id
    assert audits == 4 and grades == 4 and len(letters) == 3
    sign_in(client, lettered.manager_email)
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert _body_rows(_section(page, "Audits")) == audits
    assert _body_rows(_section(page, "Final grades")) == grades
    letter_section = _section(page, "Letters")
    assert letter_section.count("<li>") == len(letters)
    assert all(ref in letter_section for ref in letters)
    assert "Year group when graded" in page and "assured grade" in page

    lead = app.test_client()
    sign_in(lead, lettered.health_lead_email)
    page = lead.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert _body_rows(_section(page, "Audits")) == 2
    assert "An auditor" in _section(page, "Audits")
    assert "No letter you can see lists this plan" in page
