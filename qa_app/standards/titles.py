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
