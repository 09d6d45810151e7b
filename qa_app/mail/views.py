"""The Emails page: every message the service has written, newest first, and what became of
each, so an administrator (and the demo) can read what would be sent."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from qa_app.auth.access import roles
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.inputs import MAX_PAGE, query_int
from qa_app.mail.delivery import channel
from qa_app.mail.models import CHANNEL_WORDS, OutboxMessage

bp = Blueprint("mail", __name__, url_prefix="/emails")
PAGE_SIZE = 25
TAGS = {"sent": "govuk-tag--green", "failed": "govuk-tag--red", "kept": "govuk-tag--grey",
        "retrying": "govuk-tag--yellow", "queued": "govuk-tag--blue"}


@bp.route("/")
@roles(Role.ADMIN)
def index() -> ResponseReturnValue:
    page = query_int("page", 1, low=1, high=MAX_PAGE, strict=True) or 1
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "mail/index.html", pagination=pagination, tags=TAGS,
        delivery=CHANNEL_WORDS[channel()],
        page_url=lambda n: url_for("mail.index", page=n),
    )


@bp.route("/<int:message_id>")
@roles(Role.ADMIN)
def message(message_id: int) -> ResponseReturnValue:
    row = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("mail/message.html", message=row, tags=TAGS,
                           channel_words=CHANNEL_WORDS.get(row.channel or "", "not yet chosen"))
