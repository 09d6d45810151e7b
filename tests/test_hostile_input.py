"""No server error from anything a person can type or send: every GET route of the app with
hostile path values and query parameters, and every form route posted empty, as each role,
with data present. A 5xx anywhere fails the test and names the request."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from qa_app.extensions import db
from tests import factories as make
from tests.factories import ROLES, csrf_token, sign_in

HUGE = "9223372036854775808"  # 2**63, one past the largest database id
HOSTILE_IDS = (HUGE, "-1", "²")
PARAMETERS = ("job", "page", "per_page", "agency", "cycle", "year", "measure", "agency_id",
              "cycle_id", "period_kind", "record_id", "record_type", "user", "heat",
              "advice_type", "margin", "next", "date_from", "date_to")
QUERIES = [
    "&".join(f"{name}={value}" for name in PARAMETERS) for value in (HUGE, quote("²"))
] + [
    "date_from=1&date_from=1&date_from=1&date_to=31&date_to=12&date_to=9999",
    "&".join(f"{name}=-1&{name}=99999999999999999999999999" for name in PARAMETERS)
    + "&date_from=1&date_from=2&date_from=2026&date_from=4&date_to=31&date_to=" + quote("²")
    + "&date_to=2026&user=" + "a" * 300,
]
FORM_FIELDS = ("cycle_id", "chair_id", "user_id", "auditor_id", "panel_id", "agency_id",
               "grade", "overall", "kind", "size", "seed", "margin", "presented_on",
               "complete_by", "finalised", "sampled", "name", "email", "code")
HOSTILE_FORM = {name: (HUGE, "²", "-1")[n % 3] for n, name in enumerate(FORM_FIELDS)}
SKIPPED = {"static", "assets", "govuk_dist", "auth.sign_out"}
ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")


def _real_ids() -> dict[str, int]:
    from qa_app.api.models import ApiToken
    from qa_app.audits.cycles.models import Cycle
    from qa_app.audits.moderation.models import FinalGrade
    from qa_app.audits.panels.models import Panel
    from qa_app.audits.scoring.models import Audit
    from qa_app.auth.models import User
    from qa_app.jobs import JobRun
    from qa_app.letters.models import Letter
    from qa_app.register.models import Advice, Plan
    from qa_app.reporting.models import ImprovementAction
    from qa_app.standards.models import RubricVersion

    models = {"cycle_id": Cycle, "panel_id": Panel, "audit_id": Audit, "letter_id": Letter,
              "grade_id": FinalGrade, "plan_id": Plan, "advice_id": Advice,
              "version_id": RubricVersion, "job_id": JobRun, "action_id": ImprovementAction,
              "user_id": User, "token_id": ApiToken, "subject_id": Plan}
    return {name: db.session.scalar(select(func.min(model.id))) or 1
            for name, model in models.items()}


def _url(rule: str, value: str | None, ids: dict[str, int]) -> str:
    """The rule with every argument filled: with `value` (hostile), or a real id / word."""

    def fill(match: re.Match[str]) -> str:
        converter, options, name = match.groups()
        if converter == "any":
            return options.split(",")[0].strip()
        if value is not None:
            return quote(value)
        if converter == "int":
            return str(ids.get(name, 1))
        return {"chart": "trend", "fmt": "csv", "kind": "rates"}.get(name, "x")

    return ARGUMENT.sub(fill, rule)


def _check(client: FlaskClient, method: str, url: str, failures: list[str],
           data: dict[str, str] | None = None) -> None:
    try:
        response = client.open(url, method=method, data=data)
    except Exception as exc:  # the test app raises what a served app would answer with 500
        failures.append(f"{method} {url} -> {type(exc).__name__}: {exc}"[:300])
        return
    if response.status_code >= 500:
        failures.append(f"{method} {url} -> {response.status_code}")


def test_no_route_answers_hostile_input_with_a_server_error(app: Flask) -> None:
    world = make.on(app).security_world()
    with app.app_context():
        ids = _real_ids()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    failures: list[str] = []
    for role in ROLES:
        client = app.test_client()
        assert sign_in(client, world.emails[role]).status_code == 302, role
        token = csrf_token(client, "/")
        for rule in rules:
            if "GET" in rule.methods:
                if rule.arguments:
                    for value in HOSTILE_IDS:
                        _check(client, "GET", _url(rule.rule, value, ids), failures)
                real = _url(rule.rule, None, ids)
                for query in QUERIES:
                    _check(client, "GET", f"{real}?{query}", failures)
        for rule in rules:
            if "POST" in rule.methods:
                _check(client, "POST", _url(rule.rule, None, ids), failures,
                       data={"csrf_token": token})
                _check(client, "POST", _url(rule.rule, None, ids), failures,
                       data={"csrf_token": token, **HOSTILE_FORM})
                if rule.arguments and "GET" not in rule.methods:
                    _check(client, "POST", _url(rule.rule, HUGE, ids), failures,
                           data={"csrf_token": token})
    assert not failures, "\n".join(failures)


def test_out_of_range_and_non_ascii_numbers_are_not_found(app: Flask) -> None:
    manager = make.on(app).user("qi_manager")
    client = app.test_client()
    sign_in(client, manager.email)
    for url in (f"/plans/{HUGE}", f"/cycles/{HUGE}", f"/letters/{HUGE}", f"/jobs/{HUGE}/run-again",
                f"/plans/{quote('²')}", f"/plans/{quote('١٢')}", "/plans/-1",
                f"/rates?job={HUGE}", f"/rates?agency={quote('²')}", f"/plans?page={HUGE}",
                f"/plans?page={quote('²')}", f"/audit-log/?page={HUGE}",
                f"/letters/?cycle={quote('²')}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/dashboard/?agency={quote('²')}&cycle={quote('²')}",
                f"/dashboard/?agency={HUGE}&cycle={HUGE}", f"/letters/?job={HUGE}",
                "/plans?page=1&page=2"):
        assert client.get(url).status_code == 200, url
    api = client.get(f"/api/v1/agencies?page={quote('²')}")
    assert api.status_code == 400 and "page must be a whole number" in api.get_json()["message"]


def test_repeated_date_parts_in_the_audit_log_filter_are_a_message(app: Flask) -> None:
    admin = make.on(app).user("admin")
    client = app.test_client()
    sign_in(client, admin.email)
    for query in ("date_from=1&date_from=2&date_from=2026&date_from=4",
                  "date_from=1&date_from=2", f"date_to=1&date_to={quote('²')}&date_to=2026"):
        response = client.get(f"/audit-log/?{query}")
        assert response.status_code == 400, query
        assert "must be a real date, for example 27 3 2026" in response.get_data(as_text=True)
    last_day = client.get("/audit-log/?date_from=1&date_from=1&date_from=2000"
                          "&date_to=31&date_to=12&date_to=9999&sign_ins=y")
    assert last_day.status_code == 200 and "Signed in" in last_day.get_data(as_text=True)


def test_letter_forms_posted_without_their_date_are_shown_again_with_a_message(app) -> None:
    world = make.on(app).security_world()
    assert world.letter_id is not None
    lead = app.test_client()
    sign_in(lead, world.emails["agency_lead"])
    url = f"/letters/{world.letter_id}/response"
    page = lead.post(url, data={"csrf_token": csrf_token(lead, url), "action": "continue",
                                "rows-0-change": "Train staff", "rows-0-owner": "Head of Service"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Enter the date change 1 will be done by" in text
    assert "Train staff" in text  # what was typed is kept
    partial = lead.post(url, data={"csrf_token": csrf_token(lead, url), "action": "continue",
                                   "rows-0-change": "x", "rows-0-owner": "y",
                                   "rows-0-complete_by": ["1", "2"]})
    assert partial.status_code == 200
    assert "The date for change 1 must be a real date" in partial.get_data(as_text=True)
    staff = app.test_client()
    sign_in(staff, world.emails["qi_manager"])
    token = csrf_token(staff, f"/letters/{world.letter_id}")
    board = staff.post(f"/letters/{world.letter_id}/presented", data={"csrf_token": token})
    assert board.status_code in (200, 400)
    assert "Enter the date of the board meeting" in board.get_data(as_text=True)
