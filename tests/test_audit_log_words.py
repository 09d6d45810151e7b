"""The audit log in words: every code described, sign-ins hidden, person and record filters."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.extensions import db
from qa_app.history.words import EVENTS, RECORD_TYPES, SIGN_INS
from tests import factories as make
from tests.factories import sign_in

APP = Path(__file__).resolve().parents[1] / "qa_app"
START = datetime(2026, 1, 5, 9, 0)
DYNAMIC = {
    # f-string codes and the values their placeholders take
    r"^(.+)\.exception$": {"plan.exception", "advice.exception"},
    r"^import\.(.+)$": {"import.plans", "import.advice", "import.audits"},
    r"^final_grade\.(.+)$": {"final_grade.agreed", "final_grade.moderated",
                             "final_grade.imported"},
}


def _is_record_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "audit_log")


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def written_codes() -> tuple[set[str], set[str], set[str]]:
    """(codes, f-string patterns, record types) passed to audit_log.record anywhere in qa_app."""
    codes: set[str] = set()
    patterns: set[str] = set()
    types: set[str] = set()
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assigned: dict[str, set[str]] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, set()).update(_strings(node.value))
            for call in (n for n in ast.walk(func) if _is_record_call(n)):
                code, record_type = call.args[0], call.args[1]
                if isinstance(code, ast.JoinedStr):
                    patterns.add("^" + "".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else "(.+)"
                        for part in code.values) + "$")
                elif isinstance(code, ast.Name):
                    assert assigned.get(code.id), f"{path}: cannot read the code {code.id}"
                    codes |= assigned[code.id]
                else:
                    codes |= _strings(code)
                if isinstance(record_type, ast.Constant):
                    types.add(record_type.value)
    return codes, patterns, types


def test_every_code_the_app_writes_has_a_description() -> None:
    codes, patterns, types = written_codes()
    assert len(codes) > 30 and "user.sign_in" in codes
    missing = sorted(code for code in codes if code not in EVENTS)
    assert not missing, f"audit codes with no description: {missing}"
    unknown = patterns - DYNAMIC.keys()
    assert not unknown, f"f-string audit codes with no known values: {unknown}"
    for pattern in patterns:
        for code in DYNAMIC[pattern]:
            assert re.match(pattern, code) and code in EVENTS, code
    assert not sorted(types - RECORD_TYPES.keys())


def test_descriptions_are_sentence_case_words() -> None:
    for code, words in EVENTS.items():
        assert words[0].isupper() and "_" not in words and "." not in words, code
    for record_type, words in RECORD_TYPES.items():
        assert words[0].isupper() and "_" not in words, record_type


def rows(page: str) -> list[str]:
    if '<tbody class="govuk-table__body">' not in page:
        return []
    body = page.split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0]
    return re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", body, re.S)


def add(app: Flask, user_id: int | None, action: str, record_type: str, record_id: object,
        count: int = 1) -> None:
    with app.app_context():
        for n in range(count):
            db.session.add(AuditLogEntry(at=START + timedelta(minutes=n), user_id=user_id,
                                         action=action, record_type=record_type,
                                         record_id=str(record_id)))
        db.session.commit()


def count(app: Flask, *where: object) -> int:
    with app.app_context():
        return len(db.session.execute(select(AuditLogEntry).where(*where)).scalars().all())


@pytest.fixture()
def manager(app: Flask, client):
    user = make.on(app).person("qi_manager", email="manager-words@example.org")
    sign_in(client, user.email)
    return user


def test_sign_ins_hidden_unless_asked(app: Flask, client, manager) -> None:
    add(app, manager.id, "user.sign_in", "user", manager.id, count=5)
    add(app, manager.id, "user.sign_out", "user", manager.id, count=2)
    add(app, manager.id, "cycle.create", "cycle", 1)
    page = unescape(client.get("/audit-log/").get_data(as_text=True))
    shown = rows(page)
    assert len(shown) == count(app, AuditLogEntry.action.not_in(SIGN_INS)) == 1
    assert "Audit cycle created" in shown[0] and "cycle.create" not in page
    assert "Signed in" not in "".join(shown)
    asked = unescape(client.get("/audit-log/?sign_ins=y").get_data(as_text=True))
    assert len(rows(asked)) == count(app) and "Signed in" in asked and "Signed out" in asked
    assert "user.sign_in" not in asked and 'name="sign_ins"' in asked and "checked" in asked


def test_person_filter_returns_exactly_their_entries(app: Flask, client, manager) -> None:
    other = make.on(app).person("qi_manager", email="other-words@example.org")
    add(app, manager.id, "panel.create", "panel", 1, count=3)
    add(app, other.id, "panel.change", "panel", 1, count=4)
    add(app, other.id, "user.sign_in", "user", other.id, count=2)
    page = unescape(client.get("/audit-log/?user=other-words@example.org")
                    .get_data(as_text=True))
    expected = count(app, AuditLogEntry.user_id == other.id,
                     AuditLogEntry.action.not_in(SIGN_INS))
    assert len(rows(page)) == expected == 4
    assert all("Panel changed" in row and "other-words@example.org" in row for row in rows(page))
    with_sign_ins = client.get("/audit-log/?user=other-words@example.org&sign_ins=y")
    assert len(rows(with_sign_ins.get_data(as_text=True))) == count(
        app, AuditLogEntry.user_id == other.id) == 6


def test_record_filter_by_number_or_plan_reference(app: Flask, client, manager) -> None:
    agency = make.on(app).agency()
    plan = make.on(app).plan(agency.id, ref="PLAN-WORDS-7")
    add(app, manager.id, "plan.exception", "plan", plan.id, count=2)
    add(app, manager.id, "plan.exception", "plan", plan.id + 1000)
    add(app, manager.id, "letter.issue", "letter", 9, count=3)
    expected = count(app, AuditLogEntry.record_type == "plan",
                     AuditLogEntry.record_id == str(plan.id))
    for wanted in (plan.ref, str(plan.id)):
        page = unescape(client.get(f"/audit-log/?record_type=plan&record_id={wanted}")
                        .get_data(as_text=True))
        assert len(rows(page)) == expected == 2
        assert all(f"Plan {plan.id}" in row and "Plan exception changed" in row
                   for row in rows(page))
    letters = client.get("/audit-log/?record_type=letter&record_id=9").get_data(as_text=True)
    assert len(rows(letters)) == count(app, AuditLogEntry.record_type == "letter") == 3
    assert '<option value="letter">Letter</option>' in letters or "Letter</option>" in letters
