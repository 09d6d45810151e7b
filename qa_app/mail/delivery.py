"""Deliver one outbox message: by SMTP, by GOV.UK Notify, or not at all (kept in the outbox).

Which way is chosen by the settings (MAIL_SERVER, NOTIFY_API_KEY; Notify wins when both
are set). A failure the far end may get over (no connection, a 4xx answer, Notify busy) is
tried again with growing waits, up to MAIL_MAX_ATTEMPTS; one it will not (a 5xx refusal, a
bad Notify key or template) fails at once. Each message is its own small task, not a job:
the Background jobs page is for work people start, not for every email.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from qa_app import transactions
from qa_app.extensions import db
from qa_app.mail.models import FAILED, KEPT, QUEUED, RETRYING, SENT, OutboxMessage
from qa_app.timeutil import utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 20
IN_PROCESS_WAIT_MAX = 1.0
"""Without a worker, retries happen straight away in this process, waiting at most this long
between tries, so that a page is never held up for minutes."""


class DeliveryFailed(Exception):
    """The message was not handed over; `permanent` says trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None


def channel() -> str:
    config = current_app.config
    if config.get("NOTIFY_API_KEY"):
        return "notify"
    if config.get("MAIL_SERVER"):
        return "smtp"
    return "outbox"


def hand_over(message_id: int) -> None:
    """After the commit: send to the worker, or deliver here when there is no broker."""
    from qa_app.mail.tasks import deliver

    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        deliver_here(message_id)
        return
    from workers import quick_connection

    try:
        with quick_connection() as conn:
            deliver.apply_async(args=[message_id], connection=conn, retry=False)
    except Exception:  # kombu and redis raise many kinds; the beat sweep sends it later
        log.warning("email %s not handed to a worker yet: the broker refused it", message_id)


def deliver_here(message_id: int) -> str:
    """Deliver in this process, with its own session, trying again at once on failure."""
    with current_app.app_context():
        while True:
            outcome = attempt(message_id)
            transactions.commit_point()
            if outcome.retry_in is None:
                return outcome.status
            time.sleep(min(outcome.retry_in, IN_PROCESS_WAIT_MAX))


def attempt(message_id: int) -> Outcome:
    """Try once to deliver the message; record the outcome on its row (not committed)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return Outcome("missing")
    if message.status not in (QUEUED, RETRYING):
        return Outcome(message.status)
    way = channel()
    message.channel = way
    if way == "outbox":
        message.status = KEPT
        return Outcome(KEPT)
    config = current_app.config
    message.attempts += 1
    try:
        if way == "notify":
            send_by_notify(message)
        else:
            send_by_smtp(message)
    except DeliveryFailed as failure:
        most = max(1, int(config.get("MAIL_MAX_ATTEMPTS") or 1))
        if failure.permanent or message.attempts >= most:
            message.status = FAILED
            tries = "" if failure.permanent else f" after {message.attempts} attempts"
            message.error = f"Not sent{tries}: {failure.reason}"
            log.warning("email %s failed: %s", message.id, message.error)
            return Outcome(FAILED)
        message.status = RETRYING
        message.error = f"Attempt {message.attempts} of {most} failed: {failure.reason}"
        wait = float(config.get("MAIL_RETRY_SECONDS") or 0) * 2 ** (message.attempts - 1)
        return Outcome(RETRYING, retry_in=wait)
    message.status = SENT
    message.error = None
    message.sent_at = utcnow()
    return Outcome(SENT)


def send_by_smtp(message: OutboxMessage) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2]
                                     or None)
    email.set_content(message.body)
    where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]),
                          timeout=SMTP_TIMEOUT) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(email)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryFailed(f"the mail server at {where} did not accept the user name and "
                             f"password ({_smtp_words(exc)})", permanent=True) from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        raise DeliveryFailed(f"the mail server refused the address {message.to} "
                             f"({code} {_text(text)})", permanent=400 <= code < 500) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"the mail server at {where} answered {_smtp_words(exc)}",
                             permanent=exc.smtp_code >= 500) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryFailed(f"the mail server at {where} does not offer STARTTLS "
                             "(set MAIL_USE_TLS=false only if it is on a trusted network)",
                             permanent=True) from None
    except ssl.SSLError as exc:
        raise DeliveryFailed(f"the mail server at {where} could not be trusted over TLS: "
                             f"{getattr(exc, 'reason', None) or exc}", permanent=True) from None
    except (OSError, smtplib.SMTPException) as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise DeliveryFailed(f"the mail server at {where} could not be reached: {detail}") \
            from None


def send_by_notify(message: OutboxMessage) -> None:
    from notifications_python_client import NotificationsAPIClient
    from notifications_python_client.errors import APIError
    from requests import RequestException

    config = current_app.config
    template_id = (config.get("NOTIFY_TEMPLATE_IDS") or {}).get(message.kind)
    if not template_id:
        raise DeliveryFailed(f"NOTIFY_TEMPLATE_IDS has no template for {message.kind!r} emails",
                             permanent=True)
    try:
        client = NotificationsAPIClient(config["NOTIFY_API_KEY"],
                                        base_url=config["NOTIFY_BASE_URL"])
        client.send_email_notification(
            email_address=message.to, template_id=template_id,
            personalisation=dict(message.fields or {}), reference=f"outbox-{message.id}",
        )
    except APIError as exc:
        busy = exc.status_code in (429,) or exc.status_code >= 500
        raise DeliveryFailed(f"GOV.UK Notify answered {exc.status_code}: {exc.message}",
                             permanent=not busy) from None
    except (RequestException, OSError) as exc:
        raise DeliveryFailed(f"GOV.UK Notify could not be reached: {exc}") from None
    except (ValueError, AssertionError) as exc:  # a malformed key
        raise DeliveryFailed(f"NOTIFY_API_KEY is not a GOV.UK Notify API key ({exc})",
                             permanent=True) from None


def _smtp_words(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]
