"""A practice standard's title for pages, from its stored versions: people read titles, not ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    """A criterion's title in the newest loaded version of its rubric. When the rubric is not
    known, the title every rubric's newest version gives that id; where they differ (the plan's
    "Outcomes are SMART", an advice standard's "Outcomes are specific"), the id in words, so a
    title never names one standard for a criterion of another. An unknown id reads as words."""
    titles: dict[tuple[str, str], str] | None = g.get("criterion_titles")
    if titles is None:
        bodies = [{**(body or {}), "id": rubric} for rubric, body in db.session.execute(
            select(RubricVersion.rubric_id, RubricVersion.body).order_by(RubricVersion.id))]
        titles = {(body["id"], criterion_id): title for body in bodies
                  for criterion_id, title in _titles_of(body).items()}  # the newest wins
        titles.update({("", criterion_id): title
                       for criterion_id, title in agreed_titles(bodies).items()})
        g.criterion_titles = titles
    return (titles.get((rubric_id or "", criterion_id)) or titles.get(("", criterion_id))
            or criterion_id.replace("_", " ").capitalize())


def agreed_titles(bodies: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Criterion titles for a figure counting grades given against several standards (e.g.
    every kind of advice): each rubric's title from the last of its `bodies` (pass them oldest
    first), kept only where every rubric gives the id the same title. A missing id is for the
    caller to put in words: "Health outcomes are specific" must not head a row that also
    counts education advice."""
    newest = {str(body.get("id", "")): _titles_of(body) for body in bodies}
    found: dict[str, set[str]] = {}
    for titles in newest.values():
        for criterion_id, title in titles.items():
            found.setdefault(criterion_id, set()).add(title)
    return {criterion_id: titles.pop() for criterion_id, titles in found.items()
            if len(titles) == 1}


def _titles_of(body: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["title"] for c in body.get("criteria") or []
            if isinstance(c, dict) and c.get("id") and c.get("title")}
