"""Recording a statutory exception to the six-week advice deadline on the advice page."""

from __future__ import annotations

from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.register.models import Advice
from tests import factories as make
from tests.factories import csrf_token, sign_in


def _setup(app):
    casework = make.on(app).agency("SEND Casework Team", "local_authority")
    health = make.on(app).agency("Community Paediatrics", "health")
    plan = make.on(app).plan(casework.id)
    return health, make.on(app).advice(plan.id, health.id)


def test_manager_records_and_clears_an_exception_with_a_reason(app, client):
    _, advice = _setup(app)
    sign_in(client, make.on(app).user("qi_manager").email)
    path = f"/advice/{advice.id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "exception": "away_from_area",
                                       "exception_note": "Family abroad for six weeks"})
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Child or family away from the area for 4 weeks or more" in page
    with app.app_context():
        row = db.session.get(Advice, advice.id)
        assert (row.exception, row.exception_note) == ("away_from_area",
                                                       "Family abroad for six weeks")
        entry = db.session.execute(select(AuditLogEntry).where(
            AuditLogEntry.action == "advice.exception")).scalar_one()
        assert entry.changes["after"]["exception"] == "away_from_area"
    client.post(path, data={"csrf_token": csrf_token(client, path), "exception": "",
                            "exception_note": ""})
    with app.app_context():
        assert db.session.get(Advice, advice.id).exception is None


def test_exception_without_reason_or_unknown_is_refused(app, client):
    _, advice = _setup(app)
    sign_in(client, make.on(app).user("qi_manager").email)
    path = f"/advice/{advice.id}"
    page = client.post(path, data={"csrf_token": csrf_token(client, path),
                                   "exception": "missed_appointment",
                                   "exception_note": "  "}).get_data(as_text=True)
    assert "Give the reason the exception applies" in page
    bad = client.post(path, data={"csrf_token": csrf_token(client, path),
                                  "exception": "on_holiday", "exception_note": "x"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Advice, advice.id).exception is None


def test_agency_lead_cannot_change_the_exception(app, client):
    health, advice = _setup(app)
    sign_in(client, make.on(app).user("agency_lead", health.name).email)
    path = f"/advice/{advice.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Save exception" not in page
    token = csrf_token(client, "/account/password")
    response = client.post(path, data={"csrf_token": token, "exception": "away_from_area",
                                       "exception_note": "x"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Advice, advice.id).exception is None
