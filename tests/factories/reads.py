"""What the panel, scoring and moderation tests read back, as plain values they can compare.

Like a page or a command, these take the app and open their own app context."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from sqlalchemy import select

from qa_app.audit_log import AuditLogEntry
from qa_app.audits.scoring.models import Audit
from qa_app.extensions import db


def audits_of(app: Flask, **where: object) -> list[dict[str, object]]:
    with app.app_context():
        rows = db.session.execute(select(Audit).filter_by(**where).order_by(Audit.id)).scalars()
        return [{"id": a.id, "auditor_id": a.auditor_id, "plan_id": a.plan_id,
                 "advice_id": a.advice_id, "status": a.status, "row_version": a.row_version,
                 "rubric": a.rubric_version.rubric_id, "computed": a.computed_grade,
                 "override": a.override_grade,
                 "scores": {s.criterion_id: (s.grade, s.evidence) for s in a.scores}}
                for a in rows]


def log_entries(app: Flask, action: str | None = None) -> list[AuditLogEntry]:
    with app.app_context():
        query = select(AuditLogEntry).order_by(AuditLogEntry.id)
        if action:
            query = query.where(AuditLogEntry.action == action)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return list(rows)


STALE_SAVE = ("This audit was changed in another tab or by someone else, so your changes were "
              "not saved.")


def assert_stale_save_kept_the_first(app: Flask, stale: Any, audit_id: int) -> None:
    """A save from a second tab (the first tab saved child voice 4, this one typed 1) is
    refused with 409 and the conflict, shows what was typed, and changed nothing."""
    page = unescape(stale.get_data(as_text=True))
    assert stale.status_code == 409
    assert STALE_SAVE in page and "Two versions of this audit" in page
    assert re.search(r'name="grade_child_voice" type="radio" value="1" checked', page)
    assert audits_of(app, id=audit_id)[0]["scores"]["child_voice"][0] == 4  # type: ignore[index]
    assert len(log_entries(app, "audit.save_draft")) == 1
