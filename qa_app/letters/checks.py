"""What a chair is told before issuing a letter: what will happen, what is not finished, and
whether issuing would be refused, worked out with the same rules issuing itself applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa_app.letters import operations
from qa_app.letters.errors import LetterError
from qa_app.letters.models import Letter
from qa_app.letters.readiness import Readiness, readiness, whole_cycle
from qa_app.letters.working_days import add_working_days


@dataclass(frozen=True)
class IssueCheck:
    """The facts the check page shows. `refused` holds the reason issuing would fail now;
    `stale` is why the stored figures are out of date, if they are."""

    due_date: date
    ready: Readiness
    partial_letter: bool
    stale: str | None
    refused: str | None

    @property
    def can_issue(self) -> bool:
        return self.refused is None

    @property
    def unfinished(self) -> list[str]:
        """Plain statements of what is not finished, for the "what is incomplete" list."""
        found = []
        if not self.ready.complete:
            found.append(f"The panel's sample: {self.ready.words}. "
                         + ("The letter says in its first paragraph that it is based on part "
                            "of the sample." if self.partial_letter else
                            "The letter was written for the whole sample, so it cannot be "
                            "issued until the rest is finalised."))
        if self.stale:
            found.append(f"The figures: {self.stale.strip().rstrip('.')}.")
        return found


def fingerprint(letter: Letter) -> str:
    """What the check page was shown: issuing a draft that changed since is refused."""
    return letter.content_sha256 or letter.sha256 or ""


def issue_check(letter: Letter, today: date | None = None) -> IssueCheck:
    from qa_app.reporting.freshness import stale_reason

    today = today or date.today()
    with whole_cycle():
        ready = readiness(letter.cycle_id)
        stale = stale_reason(letter.cycle_id)
        try:
            operations.facts_still_true(letter)
        except LetterError as exc:
            refused: str | None = str(exc)
        else:
            refused = None
    return IssueCheck(
        due_date=add_working_days(today, operations.response_working_days()),
        ready=ready, partial_letter=letter.sample_size is not None, stale=stale or None,
        refused=refused)
