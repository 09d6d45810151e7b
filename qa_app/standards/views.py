"""Readable, printable pages for every loaded version of every rubric."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from qa_app.auth.access import ALL_ROLES, get_visible_or_404, roles
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.standards.models import RubricVersion
from qa_app.standards.operations import current_versions, rubric_of

bp = Blueprint("standards", __name__, url_prefix="/standards")


@bp.route("/")
@roles(*ALL_ROLES)
def index() -> ResponseReturnValue:
    versions = db.session.execute(
        select(RubricVersion).order_by(RubricVersion.rubric_id, RubricVersion.id.desc())
    ).scalars().all()
    current_ids = {v.id for v in current_versions().values()}
    return render_template("standards/index.html", versions=versions, current_ids=current_ids)


@bp.route("/<int:version_id>")
@roles(*ALL_ROLES)
def show(version_id: int) -> ResponseReturnValue:
    version = get_visible_or_404(RubricVersion, version_id)
    rubric = rubric_of(version)
    current = current_versions().get(version.rubric_id)
    history = db.session.execute(
        select(RubricVersion, User.display_name)
        .outerjoin(User, User.id == RubricVersion.loaded_by_id)
        .where(RubricVersion.rubric_id == version.rubric_id)
        .order_by(RubricVersion.id.desc())
    ).all()
    return render_template("standards/show.html", version=version, rubric=rubric,
                           is_current=current is not None and current.id == version.id,
                           current=current, history=history)
