"""The signed-in home page for each role, and the admin's list of users."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from qa_app.auth.access import ALL_ROLES, roles
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.register.models import Advice, Agency, Plan

bp = Blueprint("main", __name__)


@bp.route("/")
@roles(*ALL_ROLES)
def home() -> ResponseReturnValue:
    counts = {
        "agencies": db.session.scalar(select(func.count()).select_from(Agency)),
        "plans": db.session.scalar(select(func.count()).select_from(Plan)),
        "advice": db.session.scalar(select(func.count()).select_from(Advice)),
    }
    return render_template("main/home.html", counts=counts, role=Role(current_user.role))


@bp.route("/users")
@roles(Role.ADMIN)
def users() -> ResponseReturnValue:
    rows = db.session.execute(select(User).order_by(User.role, User.email)).scalars().all()
    return render_template("main/users.html", users=rows)
