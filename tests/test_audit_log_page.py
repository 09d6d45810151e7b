"""The audit log page: staff only, newest first, filtered by record, user and date, paginated."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from flask import Flask

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from tests import factories as make
from tests.factories import sign_in

START = datetime(2025, 11, 3, 9, 0)


def add_entries(app: Flask, user_id: int | None, count: int, record_type: str = "audit",
                start: datetime = START, action: str = "audit.save_draft") -> None:
    with app.app_context():
        for n in range(count):
            db.session.add(AuditLogEntry(
                at=start + timedelta(hours=n), user_id=user_id, action=action,
                record_type=record_type, record_id=str(n + 1),
                changes={"grades": {"child_voice": [2, 3]}, "status": ["draft", "submitted"]},
                reason="Checked with the chair" if n == 0 else None))
        db.session.commit()


def rows(page: str) -> list[str]:
    body = page.split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0]
    return re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", body, re.S)


@pytest.fixture()
def admin(app: Flask, client):
    user = make.on(app).person("admin", email="admin-log@example.org")
    sign_in(client, user.email)
    return user


def test_newest_first_with_readable_changes(app, client, admin):
    auditor = make.on(app).person("qi_manager", email="someone@example.org")
    add_entries(app, auditor.id, 3)
    page = unescape(client.get("/audit-log/?sign_ins=y").get_data(as_text=True))
    assert "Signed in" in rows(page)[0]
    found = rows(unescape(client.get("/audit-log/?record_type=audit").get_data(as_text=True)))
    assert "Audit 3" in found[0] and "Audit 1" in found[2]
    assert "Criterion grades: Child voice 2 → 3" in found[2]  # no standard loaded: words
    assert "Status: draft → submitted" in found[2] and "child_voice" not in found[2]
    assert "Checked with the chair" in found[2] and "someone@example.org" in found[2]
    assert "03/11/2025 09:00:00" in found[2]  # UK time (GMT in November)


def test_filters_by_record_user_and_date(app, client, admin):
    other = make.on(app).person("qi_manager", email="other@example.org")
    add_entries(app, admin.id, 3, "audit")
    add_entries(app, other.id, 2, "final_grade", start=START + timedelta(days=10),
                action="final_grade.change")
    page = client.get("/audit-log/?record_type=final_grade").get_data(as_text=True)
    assert len(rows(page)) == 2 and "Final grade changed" in page
    assert len(rows(client.get("/audit-log/?record_type=audit&record_id=2")
                    .get_data(as_text=True))) == 1
    by_user = client.get("/audit-log/?user=OTHER@example.org").get_data(as_text=True)
    assert len(rows(by_user)) == 2
    dated = client.get("/audit-log/?date_from=13&date_from=11&date_from=2025"
                       "&date_to=13&date_to=11&date_to=2025").get_data(as_text=True)
    assert len(rows(dated)) == 2
    nothing = client.get("/audit-log/?user=nobody@example.org").get_data(as_text=True)
    assert "No entries match the filters." in nothing


def test_bad_filters_explain_themselves(app, client, admin):
    response = client.get("/audit-log/?date_from=31&date_from=2&date_from=2025")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "govuk-error-summary" in page and "'From' must be a real date" in page
    reversed_range = client.get("/audit-log/?date_from=2&date_from=1&date_from=2026"
                                "&date_to=1&date_to=1&date_to=2026")
    assert "must be the same as or after" in unescape(reversed_range.get_data(as_text=True))
    forged = client.get("/audit-log/?record_type=no_such_type")
    assert forged.status_code == 400
    assert client.get("/audit-log/?page=x").status_code == 404


def test_paginated_fifty_a_page(app, client, admin):
    add_entries(app, admin.id, 60)
    first = client.get("/audit-log/?record_type=audit").get_data(as_text=True)
    assert len(rows(first)) == 50 and "page 1 of 2" in first
    assert 'href="/audit-log/?page=2&amp;record_type=audit"' in first
    second = client.get("/audit-log/?page=2&record_type=audit").get_data(as_text=True)
    assert len(rows(second)) == 10


def test_the_log_is_read_only_and_for_staff(app, client, admin):
    assert client.post("/audit-log/").status_code in {400, 405}
    for role, agency in (("auditor", True), ("panel_chair", False), ("agency_lead", True)):
        agency_name = make.on(app).agency().name if agency else None
        other = app.test_client()
        sign_in(other, make.on(app).user(role, agency_name).email)
        assert other.get("/audit-log/").status_code == 404


def test_changes_name_criteria_by_their_titles_and_fields_in_words(app, client, admin):
    with app.app_context():
        make.shipped_rubrics()
        db.session.add(AuditLogEntry(
            at=START, user_id=admin.id, action="final_grade.change", record_type="final_grade",
            record_id="7", reason="Moderated at panel",
            changes={"grade": [2, 3], "criteria": {"child_voice": [2, 3]},
                     "method": ["agreed", "moderated"]}))
        db.session.add(AuditLogEntry(
            at=START + timedelta(minutes=1), user_id=admin.id, action="audit.save_draft",
            record_type="audit", record_id="8",
            changes={"evidence_changed": ["child_voice"], "override_grade": [None, 2]}))
        db.session.commit()
    change, = rows(unescape(client.get("/audit-log/?record_type=final_grade")
                            .get_data(as_text=True)))
    draft, = rows(unescape(client.get("/audit-log/?record_type=audit").get_data(as_text=True)))
    assert "Criterion grades: Child or young person's voice 2 → 3" in change
    assert "Grade: 2 → 3" in change and "How the grade was reached: agreed → moderated" in change
    assert "Evidence notes changed: Child or young person's voice" in draft
    assert "Overall grade chosen instead: none → 2" in draft
    for row in (draft, change):
        assert "child_voice" not in row and "override_grade" not in row
