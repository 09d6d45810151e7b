"""Where an open cycle stands, in one line for the manager's home page: the first step of
the cycle that is not yet done, how far it has gone and who must act on it."""

from __future__ import annotations

from dataclasses import dataclass

from qa_app.audits.cycles.models import Cycle


@dataclass(frozen=True)
class Stage:
    words: str
    who: str


@dataclass(frozen=True)
class CycleCounts:
    """A cycle's progress counts; `sampled` is (subjects, finalised), None with no sample."""

    cycle: Cycle
    sampled: tuple[int, int] | None
    panels: int
    audits: int
    submitted: int
    lettered: int
    issued: int
    received: int
    presented: int

    @property
    def stage(self) -> Stage:
        if self.sampled is None:
            return Stage("No sample drawn yet.", "You: draw the sample")
        subjects, finalised = self.sampled
        if self.panels == 0:
            return Stage(f"Sample of {subjects} drawn; no panels set up yet.",
                         "You: set up the panels")
        if self.audits == 0:
            return Stage(f"{_count(self.panels, 'panel')} set up; no audits assigned yet.",
                         "You: assign the audits")
        if self.submitted < self.audits:
            return Stage(f"Scoring: {self.submitted} of {self.audits} audits submitted.",
                         "Auditors")
        if finalised < subjects:
            return Stage(f"Moderation: {finalised} of {subjects} subjects finalised.",
                         "Panel chairs")
        if self.lettered == 0:
            return Stage(f"All {subjects} subjects finalised; no letters drafted yet.",
                         "You: check the figures are current, then draft the letters")
        if self.issued < self.lettered:
            return Stage(f"Letters: {self.issued} of {self.lettered} issued.", "Panel chairs")
        if self.received < self.issued:
            return Stage(f"Responses: {self.received} of {self.issued} received.",
                         "Agency leads")
        if self.presented < self.received:
            return Stage(f"Board: {self.presented} of {self.received} responses presented.",
                         "You: present the responses to the board")
        return Stage("Every response has been presented to the board.",
                     "You: close the cycle")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
