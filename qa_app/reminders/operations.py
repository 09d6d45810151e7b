"""Send what is due: one email per person and kind of reminder per run (a digest of every item
due), each item and threshold once, never to an inactive person or for a kind turned off.

The sent-once rows are written in the same transaction as the outbox message, inside a
savepoint per email: if another run sent the same reminder a moment before (the unique key
refuses the row) or the mail guard refuses the text, only that email is left out.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.reminders import kinds as k
from qa_app.reminders.due import Due, due_on, long_date, weekly_counts
from qa_app.reminders.models import ReminderOptOut, ReminderSent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Digest:
    """One email: everything of one kind due for one person."""

    user: User
    kind: k.Kind
    items: list[Due]
    covered: list[Due] = field(default_factory=list)
    """Items of a milder kind this email also covers (recorded as sent, not listed)."""

    @property
    def count(self) -> int:
        return len(self.items)

    def lines(self) -> list[tuple[str, int]]:
        """Each digest line (a panel, a letter, an action) with how many items it holds."""
        return list(Counter(item.group for item in self.items).items())


@dataclass(frozen=True)
class Outcome:
    to: str
    kind: str
    items: int
    summary: str
    sent: bool
    problem: str = ""


def plan(today: date) -> list[Digest]:
    """The emails a run on `today` sends: due items less inactive people, kinds each person
    turned off (unless required), and what was already sent."""
    due = due_on(today)
    if not due:
        return []
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({d.user_id for d in due}), User.active.is_(True)))}
    off = set(db.session.execute(
        select(ReminderOptOut.user_id, ReminderOptOut.kind)
        .where(ReminderOptOut.user_id.in_(list(users)))).all())
    sent = _already_sent(due)
    grouped: dict[tuple[int, str], list[Due]] = defaultdict(list)
    for item in due:
        kind = k.KINDS[item.kind]
        if item.user_id not in users:
            continue
        if not kind.required and (item.user_id, item.kind) in off:
            continue
        if (item.user_id, item.kind, item.item_key, item.threshold) in sent:
            continue
        grouped[(item.user_id, item.kind)].append(item)
    covered = _fold_milder(grouped)
    order = list(k.KINDS)
    return [Digest(users[user_id], k.KINDS[kind], items, covered.get((user_id, kind), []))
            for (user_id, kind), items in sorted(
                grouped.items(), key=lambda pair: (order.index(pair[0][1]), pair[0][0]))]


SUPERSEDED_BY = {
    k.AUDITS_ASSIGNED: (k.AUDITS_OVERDUE, k.AUDITS_DUE),
    k.LETTER_ISSUED: (k.RESPONSE_OVERDUE, k.RESPONSE_DUE),
    k.ACTION_ASSIGNED: (k.ACTION_OVERDUE,),
}
"""A milder reminder not sent when a more urgent one about the same item goes to the same
person in the same run (a letter first noticed after its response is late): the urgent email
says it all, and the milder one is recorded with it so that it never follows later."""


def _fold_milder(grouped: dict[tuple[int, str], list[Due]]
                 ) -> dict[tuple[int, str], list[Due]]:
    covered: dict[tuple[int, str], list[Due]] = defaultdict(list)
    for (user_id, kind), items in list(grouped.items()):
        for urgent in SUPERSEDED_BY.get(kind, ()):
            keys = {item.item_key for item in grouped.get((user_id, urgent), [])}
            if not keys:
                continue
            covered[(user_id, urgent)].extend(i for i in items if i.item_key in keys)
            items = [i for i in items if i.item_key not in keys]
        if items:
            grouped[(user_id, kind)] = items
        else:
            del grouped[(user_id, kind)]
    return covered


def send_due(today: date, *, dry_run: bool = False) -> list[Outcome]:
    """Send (or, in a dry run, only describe) every email due on `today`. Never commits."""
    return send_planned(plan(today), today, dry_run=dry_run)


def send_planned(digests: list[Digest], today: date, *, dry_run: bool = False
                 ) -> list[Outcome]:
    """Send the planned emails; one another run sent meanwhile is left out."""
    counts = weekly_counts(today) if any(d.kind.name == k.WEEKLY_SUMMARY for d in digests) \
        else {}
    outcomes = []
    for digest in digests:
        fields = email_fields(digest, today, counts)
        if dry_run:
            outcomes.append(Outcome(digest.user.email, digest.kind.name, digest.count,
                                    fields["summary"], sent=False))
            continue
        outcomes.append(_send(digest, today, fields))
    return outcomes


def _send(digest: Digest, today: date, fields: dict[str, str]) -> Outcome:
    from qa_app.mail import UnsafeEmail, send_email

    outcome = Outcome(digest.user.email, digest.kind.name, digest.count, fields["summary"],
                      sent=True)
    try:
        with db.session.begin_nested():  # a savepoint: a refusal leaves the rest of the run
            rows = [ReminderSent(user_id=digest.user.id, kind=item.kind,
                                 item_key=item.item_key, threshold=item.threshold,
                                 for_day=today)
                    for item in [*digest.items, *digest.covered]]
            db.session.add_all(rows)
            db.session.flush()
            message_id = send_email(digest.user.email, digest.kind.template, fields,
                                    user_id=digest.user.id)
            for row in rows:
                row.outbox_message_id = message_id
            db.session.flush()
    except IntegrityError:
        return replace(outcome, sent=False, problem="already sent by another run")
    except UnsafeEmail as exc:
        log.warning("reminder %s to user %s not sent: %s", digest.kind.name, digest.user.id,
                    exc)
        return replace(outcome, sent=False, problem=str(exc))
    return outcome


def _already_sent(due: Iterable[Due]) -> set[tuple[int, str, str, str]]:
    keys = sorted({(d.user_id, d.kind, d.item_key, d.threshold) for d in due})
    found: set[tuple[int, str, str, str]] = set()
    columns = tuple_(ReminderSent.user_id, ReminderSent.kind, ReminderSent.item_key,
                     ReminderSent.threshold)
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        found.update(db.session.execute(
            select(ReminderSent.user_id, ReminderSent.kind, ReminderSent.item_key,
                   ReminderSent.threshold).where(columns.in_(chunk))).all())
    return found


NOUNS = {
    k.AUDITS_ASSIGNED: ("audit", "audits"),
    k.AUDITS_DUE: ("audit", "audits"),
    k.AUDITS_OVERDUE: ("audit", "audits"),
    k.MODERATION_WAITING: ("subject", "subjects"),
    k.LETTER_ISSUED: ("letter", "letters"),
    k.RESPONSE_DUE: ("response", "responses"),
    k.RESPONSE_OVERDUE: ("response", "responses"),
    k.ACTION_ASSIGNED: ("improvement action", "improvement actions"),
    k.ACTION_OVERDUE: ("improvement action", "improvement actions"),
    k.WEEKLY_SUMMARY: ("summary", "summaries"),
}


COUNTED_LINES = {k.AUDITS_ASSIGNED, k.AUDITS_DUE, k.AUDITS_OVERDUE, k.MODERATION_WAITING}
"""Kinds whose digest lines each hold several items (a panel's audits); the others' lines are
one item each (a letter, an action)."""


def _counted(count: int, kind: str) -> str:
    one, many = NOUNS[kind]
    return f"{count} {one if count == 1 else many}"


def email_fields(digest: Digest, today: date, counts: dict[str, int]) -> dict[str, str]:
    """What the kind's template is filled with: counts, dates, names and links only."""
    from qa_app.mail import link

    kind = digest.kind.name
    lines = [f"- {_counted(n, kind)}: {group}" if kind in COUNTED_LINES else f"- {group}"
             for group, n in digest.lines()]
    first = digest.items[0]
    endpoint, values = first.link
    if len({repr(item.link) for item in digest.items}) > 1:
        endpoint, values = _list_page(kind)
    fields = {
        "name": digest.user.display_name,
        "count": str(digest.count),
        "counted": _counted(digest.count, kind),
        "items": "\n".join(lines),
        "today": long_date(today),
        "link": link(endpoint, **values),
        "settings_link": link("reminders.preferences"),
        "summary": f"{digest.kind.title}: {_counted(digest.count, kind)}",
    }
    if kind == k.WEEKLY_SUMMARY:
        fields.update({name: str(value) for name, value in counts.items()})
        fields["summary"] = (f"{digest.kind.title}: {counts['audits_outstanding']} audits "
                             f"outstanding, {counts['letters_late']} responses late")
    return fields


def _list_page(kind: str) -> tuple[str, dict[str, object]]:
    """Where a digest about several pages links to: the list they are all on."""
    if kind in {k.LETTER_ISSUED, k.RESPONSE_DUE, k.RESPONSE_OVERDUE}:
        return "letters.index", {}
    if kind == k.MODERATION_WAITING:
        return "moderation.index", {}
    return "main.home", {}
