"""The demo's later features brought to life once the figures are calculated: a calibration
round, grade challenges, re-audit marks, the board's report in preparation with one agency's
commentary, and the latest closed cycle's learning brief, published. (The good-practice
library is seeded with the audits, qa_app/demo/library.py; surveys by qa_app/surveys/demo.py.)

Each part runs once: a database that already has its rows is left as it is. Each goes
through its feature's own operations, as the people who use it would.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qa_app.auth.models import Role, User
from qa_app.board import operations as board
from qa_app.board.models import BoardReport
from qa_app.demo.calibration import seed_calibration
from qa_app.demo.outcomes import closed_cycles, seed_challenges, seed_reaudit_marks
from qa_app.extensions import db
from qa_app.learning import operations as learning
from qa_app.learning.content import assemble
from qa_app.learning.models import LearningBrief
from qa_app.letters.working_days import add_working_days
from qa_app.reporting.measures import CHILD_VOICE, ON_TIME
from qa_app.reporting.periods import CYCLE
from qa_app.reporting.queries import current_run
from qa_app.rules import RuleError

BOARD_IN_WORKING_DAYS = 20
"""The board meets about four weeks after the demo is seeded, on a working day."""
COMMENTARY = {
    CHILD_VOICE: "Some of our advice this term gave the child's views only as their parents "
                 "or staff saw them. Every writer now meets the child before writing, using "
                 "the partnership's one-page profile, and our SENCo reads each draft for the "
                 "child's own words before it is sent.",
    ON_TIME: "Too much of our advice arrived after the six-week deadline this term, mostly "
             "while two posts were vacant. Both posts are now filled and every request is "
             "checked at a weekly meeting, so we expect far fewer late returns next term.",
}
DEFAULT_COMMENTARY = ("We have looked at each piece of work graded below good with the people "
                      "who wrote it. A short refresher on the partnership's standard is "
                      "booked for every writer this term, and our quality lead now reads a "
                      "sample of drafts before they are sent.")


def bring_features_to_life(today: date) -> list[str]:
    """Seed each feature that has nothing yet; returns a line for the demo to print for each
    that added something."""
    lines = []
    if seed_calibration(today):
        lines.append("Calibration: one round closed with the agreed grades")
    if added := seed_challenges():
        lines.append(f"Grade challenges: {added} raised (one decided)")
    if added := seed_reaudit_marks(today):
        lines.append(f"Re-audits: {added} grades marked to amend and re-audit")
    if report := seed_board_report(today):
        lines.append(f"Board report: {report}")
    if brief := publish_learning_brief(today):
        lines.append(f"Learning brief: {brief}")
    db.session.flush()
    return lines


def _manager() -> User | None:
    return db.session.scalar(select(User).where(User.role == Role.QI_MANAGER.value)
                             .order_by(User.email).limit(1))


def seed_board_report(today: date) -> str:
    """The latest closed cycle's report, collecting commentary for a board about four weeks away;
    one agency has answered. Nothing when a report exists or no figures are calculated."""
    cycles = closed_cycles()
    manager = _manager()
    if (not cycles or manager is None
            or db.session.scalar(select(BoardReport.id).limit(1)) is not None):
        return ""
    cycle = cycles[-1]
    if current_run(CYCLE, str(cycle.id)) is None:
        return ""  # the rates are still being calculated (on a worker)
    report = board.start_report(cycle, add_working_days(today, BOARD_IN_WORKING_DAYS),
                                actor_id=manager.id, today=today)
    leads = {u.agency_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.AGENCY_LEAD.value).order_by(User.id.desc()))}
    answered = next((r for r in report.requests if r.agency_id in leads), None)
    if answered is not None:
        board.save_commentary(answered.id, COMMENTARY.get(answered.measure, DEFAULT_COMMENTARY),
                              actor_id=leads[answered.agency_id].id, today=today)
    return (f"{cycle.name}, {len(report.requests)} exceptions asked about, "
            f"{1 if answered else 0} answered")


def publish_learning_brief(today: date) -> str:
    """Publish the latest closed cycle's brief as the manager would from its check page."""
    cycles = closed_cycles()
    manager = _manager()
    if (not cycles or manager is None
            or db.session.scalar(select(LearningBrief.id).limit(1)) is not None):
        return ""
    cycle = cycles[-1]
    try:
        learning.publish(cycle.id, actor_id=manager.id,
                         checked=learning.digest(assemble(cycle, today)), today=today)
    except RuleError:
        return ""  # not publishable yet (the grades or figures are not final)
    return f"{cycle.name} published"
