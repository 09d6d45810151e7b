"""A group's hub page lists only the items the signed-in role may open. With one, the
navigation links to that item itself, so its hub sends the person there (an old bookmark
after a change of role); with none, the page is not found."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app import navigation
from qa_app.auth.access import ALL_ROLES, roles

bp = Blueprint("sections", __name__, url_prefix="/sections")


@bp.route("/<slug>")
@roles(*ALL_ROLES)
def hub(slug: str) -> ResponseReturnValue:
    found = navigation.hub(current_app, slug, current_user.role)
    if found is None:
        abort(404)
    group, items = found
    if len(items) == 1:
        return redirect(url_for(items[0].endpoint))
    return render_template("sections/hub.html", group=group, items=items)
