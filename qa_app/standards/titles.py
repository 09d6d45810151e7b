"""A practice standard's title for pages, from its stored versions: people read titles, not ids."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from qa_app.extensions import db
from qa_app.standards.models import RubricVersion


def rubric_title(rubric_id: str) -> str:
    """The title of the newest loaded version; an id with no version reads as words."""
    titles: dict[str, str] | None = g.get("rubric_titles")
    if titles is None:
        rows = db.session.execute(
            select(RubricVersion.rubric_id, RubricVersion.title).order_by(RubricVersion.id)
        ).all()
        titles = g.rubric_titles = {rubric: title for rubric, title in rows}
    return titles.get(rubric_id) or rubric_id.replace("-", " ").replace("_", " ").capitalize()


def criterion_title(criterion_id: str, rubric_id: str | None = None) -> str:
    """A criterion's title in the newest loaded version of its rubric (or of any rubric, the
    plan's first, when the rubric is not known); an unknown id reads as words."""
    titles: dict[tuple[str, str], str] | None = g.get("criterion_titles")
    if titles is None:
        titles = {}
        rows = db.session.execute(
            select(RubricVersion.rubric_id, RubricVersion.applies_to, RubricVersion.body)
            .order_by(RubricVersion.applies_to != "plan", RubricVersion.id.desc())
        ).all()
        for rubric, _, body in rows:
            for criterion in (body or {}).get("criteria") or []:
                title = criterion.get("title") if isinstance(criterion, dict) else None
                if title and criterion.get("id"):
                    titles.setdefault((rubric, criterion["id"]), title)
                    titles.setdefault(("", criterion["id"]), title)
        g.criterion_titles = titles
    return (titles.get((rubric_id or "", criterion_id)) or titles.get(("", criterion_id))
            or criterion_id.replace("_", " ").capitalize())
