"""Email: one outbox for every message, delivered by SMTP or GOV.UK Notify on the worker.

`send_email(to, kind, fields, user_id=...)` writes a message from `templates/email/<kind>.txt`
and delivers it after the change behind it commits; `link(endpoint, **values)` builds an
absolute link from SERVICE_URL that works from a page, a command or a worker.
"""

from __future__ import annotations

from flask import Flask

from qa_app.mail.sending import UnsafeEmail, link, send_email

__all__ = ["UnsafeEmail", "init_app", "link", "send_email"]


def init_app(app: Flask) -> None:
    """The Emails page (administrators) and the sweep for messages the broker did not take."""
    from qa_app.jobs.schedule import add_beat
    from qa_app.mail import views
    from qa_app.mail.tasks import SWEEP_TASK
    from qa_app.navigation import add_item

    app.register_blueprint(views.bp)
    add_item(app, "Emails", "mail.index", 630, ("mail.",), group="Administration",
             description="Every email the service has sent or kept, newest first.")
    add_beat(app, "mail-send-waiting", SWEEP_TASK, 300.0)
